"""Multipart uploads end to end against the real server (generated client + raw httpx)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import google_crc32c
import httpx
import pytest
from sqlalchemy import select, update

from bucketry_api import ApiClient, ClientError
from bucketry_api.models import BucketCreate, UploadComplete, UploadCreate
from bucketry_server import maintenance
from bucketry_server.accounts.tokens import issue_token
from bucketry_server.accounts.users import create_user
from bucketry_server.models import Blob, Bucket, ObjectLedger, Upload, UploadPart, User
from bucketry_server.timeutil import utcnow
from bucketry_server.uploads import parts as uploads_module
from tests.support.live_server import LiveServer, live_server

MIN = 64 * 1024  # the shared server's min_part_size


# ---------------------------------------------------------------------------- helpers


@pytest.fixture
def bucket(alice: ApiClient, unique: str) -> str:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"up-{unique}"))
    return b.id


def new_upload(api: ApiClient, bucket: str, key: str = "big.bin", **extra: Any) -> str:
    up, resp = api.uploads.create(bucket, body=UploadCreate.from_dict({"key": key, **extra}))
    assert resp.status_code == 201
    return up.id


def complete(api: ApiClient, bucket: str, upload_id: str, parts: list[tuple[int, str]]) -> Any:
    body = UploadComplete.from_dict({"parts": [{"part_number": n, "etag": e} for n, e in parts]})
    return api.uploads.complete(bucket, upload_id, body=body)


def sha_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def crc_b64(data: bytes) -> str:
    return base64.b64encode(int(google_crc32c.value(data)).to_bytes(4, "big")).decode()


def chunks_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def stored_bytes(server: LiveServer, bucket_id: str, key: str) -> bytes:
    """The bytes the store holds for a blob (read beside the API, to check what was stored)."""
    with server.state.db.session() as s:
        blob = s.scalar(select(Blob).where(Blob.bucket_id == bucket_id, Blob.key == key))
        assert blob is not None
        oid, size = blob.object_id, blob.size
    return asyncio.run(server.state.store.read_range(oid, 0, size))


def part_objects(server: LiveServer, upload_id: str) -> list[str]:
    with server.state.db.session() as s:
        return list(
            s.scalars(select(UploadPart.object_id).where(UploadPart.upload_id == upload_id)).all()
        )


def in_store(server: LiveServer, object_id: str) -> bool:
    return asyncio.run(server.state.store.exists(object_id))


def gone_soon(server: LiveServer, objects: list[str], timeout: float = 10.0) -> bool:
    """Whether ``objects`` leave the store and the ledger within ``timeout`` seconds (a
    completion deletes its parts after answering)."""
    deadline = time.monotonic() + timeout
    while True:
        with server.state.db.session() as s:
            marked = s.scalars(select(ObjectLedger).where(ObjectLedger.object_id.in_(objects)))
            if not marked.all() and not any(in_store(server, o) for o in objects):
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def blob_row(server: LiveServer, bucket_id: str, key: str) -> Blob | None:
    with server.state.db.session() as s:
        return s.scalar(select(Blob).where(Blob.bucket_id == bucket_id, Blob.key == key))


def status_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str | None]:
    return exc.value.status_code, exc.value.problem.get("code")


# ---------------------------------------------------------------------------- happy paths


def test_parallel_parts_then_complete(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    data = os.urandom(7 * MIN + 12_345)
    sha = hashlib.sha256(data).hexdigest()
    upload_id = new_upload(
        alice,
        bucket,
        "dir/big.bin",
        size=len(data),
        sha256=sha,
        content_type="application/x-test",
        metadata={"origin": "test"},
    )
    pieces = chunks_of(data, MIN)
    order = list(range(1, len(pieces) + 1))
    random.shuffle(order)

    def send(n: int) -> tuple[int, str]:
        part, resp = alice.uploads.put_part(bucket, upload_id, n, body=pieces[n - 1])
        assert resp.headers["ETag"] == part.etag
        assert part.size == len(pieces[n - 1])
        assert part.sha256 is None  # the CRC32C is the default check
        assert part.crc32c == crc_b64(pieces[n - 1])
        return n, part.etag

    with ThreadPoolExecutor(8) as pool:  # 8 threads over one pooled httpx client
        etags = dict(pool.map(send, order))

    up, _ = alice.uploads.get(bucket, upload_id)
    assert [p.part_number for p in up.parts] == sorted(etags)
    blob, resp = complete(alice, bucket, upload_id, sorted(etags.items()))
    assert resp.status_code == 201
    assert blob.key == "dir/big.bin"
    assert blob.size == len(data)
    assert blob.sha256 == sha
    assert blob.etag == '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    assert blob.content_type == "application/x-test"
    assert blob.metadata.to_dict() == {"origin": "test"}
    assert stored_bytes(server, bucket, "dir/big.bin") == data

    # The upload is gone, its part objects too, and only the blob's object is left.
    with pytest.raises(ClientError) as exc:
        alice.uploads.get(bucket, upload_id)
    assert exc.value.status_code == 404
    with server.state.db.session() as s:
        assert s.scalars(select(UploadPart).where(UploadPart.upload_id == upload_id)).all() == []
        b = s.get(Bucket, bucket)
        assert b is not None and b.bytes_used == len(data) and b.object_count == 1
    # Completing twice: the upload no longer exists.
    with pytest.raises(ClientError) as exc:
        complete(alice, bucket, upload_id, sorted(etags.items()))
    assert exc.value.status_code == 404


def test_out_of_order_resend_and_replace(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    data = os.urandom(3 * MIN + 100)
    pieces = chunks_of(data, MIN)
    upload_id = new_upload(alice, bucket)
    etags: dict[int, str] = {}
    for n in (4, 2, 3, 1):  # with SHA-256s: the server hashes the whole as the parts come
        part, _ = alice.uploads.put_part(
            bucket, upload_id, n, body=pieces[n - 1], x_checksum_sha256=sha_hex(pieces[n - 1])
        )
        etags[n] = part.etag
    # Re-sending part 2 with other bytes replaces it; the old part object is freed.
    old_objects = set(part_objects(server, upload_id))
    wrong = os.urandom(MIN)
    part, _ = alice.uploads.put_part(
        bucket, upload_id, 2, body=wrong, x_checksum_sha256=sha_hex(wrong)
    )
    assert part.etag != etags[2]
    replaced = old_objects - set(part_objects(server, upload_id))
    assert len(replaced) == 1 and not in_store(server, replaced.pop())
    # The ETag the client kept for part 2 no longer matches.
    with pytest.raises(ClientError) as exc:
        complete(alice, bucket, upload_id, sorted(etags.items()))
    assert status_of(exc) == (400, "invalid_part")
    part, _ = alice.uploads.put_part(
        bucket, upload_id, 2, body=pieces[1], x_checksum_sha256=sha_hex(pieces[1])
    )
    etags[2] = part.etag
    blob, _ = complete(alice, bucket, upload_id, sorted(etags.items()))
    assert blob.size == len(data)
    # Part 2 was replaced twice after the background hash may have passed it: the digest must
    # still be that of the bytes stored.
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_bytes(server, bucket, "big.bin") == data


def test_completion_uses_the_background_digest(
    server: LiveServer, alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts are hashed in order as they arrive; completion only finishes that hash."""
    rolling = server.state.rolling
    seen: list[str | None] = []
    finish = rolling.finish

    async def spy(upload_id: str, object_ids: list[str]) -> str | None:
        seen.append(await finish(upload_id, object_ids))
        return seen[-1]

    monkeypatch.setattr(rolling, "finish", spy)
    data = os.urandom(3 * MIN + 5)
    upload_id = new_upload(alice, bucket)
    etags = []
    for n, piece in enumerate(chunks_of(data, MIN), 1):
        part, _ = alice.uploads.put_part(
            bucket, upload_id, n, body=piece, x_checksum_sha256=sha_hex(piece)
        )
        etags.append((n, part.etag))
    blob, _ = complete(alice, bucket, upload_id, etags)
    assert seen == [hashlib.sha256(data).hexdigest()] and blob.sha256 == seen[0]
    assert upload_id not in rolling._uploads


