"""Behaviour every ObjectStore must show, run against LocalStore and S3Store alike."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import cast

import anyio
import pytest

from bucketry_server.storage import (
    ChecksumMismatchError,
    Expected,
    LocalStore,
    ObjectMissingError,
    ObjectStore,
    S3Store,
    TooLargeError,
)

pytestmark = pytest.mark.anyio

MIB = 1 << 20


def new_id() -> str:
    return "obj_" + uuid.uuid4().hex


def data(n: int, seed: int = 0) -> bytes:
    """Deterministic incompressible-looking bytes, cheap to generate."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (n // len(block) + 1))[:n]


async def agen(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        await anyio.lowlevel.checkpoint()
        yield chunk


def split(payload: bytes, size: int) -> list[bytes]:
    return [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]


async def read_all(
    store: ObjectStore, object_id: str, start: int = 0, end: int | None = None
) -> bytes:
    return b"".join([chunk async for chunk in store.read(object_id, start, end)])


async def put(store: ObjectStore, payload: bytes, chunk: int = 64 * 1024) -> str:
    object_id = new_id()
    await store.write(object_id, agen(*split(payload, chunk)))
    return object_id


async def leftovers(store: ObjectStore) -> list[str]:
    """Everything an interrupted write could leave behind."""
    if isinstance(store, LocalStore):
        return [p.name for p in store.tmp_dir.iterdir()]
    assert isinstance(store, S3Store)
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
    found = [u["Key"] for u in uploads.get("Uploads", [])]
    assert store.spool_dir is not None
    return found + os.listdir(store.spool_dir)


async def assert_nothing_stored(store: ObjectStore, object_id: str) -> None:
    assert not await store.exists(object_id)
    assert object_id not in await store.list_ids()
    assert await leftovers(store) == []


# ---------------------------------------------------------------------- write / read


@pytest.mark.parametrize("size", [0, 1, 100_000, 2 * MIB + 3])
@pytest.mark.parametrize("chunk", [1000, 64 * 1024, 3 * MIB])
async def test_write_read_round_trip(store: ObjectStore, size: int, chunk: int) -> None:
    payload = data(size, seed=size)
    object_id = new_id()
    result = await store.write(object_id, agen(*split(payload, chunk)))
    assert result.size == size
    assert result.md5_hex is None  # md5 is computed only when the client declared one
    assert result.sha256_hex == hashlib.sha256(payload).hexdigest()
    assert await store.exists(object_id)
    assert await read_all(store, object_id) == payload
    assert await leftovers(store) == []


async def test_large_write_spooled_multipart(store: ObjectStore) -> None:
    """Above 8 MiB the S3 store spools to disk and uploads in parts."""
    payload = data(17 * MIB + 5, seed=11)
    object_id = new_id()
    result = await store.write(object_id, agen(*split(payload, 256 * 1024)))
    assert result.sha256_hex == hashlib.sha256(payload).hexdigest()
    assert await read_all(store, object_id) == payload
    assert await leftovers(store) == []


async def test_read_yields_bounded_chunks(store: ObjectStore) -> None:
    payload = data(3 * MIB + 10)
    object_id = await put(store, payload)
    sizes = [len(c) async for c in store.read(object_id)]
    assert sum(sizes) == len(payload) and max(sizes) <= MIB


async def test_write_accepts_matching_expectations(store: ObjectStore) -> None:
    payload = data(5000)
    expected = Expected(
        md5_hex=hashlib.md5(payload).hexdigest().upper(),
        sha256_hex=hashlib.sha256(payload).hexdigest(),
        max_size=len(payload),
    )
    object_id = new_id()
    result = await store.write(object_id, agen(payload[:10], payload[10:]), expected)
    assert result.size == len(payload)
    assert result.md5_hex == hashlib.md5(payload).hexdigest()
    assert await read_all(store, object_id) == payload


async def test_overwrite_same_id_replaces(store: ObjectStore) -> None:
    object_id = await put(store, b"first version")
    await store.write(object_id, agen(b"second"))
    assert await read_all(store, object_id) == b"second"


RANGE_SIZE = MIB + 1000


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, None),
        (0, 0),
        (10, 19),
        (5, None),
        (MIB - 5, MIB + 5),  # across a read-chunk boundary
        (RANGE_SIZE - 1, None),
        (RANGE_SIZE - 1, RANGE_SIZE - 1),
        (100, RANGE_SIZE + 100),  # end past the object: clamped
        (RANGE_SIZE, None),  # start at the end: nothing
        (RANGE_SIZE + 10, RANGE_SIZE + 20),
        (20, 10),  # end before start: nothing
    ],
)
async def test_read_ranges(store: ObjectStore, start: int, end: int | None) -> None:
    payload = data(RANGE_SIZE, seed=7)
    object_id = await put(store, payload)
    want = payload[start:] if end is None else payload[start : end + 1]
    assert await read_all(store, object_id, start, end) == want


