"""A multipart blob (a composite object of the local store) frees its disk as soon as nobody
reads it once it is overwritten or deleted, and a download in progress still finishes."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from sqlalchemy import select

from bucketry_api import ApiClient
from bucketry_api.models import BucketCreate, UploadComplete, UploadCreate
from bucketry_server import maintenance
from bucketry_server.models import Blob
from bucketry_server.storage import LocalStore
from tests.support.live_server import LiveServer

MIN = 64 * 1024  # the shared server's min_part_size


@pytest.fixture
def bucket(alice: ApiClient, unique: str) -> str:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"trash-{unique}"))
    return b.id


def local_store(server: LiveServer) -> LocalStore:
    store = server.state.store
    assert isinstance(store, LocalStore)
    return store


def multipart(api: ApiClient, bucket: str, key: str, data: bytes, part_size: int) -> None:
    """Upload ``data`` to ``key`` in parts of ``part_size`` bytes."""
    up, _ = api.uploads.create(bucket, body=UploadCreate.from_dict({"key": key}))
    parts = []
    for n, start in enumerate(range(0, len(data), part_size), 1):
        part, _ = api.uploads.put_part(bucket, up.id, n, body=data[start : start + part_size])
        parts.append({"part_number": n, "etag": part.etag})
    _, resp = api.uploads.complete(bucket, up.id, body=UploadComplete.from_dict({"parts": parts}))
    assert resp.status_code == 201


def composite_of(server: LiveServer, bucket: str, key: str) -> str:
    """The object id of a blob, checked to be a composite (a folder of linked parts)."""
    with server.state.db.session() as s:
        oid = s.scalar(select(Blob.object_id).where(Blob.bucket_id == bucket, Blob.key == key))
    assert oid is not None and local_store(server)._path(oid).is_dir()
    return oid


def in_trash(server: LiveServer, oid: str) -> bool:
    return any(e.name.startswith(oid + ".") for e in local_store(server).trash_dir.iterdir())


def freed_soon(server: LiveServer, oid: str, timeout: float = 10.0) -> bool:
    """Whether the object leaves both its place and the trash within ``timeout`` seconds
    (the replaced version is deleted just after the answer)."""
    deadline = time.monotonic() + timeout
    while local_store(server)._path(oid).exists() or in_trash(server, oid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_an_overwritten_or_deleted_multipart_blob_is_freed_at_once(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    for key in ("over.bin", "gone.bin"):
        multipart(alice, bucket, key, os.urandom(3 * MIN + 10), MIN)
    replaced = composite_of(server, bucket, "over.bin")
    deleted = composite_of(server, bucket, "gone.bin")
    alice.blobs.put(bucket, key="over.bin", body=b"new version")
    alice.blobs.delete(bucket, key="gone.bin")
    assert freed_soon(server, replaced) and freed_soon(server, deleted)


def test_a_download_in_progress_keeps_the_bytes_until_it_ends(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    # Larger than what the sockets buffer, so the server is still reading when it is replaced.
    data = os.urandom(32 << 20)
    multipart(alice, bucket, "big.bin", data, 2 << 20)
    oid = composite_of(server, bucket, "big.bin")
    store = local_store(server)
    with alice.blobs.get_stream(bucket, key="big.bin") as resp:
        blocks = resp.iter_raw(64 * 1024)
        got = bytearray(next(blocks))
        alice.blobs.put(bucket, key="big.bin", body=b"replaced meanwhile")
        deadline = time.monotonic() + 10
        while store._path(oid).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not store._path(oid).exists() and in_trash(server, oid)
        asyncio.run(maintenance.run_once(server.state))  # a janitor round meanwhile
        assert in_trash(server, oid)  # still read: kept
        for block in blocks:
            got += block
    assert bytes(got) == data  # the download that had started finished
    assert freed_soon(server, oid)  # and its end freed the bytes