def test_resume_lists_parts_and_uploads(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    data = os.urandom(3 * MIN)
    pieces = chunks_of(data, MIN)
    upload_id = new_upload(alice, bucket, "resume/me.bin")
    alice.uploads.put_part(bucket, upload_id, 1, body=pieces[0])
    alice.uploads.put_part(bucket, upload_id, 3, body=pieces[2])

    # A new client finds the upload and what is missing.
    page, _ = alice.uploads.list(bucket, key="resume/me.bin")
    assert [u.id for u in page.results] == [upload_id]
    assert page.results[0].min_part_size == MIN
    assert page.results[0].max_parts == 10_000
    up, _ = alice.uploads.get(bucket, upload_id)
    have = {p.part_number: p for p in up.parts}
    assert sorted(have) == [1, 3]
    assert have[1].size == MIN and have[1].crc32c == crc_b64(pieces[0])
    for n in (1, 2, 3):
        if n not in have:
            part, _ = alice.uploads.put_part(bucket, upload_id, n, body=pieces[n - 1])
            have[n] = part
    blob, _ = complete(alice, bucket, upload_id, [(n, have[n].etag) for n in (1, 2, 3)])
    assert blob.size == len(data)
    assert stored_bytes(server, bucket, "resume/me.bin") == data


def test_unlisted_parts_are_dropped(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    upload_id = new_upload(alice, bucket, "partial.bin")
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"a" * MIN)
    alice.uploads.put_part(bucket, upload_id, 2, body=b"b" * 10)
    p3, _ = alice.uploads.put_part(bucket, upload_id, 3, body=b"c" * 10)
    objects = part_objects(server, upload_id)
    blob, _ = complete(alice, bucket, upload_id, [(1, p1.etag), (3, p3.etag)])
    assert stored_bytes(server, bucket, "partial.bin") == b"a" * MIN + b"c" * 10
    assert blob.size == MIN + 10
    assert gone_soon(server, objects)


def test_single_small_part_and_empty_last_part(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    upload_id = new_upload(alice, bucket, "tiny.txt")
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"hello")
    blob, _ = complete(alice, bucket, upload_id, [(1, p1.etag)])
    assert blob.size == 5 and blob.content_type == "application/octet-stream"
    upload_id = new_upload(alice, bucket, "empty-last.bin")
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * MIN)
    p2, _ = alice.uploads.put_part(bucket, upload_id, 2, body=b"")
    blob, _ = complete(alice, bucket, upload_id, [(1, p1.etag), (2, p2.etag)])
    assert blob.size == MIN