async def test_read_range_small(store: ObjectStore) -> None:
    payload = data(10_000, seed=3)
    object_id = await put(store, payload)
    assert await store.read_range(object_id, 0, 4) == payload[:4]
    assert await store.read_range(object_id, 9_990, 100) == payload[9_990:]
    assert await store.read_range(object_id, 500, 0) == b""
    assert await store.read_range(object_id, 500, 1000) == payload[500:1500]


async def test_missing_object(store: ObjectStore) -> None:
    missing = new_id()
    assert not await store.exists(missing)
    with pytest.raises(ObjectMissingError):
        await read_all(store, missing)
    with pytest.raises(ObjectMissingError):
        await store.read_range(missing, 0, 10)


async def test_reader_closed_early(store: ObjectStore) -> None:
    payload = data(3 * MIB)
    object_id = await put(store, payload)
    reader = cast(AsyncGenerator[bytes, None], store.read(object_id))
    first = await reader.__anext__()
    assert first == payload[: len(first)]
    await reader.aclose()  # a client that disconnects mid-download
    assert await read_all(store, object_id, 5, 9) == payload[5:10]


# ---------------------------------------------------------------------- failed writes


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
@pytest.mark.parametrize("size", [1000, 9 * MIB])  # in memory / spooled to disk (S3)
async def test_checksum_mismatch_stores_nothing(
    store: ObjectStore, algorithm: str, size: int
) -> None:
    payload = data(size)
    wrong = Expected(md5_hex="0" * 32) if algorithm == "md5" else Expected(sha256_hex="0" * 64)
    object_id = new_id()
    with pytest.raises(ChecksumMismatchError) as info:
        await store.write(object_id, agen(*split(payload, 256 * 1024)), wrong)
    assert info.value.algorithm == algorithm
    await assert_nothing_stored(store, object_id)


async def test_too_large_stores_nothing(store: ObjectStore) -> None:
    object_id = new_id()
    with pytest.raises(TooLargeError):
        await store.write(object_id, agen(*split(data(3 * MIB), 100_000)), Expected(max_size=MIB))
    await assert_nothing_stored(store, object_id)


@pytest.mark.parametrize("size", [1000, 9 * MIB])
async def test_raising_iterator_stores_nothing(store: ObjectStore, size: int) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for chunk in split(data(size), 512 * 1024):
            yield chunk
        raise ConnectionResetError("client went away")

    object_id = new_id()
    with pytest.raises(ConnectionResetError):
        await store.write(object_id, chunks())
    await assert_nothing_stored(store, object_id)


async def test_cancelled_write_stores_nothing(store: ObjectStore) -> None:
    async def stalled() -> AsyncIterator[bytes]:
        yield data(2 * MIB)
        await anyio.sleep_forever()
        yield b"never"

    object_id = new_id()
    with anyio.move_on_after(0.2) as scope:
        await store.write(object_id, stalled())
    assert scope.cancelled_caught
    await assert_nothing_stored(store, object_id)


# ---------------------------------------------------------------------- compose / copy / delete


