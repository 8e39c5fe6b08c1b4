"""Tar batches into imported buckets spool accepted members to a temporary file, not memory;
members reach the provider intact at commit, and a bad archive stores nothing."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.backends.base import BlobRecord, WriteSpec
from bucketry_server.backends.remote.batch import RemoteBatch
from tests.server.imported_helpers import auth, import_bucket
from tests.server.test_batch import make_tar
from tests.support.live_server import LiveServer, live_server

MIB = 1024 * 1024


class Recording:
    """A batch target that keeps the sha256 and chunk sizes of what is written."""

    def __init__(self) -> None:
        self.written: dict[str, str] = {}
        self.largest_chunk = 0

    async def stat(self, key: str) -> BlobRecord | None:
        return None

    async def write(self, key: str, chunks: AsyncIterator[bytes], spec: WriteSpec) -> BlobRecord:
        digest = hashlib.sha256()
        async for chunk in chunks:
            self.largest_chunk = max(self.largest_chunk, len(chunk))
            digest.update(chunk)
        self.written[key] = digest.hexdigest()
        return None  # type: ignore[return-value]


def test_members_are_spooled_not_held_in_memory(tmp_path: Path) -> None:
    target = Recording()
    batch = RemoteBatch(target, str(tmp_path))
    expected: dict[str, str] = {}

    async def fill() -> int:
        tracemalloc.start()
        try:
            for i in range(24):
                data = os.urandom(MIB + i)  # one member alive at a time, as the parser hands them
                expected[f"m{i}"] = hashlib.sha256(data).hexdigest()
                await batch.add(f"m{i}", data, expected[f"m{i}"], WriteSpec("x/y", {}))
                del data
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak = asyncio.run(fill())
    assert peak < 8 * MIB, f"{peak / MIB:.1f} MiB held for 24 MiB of members"
    assert list(tmp_path.iterdir()) == []  # the spool has no name: a crash leaves nothing
    assert asyncio.run(batch.commit(overwrite=True)) == [None] * 24
    assert target.written == expected and target.largest_chunk <= MIB
    assert batch._spool is None and batch.items == []


def test_abandon_drops_the_spool(tmp_path: Path) -> None:
    batch = RemoteBatch(Recording(), str(tmp_path))
    asyncio.run(batch.add("k", b"data", "", WriteSpec("x/y", {})))
    spool = batch._spool
    assert spool is not None and not spool.closed
    asyncio.run(batch.abandon())
    assert spool.closed and batch._spool is None


@pytest.fixture(scope="module")
def fs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path, str]]:
    root = tmp_path_factory.mktemp("batch-root")
    with live_server(tmp_path_factory.mktemp("batch-data"), filesystem_roots=[root]) as srv:
        _, token = create_user(srv.state.db, "batcher", admin=True)
        yield srv, root, token


def test_batch_into_a_folder_bucket(fs: tuple[LiveServer, Path, str]) -> None:
    srv, root, token = fs
    folder = root / "batched"
    folder.mkdir()
    r = import_bucket(srv.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder)})
    assert r.status_code == 201, r.text
    big = os.urandom(3 * MIB + 5)
    good = make_tar([("a/big.bin", big), ("b.txt", b"bee"), ("empty", b"")])
    url = f"{srv.api}/buckets/batched/blobs/batch"
    ok = httpx.post(url, content=good, headers=auth(token), timeout=60)
    assert ok.status_code == 200 and ok.json()["stored"] == 3, ok.text
    assert (folder / "a" / "big.bin").read_bytes() == big
    assert (folder / "empty").read_bytes() == b""
    cut = make_tar([("c.txt", b"sea"), ("d.txt", b"x" * 4096)])[:2048]  # cut inside member 2
    bad = httpx.post(url, content=cut, headers=auth(token), timeout=60)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_tar", bad.text
    assert not (folder / "c.txt").exists()  # validated before anything was written