def test_list_pages_and_prefix(alice: ApiClient, bucket: str) -> None:
    ids = {new_upload(alice, bucket, key) for key in ("p/a", "p/b", "p/c", "q/a", "P/a")}
    seen: list[str] = []
    cursor: Any = None
    while True:
        kwargs: dict[str, Any] = {"prefix": "p/", "page_size": 2}
        if cursor:
            kwargs["cursor"] = cursor
        page, _ = alice.uploads.list(bucket, **kwargs)
        seen += [u.key for u in page.results]
        assert all(u.id in ids for u in page.results)
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == ["p/a", "p/b", "p/c"]  # case-sensitive, in key order
    page, _ = alice.uploads.list(bucket, key="q/a")
    assert [u.key for u in page.results] == ["q/a"]
    page, _ = alice.uploads.list(bucket)
    assert len(page.results) == 5 and page.next_cursor is None


# ---------------------------------------------------------------------------- completion errors


def test_too_small_part(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    upload_id = new_upload(alice, bucket, "small.bin")
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * (MIN - 1))
    p2, _ = alice.uploads.put_part(bucket, upload_id, 2, body=b"y" * 10)
    with pytest.raises(ClientError) as exc:
        complete(alice, bucket, upload_id, [(1, p1.etag), (2, p2.etag)])
    assert status_of(exc) == (400, "part_too_small")
    assert blob_row(server, bucket, "small.bin") is None
    # Nothing was lost: fix part 1 and complete.
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * MIN)
    blob, _ = complete(alice, bucket, upload_id, [(1, p1.etag), (2, p2.etag)])
    assert blob.size == MIN + 10