async def test_compose_three_parts(store: ObjectStore) -> None:
    parts = [data(5 * MIB, seed=1), data(5 * MIB, seed=2), b"tail of the upload"]
    part_ids = [await put(store, p, chunk=MIB) for p in parts]
    whole = b"".join(parts)
    object_id = new_id()
    expected = Expected(
        md5_hex=hashlib.md5(whole).hexdigest(), sha256_hex=hashlib.sha256(whole).hexdigest()
    )
    result = await store.compose(object_id, part_ids, expected)
    assert (result.size, result.md5_hex) == (len(whole), hashlib.md5(whole).hexdigest())
    assert result.sha256_hex == hashlib.sha256(whole).hexdigest()
    assert await read_all(store, object_id) == whole
    assert (
        await read_all(store, object_id, 5 * MIB - 2, 5 * MIB + 1)
        == whole[5 * MIB - 2 : 5 * MIB + 2]
    )
    for part_id in part_ids:  # parts are the caller's to delete
        assert await store.exists(part_id)
    assert await leftovers(store) == []


async def test_compose_single_and_empty_parts(store: ObjectStore) -> None:
    payload = data(70_000, seed=9)
    one = await put(store, payload)
    empty = await put(store, b"")
    object_id = new_id()
    result = await store.compose(object_id, [one, empty])
    assert result.size == len(payload)
    assert await read_all(store, object_id) == payload
    nothing = new_id()
    assert (await store.compose(nothing, [empty])).size == 0
    assert await store.exists(nothing)
    assert await read_all(store, nothing) == b""


async def test_compose_mismatch_stores_nothing(store: ObjectStore) -> None:
    part_ids = [await put(store, data(5 * MIB, seed=4), chunk=MIB), await put(store, b"end")]
    object_id = new_id()
    with pytest.raises(ChecksumMismatchError):
        await store.compose(object_id, part_ids, Expected(md5_hex="f" * 32))
    with pytest.raises(TooLargeError):
        await store.compose(object_id, part_ids, Expected(max_size=100))
    await assert_nothing_stored(store, object_id)


async def test_compose_with_a_known_digest(store: ObjectStore) -> None:
    """Parts hashed beforehand are not read again; what the client declared is still checked."""
    parts = [data(5 * MIB, seed=11), b"end"]
    part_ids = [await put(store, p, chunk=MIB) for p in parts]
    whole = b"".join(parts)
    sha = hashlib.sha256(whole).hexdigest()
    object_id = new_id()
    result = await store.compose(object_id, part_ids, Expected(sha256_hex=sha), sha256_hex=sha)
    assert (result.size, result.sha256_hex, result.md5_hex) == (len(whole), sha, None)
    assert await read_all(store, object_id) == whole
    other = new_id()
    with pytest.raises(ChecksumMismatchError):
        await store.compose(other, part_ids, Expected(sha256_hex="0" * 64), sha256_hex=sha)
    with pytest.raises(TooLargeError):
        await store.compose(other, part_ids, Expected(max_size=10), sha256_hex=sha)
    # An MD5 to check means reading after all.
    md5 = hashlib.md5(whole).hexdigest()
    result = await store.compose(other, part_ids, Expected(md5_hex=md5), sha256_hex="0" * 64)
    assert (result.md5_hex, result.sha256_hex) == (md5, sha)
    with pytest.raises(ObjectMissingError):
        await store.compose(new_id(), [part_ids[0], new_id()], sha256_hex=sha)


async def test_compose_missing_part(store: ObjectStore) -> None:
    object_id = new_id()
    with pytest.raises(ObjectMissingError):
        await store.compose(object_id, [await put(store, b"a"), new_id()])
    await assert_nothing_stored(store, object_id)


async def test_copy(store: ObjectStore) -> None:
    payload = data(300_000, seed=5)
    src = await put(store, payload)
    dst = new_id()
    await store.copy(src, dst)
    await store.delete(src)
    assert await read_all(store, dst) == payload
    assert not await store.exists(src)
    with pytest.raises(ObjectMissingError):
        await store.copy(src, new_id())
    assert await leftovers(store) == []


async def test_delete(store: ObjectStore) -> None:
    object_id = await put(store, b"bye")
    await store.delete(object_id)
    assert not await store.exists(object_id)
    await store.delete(object_id)  # missing is fine
    await store.delete(new_id())


