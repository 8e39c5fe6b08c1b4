"""Background hashing of multipart uploads: the digest is used only when it is exactly right."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest

from bucketry_server.backends.managed.rolling import RollingHashes
from bucketry_server.storage import LocalStore

from .storage.test_stores import data, put

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


async def settle(rolling: RollingHashes) -> None:
    while rolling._tasks:
        await asyncio.gather(*list(rolling._tasks))


def digest(*parts: bytes) -> str:
    return hashlib.sha256(b"".join(parts)).hexdigest()


async def test_out_of_order_parts_are_hashed_in_order(store: LocalStore) -> None:
    rolling = RollingHashes(store)
    parts = [data(100_000 + i, seed=i) for i in range(4)]
    ids = [await put(store, p) for p in parts]
    for number in (3, 1, 4, 2):
        rolling.part_stored("upl_a", number, ids[number - 1])
    await settle(rolling)
    assert rolling._uploads["upl_a"].hashed == ids  # everything done before completion
    assert await rolling.finish("upl_a", ids) == digest(*parts)
    assert "upl_a" not in rolling._uploads


async def test_only_the_tail_is_hashed_at_completion(store: LocalStore) -> None:
    rolling = RollingHashes(store)
    parts = [data(50_000, seed=i) for i in range(3)]
    ids = [await put(store, p) for p in parts]
    rolling.part_stored("upl_b", 1, ids[0])
    await settle(rolling)
    fed: list[str] = []
    feed = store.feed

    async def spy(object_id: str, sink: object) -> None:
        fed.append(object_id)
        await feed(object_id, sink)  # type: ignore[arg-type]

    store.feed = spy  # type: ignore[method-assign]
    assert await rolling.finish("upl_b", ids) == digest(*parts)
    assert fed == ids[1:]


async def test_replacements(store: LocalStore) -> None:
    rolling = RollingHashes(store)
    a, b, c, b2 = (data(30_000, seed=i) for i in range(4))
    ida, idb, idc, idb2 = [await put(store, x) for x in (a, b, c, b2)]
    # Replaced while still waiting (part 1 missing): the newer object is the one hashed.
    rolling.part_stored("upl_c", 2, idb)
    rolling.part_stored("upl_c", 2, idb2)
    rolling.part_stored("upl_c", 1, ida)
    rolling.part_stored("upl_c", 3, idc)
    await settle(rolling)
    assert await rolling.finish("upl_c", [ida, idb2, idc]) == digest(a, b2, c)
    # Replaced after being hashed: the background digest is void, completion hashes itself.
    for number, oid in ((1, ida), (2, idb), (3, idc)):
        rolling.part_stored("upl_d", number, oid)
    await settle(rolling)
    rolling.part_stored("upl_d", 2, idb2)
    assert await rolling.finish("upl_d", [ida, idb2, idc]) is None


async def test_other_part_lists_fall_back(store: LocalStore) -> None:
    rolling = RollingHashes(store)
    ids = [await put(store, data(10_000, seed=i)) for i in range(3)]
    for upload in ("upl_e", "upl_f", "upl_g"):
        for number, oid in enumerate(ids, 1):
            rolling.part_stored(upload, number, oid)
    await settle(rolling)
    assert await rolling.finish("upl_e", ids[:2]) is None  # fewer parts than were hashed
    assert await rolling.finish("upl_f", [ids[0], ids[2]]) is None  # a part left out
    rolling.forget("upl_g")
    assert await rolling.finish("upl_g", ids) is None  # aborted
    assert await rolling.finish("upl_unknown", ids) is None  # another instance's upload


async def test_a_vanished_part_stops_the_background_hash(store: LocalStore) -> None:
    rolling = RollingHashes(store)
    ids = [await put(store, data(10_000, seed=i)) for i in range(2)]
    await store.delete(ids[0])
    rolling.part_stored("upl_h", 1, ids[0])
    rolling.part_stored("upl_h", 2, ids[1])
    await settle(rolling)
    assert rolling._uploads["upl_h"].broken
    assert await rolling.finish("upl_h", ids) is None


async def test_a_read_failing_half_way_never_yields_a_wrong_digest(store: LocalStore) -> None:
    """A storage error after part of a part was hashed must not leave those bytes behind."""
    from bucketry_server.storage import StorageError

    parts = [data(200_000, seed=i) for i in range(3)]
    ids = [await put(store, p) for p in parts]
    feed = store.feed

    async def flaky(object_id: str, sink: Any) -> None:
        if object_id == ids[1]:
            sink(parts[1][:1000])  # some bytes arrive, then the read fails
            raise StorageError("S3 error: SlowDown")
        await feed(object_id, sink)

    store.feed = flaky  # type: ignore[method-assign]
    rolling = RollingHashes(store)
    for number, oid in enumerate(ids, 1):
        rolling.part_stored("upl_i", number, oid)
    await settle(rolling)
    store.feed = feed  # type: ignore[method-assign]
    assert await rolling.finish("upl_i", ids) in (None, digest(*parts))