def test_bad_order_and_duplicates(alice: ApiClient, bucket: str) -> None:
    upload_id = new_upload(alice, bucket)
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * MIN)
    p2, _ = alice.uploads.put_part(bucket, upload_id, 2, body=b"y")
    for parts in ([(2, p2.etag), (1, p1.etag)], [(1, p1.etag), (1, p1.etag), (2, p2.etag)]):
        with pytest.raises(ClientError) as exc:
            complete(alice, bucket, upload_id, parts)
        assert status_of(exc) == (400, "invalid_part_order")
    up, _ = alice.uploads.get(bucket, upload_id)
    assert len(up.parts) == 2


def test_wrong_or_missing_part(alice: ApiClient, bucket: str) -> None:
    upload_id = new_upload(alice, bucket)
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * MIN)
    cases = [
        [(1, '"00000000000000000000000000000000"')],
        [(1, p1.etag), (2, p1.etag)],  # part 2 was never sent
    ]
    for parts in cases:
        with pytest.raises(ClientError) as exc:
            complete(alice, bucket, upload_id, parts)
        assert status_of(exc) == (400, "invalid_part")
    # ETags are accepted with or without quotes.
    blob, _ = complete(alice, bucket, upload_id, [(1, p1.etag.strip('"'))])
    assert blob.size == MIN


def test_declared_size_and_sha256_are_checked(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    upload_id = new_upload(alice, bucket, "checked.bin", size=MIN + 1)
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * MIN)
    with pytest.raises(ClientError) as exc:
        complete(alice, bucket, upload_id, [(1, p1.etag)])
    assert status_of(exc) == (400, "size_mismatch")

    upload_id = new_upload(alice, bucket, "checked.bin", sha256="0" * 64)
    p1, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * MIN)
    objects = part_objects(server, upload_id)
    with pytest.raises(ClientError) as exc:
        complete(alice, bucket, upload_id, [(1, p1.etag)])
    assert status_of(exc) == (400, "checksum_mismatch")
    assert blob_row(server, bucket, "checked.bin") is None
    # The upload is intact after the failed completion (it can be aborted or fixed).
    up, _ = alice.uploads.get(bucket, upload_id)
    assert [p.etag for p in up.parts] == [p1.etag]
    assert all(in_store(server, o) for o in objects)
    with server.state.db.session() as s:
        assert (
            s.scalars(select(ObjectLedger).where(ObjectLedger.object_id.in_(objects))).all() == []
        )


