"""Completing a multipart upload against what races it: concurrent completions (one blob,
the others 404), a rival committing between a completion's reads, a part replaced while
completing; and what a completion costs (one write transaction, parts deleted after the
answer)."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import delete

from bucketry_api import ApiClient, ClientError
from bucketry_server.models import Bucket, Upload, UploadPart
from bucketry_server.uploads import completion
from tests.server.test_uploads import (
    MIN,
    blob_row,
    bucket,
    chunks_of,
    complete,
    gone_soon,
    in_store,
    new_upload,
    part_objects,
    stored_bytes,
)
from tests.support.held_deletions import deletions_held
from tests.support.live_server import LiveServer
from tests.support.write_transactions import WriteTransactions

__all__ = ["bucket"]  # the fixture, shared with test_uploads


def _uploaded_parts(
    alice: ApiClient, bucket: str, key: str, data: bytes
) -> tuple[str, list[tuple[int, str]]]:
    """A new upload of ``key`` holding ``data`` in parts of ``MIN`` bytes: its id and the
    (part number, ETag) list a completion sends."""
    upload_id = new_upload(alice, bucket, key)
    parts = []
    for n, piece in enumerate(chunks_of(data, MIN), 1):
        part, _ = alice.uploads.put_part(bucket, upload_id, n, body=piece)
        parts.append((n, part.etag))
    return upload_id, parts


def test_concurrent_completion_makes_one_blob(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    data = os.urandom(2 * MIN + 7)
    upload_id, parts = _uploaded_parts(alice, bucket, "race.bin", data)
    objects = part_objects(server, upload_id)
    barrier = threading.Barrier(6)

    def attempt(_: int) -> int:
        barrier.wait()
        try:
            _, resp = complete(alice, bucket, upload_id, parts)
            return int(resp.status_code)
        except ClientError as exc:
            return exc.status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(attempt, range(6)))
    assert statuses == [201, 404, 404, 404, 404, 404]
    assert stored_bytes(server, bucket, "race.bin") == data
    with server.state.db.session() as s:
        b = s.get(Bucket, bucket)
        assert b is not None and b.object_count == 1
    assert gone_soon(server, objects)


def test_a_completion_that_lost_the_race_between_its_reads_is_told_404(
    server: LiveServer, alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A completion reads the upload, then its parts, in two statements (not one snapshot).
    When another completion commits between them (deleting the upload and its parts), the
    first finds no parts: it answers 404, as a completion that came after, where it answered
    400 ``invalid_part`` ("part 1 was not uploaded"; seen once among the six racers of
    :func:`test_concurrent_completion_makes_one_blob` in CI)."""
    data = os.urandom(MIN + 7)
    upload_id, parts = _uploaded_parts(alice, bucket, "between.bin", data)
    real = completion.parts_of

    def parts_of_after_a_rival(s: Any, upload: str) -> Any:
        if upload == upload_id:  # the rival's commit: the upload and its parts go
            with server.state.db.session() as rival:
                rival.execute(delete(UploadPart).where(UploadPart.upload_id == upload))
                rival.execute(delete(Upload).where(Upload.id == upload))
        return real(s, upload)

    monkeypatch.setattr(completion, "parts_of", parts_of_after_a_rival)
    with pytest.raises(ClientError) as caught:
        complete(alice, bucket, upload_id, parts)
    assert caught.value.status_code == 404, caught.value


def test_completion_answers_before_deleting_the_parts(
    server: LiveServer, alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit marks the parts (and a replaced blob's object) dead; deleting them is not on
    the answer's clock: completion answers while the store's deletion is held up, and the
    objects go once it resumes."""
    key = "deferred.bin"
    alice.blobs.put(bucket, key=key, body=b"old")
    old_object = blob_row(server, bucket, key)
    assert old_object is not None
    upload_id = new_upload(alice, bucket, key)
    parts = []
    for n in (1, 2):
        part, _ = alice.uploads.put_part(bucket, upload_id, n, body=os.urandom(MIN))
        parts.append((n, part.etag))
    objects = [*part_objects(server, upload_id), old_object.object_id]
    store = server.state.store
    # the old code waits for the deletion: the hold ends after 10 s to unblock it
    with deletions_held(monkeypatch, store) as release:
        _, resp = complete(alice, bucket, upload_id, parts)
        answered_while_held = not release.is_set()
    assert resp.status_code == 201 and answered_while_held
    assert stored_bytes(server, bucket, key) != b"old"
    assert gone_soon(server, objects)


# ---------------------------------------------------------------------------- parts errors


def test_completion_of_a_managed_upload_is_one_write_transaction(
    server: LiveServer, alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No claim transaction before composing (the store's parts are only linked): the commit
    checks the upload and writes the blob in one transaction (two on the old code)."""
    data = os.urandom(2 * MIN + 5)
    upload_id, parts = _uploaded_parts(alice, bucket, "one-tx.bin", data)
    objects = part_objects(server, upload_id)
    writes = WriteTransactions(server.state.db)
    try:  # the parts' deletion (and its ledger transaction) waits until the count is taken
        with deletions_held(monkeypatch, server.state.store):
            _, resp = complete(alice, bucket, upload_id, parts)
            count = writes.count
    finally:
        writes.remove()
    assert resp.status_code == 201 and count == 1, count
    assert stored_bytes(server, bucket, "one-tx.bin") == data
    assert gone_soon(server, objects)


def test_a_part_replaced_while_completing_fails_the_completion(
    server: LiveServer, alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part replaced while the completion composes (no claim hides the upload meanwhile):
    the replacement is kept, the completion fails as if it came second (400 invalid_part),
    leaves no blob and nothing composed, and completing again with the new ETag works. (The
    old code's claim answered the replacement 404 instead.)"""
    first, second = os.urandom(MIN), os.urandom(10)
    upload_id = new_upload(alice, bucket, "raced.bin")
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=first)
    p2, _ = alice.uploads.put_part(bucket, upload_id, 2, body=second)
    store = server.state.store
    original, composing, go_on = store.compose, threading.Event(), threading.Event()
    composed: list[str] = []

    async def held_compose(object_id: str, *args: Any, **kwargs: Any) -> Any:
        composed.append(object_id)
        composing.set()
        await asyncio.to_thread(go_on.wait, 20)
        return await original(object_id, *args, **kwargs)

    monkeypatch.setattr(store, "compose", held_compose)
    outcome: list[Any] = []

    def completion() -> None:
        try:
            outcome.append(complete(alice, bucket, upload_id, [(1, p1.etag), (2, p2.etag)]))
        except ClientError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=completion)
    worker.start()
    try:
        assert composing.wait(20)
        newer = os.urandom(20)
        p2b, resp = alice.uploads.put_part(bucket, upload_id, 2, body=newer)
        assert resp.status_code == 200
    finally:
        go_on.set()
        worker.join(30)
    (failed,) = outcome
    assert isinstance(failed, ClientError), failed
    assert (failed.status_code, failed.problem.get("code")) == (400, "invalid_part")
    assert blob_row(server, bucket, "raced.bin") is None
    assert not in_store(server, composed[0])
    monkeypatch.setattr(store, "compose", original)
    _, resp = complete(alice, bucket, upload_id, [(1, p1.etag), (2, p2b.etag)])
    assert resp.status_code == 201
    assert stored_bytes(server, bucket, "raced.bin") == first + newer
