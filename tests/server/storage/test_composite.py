"""LocalStore composites: multipart objects kept as hard-linked parts instead of a copy."""

from __future__ import annotations

import errno
import hashlib
import os
import random
from pathlib import Path

import pytest

from bucketry_server.storage import Expected, LocalStore, ObjectMissingError
from bucketry_server.storage import local as local_module
from bucketry_server.storage import segments as segments_module

from .test_stores import data, new_id, put, read_all

pytestmark = pytest.mark.anyio

SIZES = [70_000, 0, 65_536, 1, 130_001]  # an empty part in the middle, a 1-byte part


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


async def composed(store: LocalStore) -> tuple[str, list[str], bytes]:
    parts = [data(n, seed=i) for i, n in enumerate(SIZES)]
    part_ids = [await put(store, p, chunk=10_000) for p in parts]
    whole = b"".join(parts)
    object_id = new_id()
    result = await store.compose(
        object_id, part_ids, Expected(sha256_hex=hashlib.sha256(whole).hexdigest())
    )
    assert result.size == len(whole) and result.sha256_hex == hashlib.sha256(whole).hexdigest()
    return object_id, part_ids, whole


async def test_parts_are_linked_not_copied(store: LocalStore) -> None:
    object_id, part_ids, whole = await composed(store)
    folder = store._path(object_id)
    assert folder.is_dir() and sorted(os.listdir(folder)) == [
        f"{i:06d}" for i in range(1, len(SIZES) + 1)
    ]
    for index, part_id in enumerate(part_ids, 1):
        assert os.stat(folder / f"{index:06d}").st_ino == os.stat(store._path(part_id)).st_ino
    for part_id in part_ids:  # the upload's parts go; the object keeps their data
        await store.delete(part_id)
    assert await read_all(store, object_id) == whole
    assert await store.exists(object_id) and object_id in await store.list_ids()
    assert list(store.tmp_dir.iterdir()) == []


async def test_ranges_across_segment_boundaries(store: LocalStore) -> None:
    object_id, _, whole = await composed(store)
    bounds = [0]
    for n in SIZES:
        bounds.append(bounds[-1] + n)
    points = sorted({max(0, b + d) for b in bounds for d in (-1, 0, 1)})
    for start in points:
        for end in [*points, None]:
            if end is not None and end < start:
                continue
            want = whole[start : None if end is None else end + 1]
            assert await read_all(store, object_id, start, end) == want, (start, end)
    rng = random.Random(7)
    for _ in range(200):
        start = rng.randrange(len(whole) + 10)
        length = rng.randrange(0, 140_000)
        assert await store.read_range(object_id, start, length) == whole[start : start + length]


async def test_copy_and_delete_of_a_composite(store: LocalStore) -> None:
    object_id, part_ids, whole = await composed(store)
    twin = new_id()
    await store.copy(object_id, twin)
    await store.delete(object_id)
    for part_id in part_ids:
        await store.delete(part_id)
    assert not await store.exists(object_id) and not store._path(object_id).exists()
    assert await read_all(store, twin) == whole
    assert set(await store.list_ids()) == {twin}
    assert list(store.tmp_dir.iterdir()) == []  # the trash is emptied, nothing half-deleted
    await store.delete_many([twin])
    assert await store.list_ids() == []
    with pytest.raises(ObjectMissingError):
        await read_all(store, twin)


async def test_single_part_and_copy_are_links(store: LocalStore) -> None:
    payload = data(50_000, seed=3)
    part = await put(store, payload)
    single = new_id()
    await store.compose(single, [part])
    twin = new_id()
    await store.copy(single, twin)
    inodes = {os.stat(store._path(x)).st_ino for x in (part, single, twin)}
    assert len(inodes) == 1 and store._path(single).is_file()
    await store.delete(part)
    await store.delete(single)
    assert await read_all(store, twin) == payload


async def test_without_hard_links_the_bytes_are_copied(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported here")

    monkeypatch.setattr(local_module.os, "link", no_links)
    monkeypatch.setattr(segments_module.os, "link", no_links)
    object_id, part_ids, whole = await composed(store)
    assert store._path(object_id).is_file()  # one file holding every byte
    twin = new_id()
    await store.copy(object_id, twin)
    for oid in [object_id, *part_ids]:
        await store.delete(oid)
    assert await read_all(store, twin) == whole
    assert list(store.tmp_dir.iterdir()) == []


async def test_failed_compose_leaves_nothing(store: LocalStore) -> None:
    part_ids = [await put(store, data(n, seed=i)) for i, n in enumerate(SIZES)]
    object_id = new_id()
    with pytest.raises(Exception, match="sha256"):
        await store.compose(object_id, part_ids, Expected(sha256_hex="0" * 64))
    assert not store._path(object_id).exists() and list(store.tmp_dir.iterdir()) == []
    assert set(await store.list_ids()) == set(part_ids)
    for part_id in part_ids:  # the parts are untouched, their link counts back to one
        assert os.stat(store._path(part_id)).st_nlink == 1