def test_if_none_match_at_initiation_and_completion(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    # First blob at the key, through a (create-only) upload.
    first = new_upload(alice, bucket, "once.bin", if_none_match="*")
    second = new_upload(alice, bucket, "once.bin", if_none_match="*")
    p, _ = alice.uploads.put_part(bucket, first, 1, body=b"first")
    complete(alice, bucket, first, [(1, p.etag)])
    # At initiation: the key now exists.
    with pytest.raises(ClientError) as exc:
        new_upload(alice, bucket, "once.bin", if_none_match="*")
    assert status_of(exc) == (412, "precondition_failed")
    # At completion: the upload opened before the key existed loses.
    p, _ = alice.uploads.put_part(bucket, second, 1, body=b"second")
    with pytest.raises(ClientError) as exc:
        complete(alice, bucket, second, [(1, p.etag)])
    assert status_of(exc) == (412, "precondition_failed")
    assert stored_bytes(server, bucket, "once.bin") == b"first"
    alice.uploads.abort(bucket, second)


def test_part_checksums(server: LiveServer, alice: ApiClient, bucket: str) -> None:

    upload_id = new_upload(alice, bucket)
    body = b"z" * 1000
    good_md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    bad_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as exc:
        alice.uploads.put_part(bucket, upload_id, 1, body=body, content_md5=bad_md5)
    assert status_of(exc) == (400, "checksum_mismatch")
    with pytest.raises(ClientError) as exc:
        alice.uploads.put_part(bucket, upload_id, 1, body=body, x_checksum_sha256="f" * 64)
    assert status_of(exc) == (400, "checksum_mismatch")
    with pytest.raises(ClientError) as exc:
        alice.uploads.put_part(bucket, upload_id, 1, body=body, x_checksum_sha256="nothex")
    assert status_of(exc) == (400, "invalid_checksum")
    up, _ = alice.uploads.get(bucket, upload_id)
    assert up.parts == []  # nothing stored
    part, _ = alice.uploads.put_part(
        bucket,
        upload_id,
        1,
        body=body,
        content_md5=good_md5,
        x_checksum_sha256=hashlib.sha256(body).hexdigest(),
    )
    assert part.size == 1000


def test_part_number_bounds(
    server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str
) -> None:
    upload_id = new_upload(alice, bucket)
    headers = {
        "Authorization": f"Bearer {users['alice']}",
        "Content-Type": "application/octet-stream",
    }
    base = f"{server.api}/buckets/{bucket}/uploads/{upload_id}/parts"
    for n in ("0", "10001", "-1", "x"):
        r = httpx.put(f"{base}/{n}", content=b"abc", headers=headers)
        assert r.status_code == 400, (n, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert httpx.put(f"{base}/10000", content=b"abc", headers=headers).status_code == 200


def test_part_too_large(
    server: LiveServer,
    users: dict[str, str],
    alice: ApiClient,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload_id = new_upload(alice, bucket)
    monkeypatch.setattr(uploads_module, "MAX_PART_SIZE", 1000)  # the server runs in-process
    with pytest.raises(ClientError) as exc:  # by Content-Length
        alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * 1001)
    assert exc.value.status_code == 413

    def stream() -> Iterator[bytes]:  # chunked: no Content-Length, caught while streaming
        for _ in range(4):
            yield b"y" * 600

    with pytest.raises(ClientError) as exc:
        alice.uploads.put_part(bucket, upload_id, 1, body=stream())
    assert exc.value.status_code == 413
    up, _ = alice.uploads.get(bucket, upload_id)
    assert up.parts == []
    part, _ = alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * 1000)
    assert part.size == 1000


def test_unknown_upload_id(alice: ApiClient, bucket: str) -> None:
    body = UploadComplete.from_dict({"parts": [{"part_number": 1, "etag": '"x"'}]})
    calls = [
        lambda: alice.uploads.get(bucket, "upl_nope"),
        lambda: alice.uploads.put_part(bucket, "upl_nope", 1, body=b"abc"),
        lambda: alice.uploads.complete(bucket, "upl_nope", body=body),
        lambda: alice.uploads.abort(bucket, "upl_nope"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.status_code == 404


def test_abort_frees_space(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    upload_id = new_upload(alice, bucket)
    for n in (1, 2, 3):
        alice.uploads.put_part(bucket, upload_id, n, body=os.urandom(1000))
    objects = part_objects(server, upload_id)
    assert len(objects) == 3 and all(in_store(server, o) for o in objects)
    _, resp = alice.uploads.abort(bucket, upload_id)
    assert resp.status_code == 204
    assert not any(in_store(server, o) for o in objects)
    with server.state.db.session() as s:
        assert (
            s.scalars(select(ObjectLedger).where(ObjectLedger.object_id.in_(objects))).all() == []
        )
    for call in (
        lambda: alice.uploads.get(bucket, upload_id),
        lambda: alice.uploads.abort(bucket, upload_id),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.status_code == 404


def test_expired_uploads_are_reclaimed(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    upload_id = new_upload(alice, bucket)
    alice.uploads.put_part(bucket, upload_id, 1, body=b"x" * 100)
    alive = new_upload(alice, bucket, "alive.bin")
    objects = part_objects(server, upload_id)
    with server.state.db.session() as s:
        s.execute(
            update(Upload)
            .where(Upload.id == upload_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    # Expired uploads are invisible at once, before the janitor runs.
    with pytest.raises(ClientError) as exc:
        alice.uploads.put_part(bucket, upload_id, 2, body=b"y")
    assert exc.value.status_code == 404
    page, _ = alice.uploads.list(bucket)
    assert upload_id not in [u.id for u in page.results]
    assert asyncio.run(maintenance.expire_uploads(server.state)) >= 1
    assert not any(in_store(server, o) for o in objects)
    with server.state.db.session() as s:
        assert s.get(Upload, upload_id) is None
        assert s.get(Upload, alive) is not None


# ---------------------------------------------------------------------------- create errors


def test_create_validation(
    server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str
) -> None:
    for key in ("../x", "a//b", "/abs", "a\x00b"):
        with pytest.raises(ClientError) as exc:
            new_upload(alice, bucket, key)
        assert status_of(exc) == (400, "invalid_key")
    with pytest.raises(ClientError) as exc:
        new_upload(alice, bucket, "k", sha256="xyz")
    assert status_of(exc) == (400, "invalid_checksum")
    with pytest.raises(ClientError) as exc:
        new_upload(alice, bucket, "k", metadata={"m": "v" * 3000})
    assert status_of(exc) == (400, "invalid_metadata")
    headers = {"Authorization": f"Bearer {users['alice']}"}
    url = f"{server.api}/buckets/{bucket}/uploads"
    for bad in ({}, {"key": ""}, {"key": "k", "size": -1}, {"key": "k", "metadata": {"a": 1}}):
        assert httpx.post(url, json=bad, headers=headers).status_code == 422
    complete_url = f"{url}/upl_x/complete"
    assert httpx.post(complete_url, json={"parts": []}, headers=headers).status_code == 422
    page, _ = alice.uploads.list(bucket)
    assert page.results == []  # nothing was created
    with pytest.raises(ClientError) as exc:
        alice.uploads.list(bucket, prefix="../")
    assert exc.value.status_code == 400


# ---------------------------------------------------------------------------- access


def test_other_users_cannot_see_uploads(
    server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str, unique: str
) -> None:
    upload_id = new_upload(alice, bucket)
    with ApiClient(server.url, token=users["bob"]) as bob:
        calls = [
            lambda: bob.uploads.get(bucket, upload_id),
            lambda: bob.uploads.list(bucket),
            lambda: bob.uploads.put_part(bucket, upload_id, 1, body=b"abc"),
            lambda: bob.uploads.abort(bucket, upload_id),
            lambda: new_upload(bob, bucket),
        ]
        for call in calls:
            with pytest.raises(ClientError) as exc:
                call()
            assert exc.value.status_code == 404
    # Carol (same org, but alice's personal bucket) sees nothing either; the id of an upload
    # to one bucket is unknown under another bucket of the same owner.
    other, _ = alice.buckets.create(body=BucketCreate(name=f"up2-{unique}"))
    with pytest.raises(ClientError) as exc:
        alice.uploads.get(other.id, upload_id)
    assert exc.value.status_code == 404
    with pytest.raises(ClientError) as exc:
        alice.uploads.put_part(other.id, upload_id, 1, body=b"abc")
    assert exc.value.status_code == 404
    # Anonymous: 401 (uploads never work without a token).
    r = httpx.get(f"{server.api}/buckets/{bucket}/uploads/{upload_id}")
    assert r.status_code == 401


def test_read_only_credentials_are_refused(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    upload_id = new_upload(alice, bucket)
    with server.state.db.session() as s:
        user = s.scalar(select(User).where(User.name == "alice"))
        assert user is not None
        _, secret = issue_token(
            s, user, "ro", kind="cred", id_prefix="crd", bucket_ids=[bucket], read_only=True
        )
    body = UploadComplete.from_dict({"parts": [{"part_number": 1, "etag": '"x"'}]})
    with ApiClient(server.url, token=secret) as ro:
        calls = [
            lambda: new_upload(ro, bucket),
            lambda: ro.uploads.list(bucket),
            lambda: ro.uploads.get(bucket, upload_id),
            lambda: ro.uploads.put_part(bucket, upload_id, 1, body=b"abc"),
            lambda: ro.uploads.complete(bucket, upload_id, body=body),
            lambda: ro.uploads.abort(bucket, upload_id),
        ]
        for call in calls:
            with pytest.raises(ClientError) as exc:
                call()
            assert exc.value.status_code == 403
    up, _ = alice.uploads.get(bucket, upload_id)
    assert up.parts == []


# ---------------------------------------------------------------------------- S3-like default


def test_default_min_part_size_is_5_mib(tmp_path: Path) -> None:
    with live_server(tmp_path) as srv:
        _, token = create_user(srv.state.db, "dora")
        with ApiClient(srv.url, token=token) as api:
            b, _ = api.buckets.create(body=BucketCreate(name="five"))
            upload_id = new_upload(api, b.id)
            up, _ = api.uploads.get(b.id, upload_id)
            assert up.min_part_size == 5 * 1024 * 1024 and up.max_parts == 10_000
            mib = 1024 * 1024
            p1, _ = api.uploads.put_part(b.id, upload_id, 1, body=b"a" * (5 * mib - 1))
            p2, _ = api.uploads.put_part(b.id, upload_id, 2, body=b"b")
            with pytest.raises(ClientError) as exc:
                complete(api, b.id, upload_id, [(1, p1.etag), (2, p2.etag)])
            assert status_of(exc) == (400, "part_too_small")
            p1, _ = api.uploads.put_part(b.id, upload_id, 1, body=b"a" * 5 * mib)
            blob, _ = complete(api, b.id, upload_id, [(1, p1.etag), (2, p2.etag)])
            assert blob.size == 5 * mib + 1


# ---------------------------------------------------------------------------- one transaction


def test_uploads_say_how_large_a_part_suits_the_store(
    server: LiveServer, alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that takes a part's bytes as they arrive (the local folder) suits parts up to
    the largest one taken (5 GiB); one that holds each part whole before storing it (an S3
    store) a sixteenth of the spool budget, never below the smallest part allowed. Creating,
    listing and getting an upload all say so."""
    upload_id = new_upload(alice, bucket)

    def preferred() -> set[int]:
        created, _ = alice.uploads.create(bucket, body=UploadCreate.from_dict({"key": "p.bin"}))
        listed, _ = alice.uploads.list(bucket, key="big.bin")
        got, _ = alice.uploads.get(bucket, upload_id)
        return {u.preferred_max_part_size for u in (created, *listed.results, got)}

    assert preferred() == {5 * 1024**3}
    monkeypatch.setattr(server.state.store, "holds_writes", True)
    monkeypatch.setattr(server.state.settings, "spool_max_bytes", 160 * 1024 * 1024)
    assert preferred() == {10 * 1024 * 1024}
    monkeypatch.setattr(server.state.settings, "spool_max_bytes", 16 * 1024)
    assert preferred() == {server.state.settings.min_part_size}
    # Never above the largest part taken (a client keeping to it must not get 413).
    monkeypatch.setattr(server.state.settings, "spool_max_bytes", 160 * 1024**3)
    assert preferred() == {5 * 1024**3}