async def test_list_ids(store: ObjectStore) -> None:
    assert await store.list_ids() == []
    ids = {await put(store, data(10, seed=i)) for i in range(3)}
    assert set(await store.list_ids()) == ids


async def test_concurrent_writes(store: ObjectStore) -> None:
    payloads = {new_id(): data(200_000 + i, seed=i) for i in range(10)}

    async def one(object_id: str, payload: bytes) -> None:
        result = await store.write(object_id, agen(*split(payload, 32 * 1024)))
        assert result.sha256_hex == hashlib.sha256(payload).hexdigest()

    async with anyio.create_task_group() as tg:
        for object_id, payload in payloads.items():
            tg.start_soon(one, object_id, payload)
    assert set(await store.list_ids()) == set(payloads)
    for object_id, payload in payloads.items():
        assert await read_all(store, object_id) == payload


async def test_sweep_temp(store: ObjectStore) -> None:
    if isinstance(store, LocalStore):
        (store.tmp_dir / "obj_dead.tmp").write_bytes(b"partial")
        (store.tmp_dir / "stray-dir").mkdir()
        planted = 2
    else:
        assert isinstance(store, S3Store)
        for _ in range(2):
            store.client.create_multipart_upload(Bucket=store.bucket, Key=store.prefix + new_id())
        planted = 2
    kept = await put(store, b"complete objects survive")
    assert await store.sweep_temp() == planted
    assert await leftovers(store) == []
    assert await store.sweep_temp() == 0
    assert await read_all(store, kept) == b"complete objects survive"


async def test_sweep_temp_spares_recent(store: ObjectStore) -> None:
    if isinstance(store, LocalStore):
        (store.tmp_dir / "obj_live.tmp").write_bytes(b"in flight")
        assert await store.sweep_temp(older_than=3600) == 0
        assert await store.sweep_temp() == 1
    else:
        assert isinstance(store, S3Store)
        store.client.create_multipart_upload(Bucket=store.bucket, Key=store.prefix + new_id())
        assert await store.sweep_temp(older_than=3600) == 0
        assert await store.sweep_temp() == 1


# ---------------------------------------------------------------------- ids


BAD_IDS = [
    "../x",
    "obj_../../etc",
    "obj_../../../../etc/passwd",
    "obj_" + "A" * 32,
    "obj_" + "0" * 31,
    "obj_" + "0" * 33,
    "obj_" + "0" * 32 + "\n",
    "/obj_" + "0" * 32,
    "",
]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_invalid_ids_rejected(store: ObjectStore, bad: str) -> None:
    good = await put(store, b"x")
    with pytest.raises(ValueError):
        await store.write(bad, agen(b"x"))
    with pytest.raises(ValueError):
        await read_all(store, bad)
    with pytest.raises(ValueError):
        await store.read_range(bad, 0, 1)
    with pytest.raises(ValueError):
        await store.exists(bad)
    with pytest.raises(ValueError):
        await store.delete(bad)
    with pytest.raises(ValueError):
        await store.copy(good, bad)
    with pytest.raises(ValueError):
        await store.copy(bad, new_id())
    with pytest.raises(ValueError):
        await store.compose(new_id(), [good, bad])
    with pytest.raises(ValueError):
        await store.compose(bad, [good])
    assert await store.list_ids() == [good]
    assert await leftovers(store) == []


def test_local_layout(tmp_path: Path) -> None:
    """Objects fan out under objects/ by their id's first hex digits; nothing else is named
    after user input."""
    store = LocalStore(tmp_path)
    object_id = new_id()
    anyio.run(store.write, object_id, agen(b"stored under its id"))
    path = tmp_path / "objects" / object_id[4:6] / object_id[6:8] / object_id
    assert path.read_bytes() == b"stored under its id"


async def test_cancelled_when_committing_stores_nothing(store: ObjectStore) -> None:
    """Cancellation arriving after the last chunk, as the write is being made visible."""
    object_id = new_id()
    with anyio.CancelScope() as scope:

        async def chunks() -> AsyncIterator[bytes]:
            yield data(100_000)
            scope.cancel()

        await store.write(object_id, chunks())
    assert scope.cancelled_caught
    await assert_nothing_stored(store, object_id)
