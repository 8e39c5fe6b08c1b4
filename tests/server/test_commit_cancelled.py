"""A request cancelled while its commit runs (the server stopping) never deletes the data of a
blob that commit still records: the commit runs on in its worker thread or its group
(SQLite's group commit), so the request's clean-up must not assume it failed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bucketry_server import groupcommit
from bucketry_server.backends.managed.catalogue import NewBlob, commit_blobs, write_object
from bucketry_server.models import Blob, Bucket
from bucketry_server.storage.base import Expected
from tests.support.live_server import LiveServer


async def _body(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _hold_commits(monkeypatch: pytest.MonkeyPatch, sqlite: bool) -> tuple[Any, Any, Any]:
    """Make the next commit wait (in its worker thread) until released; (started, release,
    finished: set once the commit has run, landed or refused)."""
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    if sqlite:
        original = groupcommit.run_group

        def held_group(db: Any, jobs: list[Any]) -> list[Any]:
            started.set()
            release.wait(10)
            try:
                return original(db, jobs)
            finally:
                finished.set()

        monkeypatch.setattr(groupcommit, "run_group", held_group)
    else:
        original_alone = groupcommit.run_alone

        def held_alone(db: Any, job: Any) -> Any:
            started.set()
            release.wait(10)
            try:
                return original_alone(db, job)
            finally:
                finished.set()

        monkeypatch.setattr(groupcommit, "run_alone", held_alone)
    return started, release, finished


@pytest.mark.parametrize("outcome", ["committed", "refused"])
def test_a_cancelled_commit_keeps_the_object_of_a_blob_it_records(
    server: LiveServer, users: dict[str, str], monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    """The request is cancelled while its commit waits; the commit then lands (or is refused
    by a precondition). A landed blob keeps its bytes; no row ever points at a deleted
    object (a refused commit's object is left to the start-up sweep)."""
    state = server.state
    name = f"cancel-{outcome}"
    auth = {"Authorization": f"Bearer {users['admin']}"}
    answer = httpx.post(f"{server.api}/buckets", json={"name": name}, headers=auth)
    assert answer.status_code == 201
    with state.db.session() as s:
        bucket_id = s.scalar(select(Bucket.id).where(Bucket.name == name))
    assert bucket_id is not None
    started, release, finished = _hold_commits(
        monkeypatch, state.db.engine.dialect.name == "sqlite"
    )

    async def run() -> str:
        oid, result = await write_object(state, _body(b"precious"), Expected(sha256=False))
        item = NewBlob.written("k", oid, result, "application/octet-stream", {})
        match = '"no-such-etag"' if outcome == "refused" else None
        task = asyncio.create_task(commit_blobs(state, bucket_id, [item], if_match=match))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()  # as when the server's loop shuts down
        await asyncio.sleep(0.2)  # the request's clean-up runs meanwhile
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(finished.wait, 10)  # the commit lands (or not)
        await asyncio.sleep(0.3)  # and any clean-up that would follow it runs
        return oid

    oid = asyncio.run(run())
    with state.db.session() as s:
        row = s.scalar(select(Blob).where(Blob.bucket_id == bucket_id, Blob.key == "k"))
    stored = asyncio.run(state.store.exists(oid))
    if outcome == "committed":
        assert row is not None and row.object_id == oid
        assert stored, "the committed blob's object was deleted by the cancelled request"
    else:
        assert row is None
