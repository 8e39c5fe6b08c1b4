"""Zip listing and member ranges (blobs_zip_list / blobs_zip_range) against the real server."""

from __future__ import annotations

import asyncio
import io
import os
import random
import struct
import zipfile
import zlib
from datetime import datetime

import httpx
import pytest

from bucketry_api import ApiClient, ClientError
from bucketry_api.models import BucketCreate, PublicAccess
from bucketry_server.blobs import zipinfo
from tests.support.live_server import LiveServer

FILES: dict[str, bytes] = {
    "a.txt": b"hello zip\n" * 50,
    "docs/b.txt": b"b" * 3000,
    "docs/sub/c.bin": os.urandom(5000),  # incompressible
    "img/x.png": b"\x89PNG" + bytes(range(256)) * 20,
    "empty.txt": b"",
}


def build_zip(
    files: dict[str, bytes] = FILES,
    *,
    dirs: tuple[str, ...] = ("docs/",),
    comment: bytes = b"",
    force_zip64: bool = False,
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for d in dirs:
            zf.writestr(zipfile.ZipInfo(d, date_time=(2024, 5, 6, 7, 8, 10)), b"")
        for i, (name, data) in enumerate(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2023, 1, 2, 3, 4, 6))
            info.compress_type = zipfile.ZIP_DEFLATED if i % 2 == 0 else zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=force_zip64) as f:
                f.write(data)
        zf.comment = comment
    return buf.getvalue()


def build_zip64() -> bytes:
    """A true ZIP64 archive (ZIP64 extras in the central directory, ZIP64 EOCD record and
    locator) without gigabytes: zipfile switches to ZIP64 above ``ZIP64_LIMIT``, lowered here."""
    saved = zipfile.ZIP64_LIMIT
    setattr(zipfile, "ZIP64_LIMIT", 1000)  # noqa: B010 - a Final in the stubs
    try:
        data = build_zip(force_zip64=True)
    finally:
        setattr(zipfile, "ZIP64_LIMIT", saved)  # noqa: B010
    assert b"PK\x06\x06" in data[-200:] and b"PK\x06\x07" in data[-100:]
    return data


@pytest.fixture
def bucket(alice: ApiClient, unique: str) -> str:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"zip-{unique}"))
    return b.id


def put(api: ApiClient, bucket: str, key: str, data: bytes) -> None:
    api.blobs.put(bucket, key=key, body=data)


def ranged_get(api: ApiClient, bucket: str, key: str, start: int, end: int) -> bytes:
    if end < start:
        return b""
    _, resp = api.blobs.get(bucket, key=key, range_=f"bytes={start}-{end}")
    assert resp.status_code == 206
    return resp.content


def check_members(api: ApiClient, bucket: str, key: str, files: dict[str, bytes]) -> None:
    """Each member's range, read with one ranged GET (+ raw inflate), gives the member back."""
    for name, content in files.items():
        rng, _ = api.blobs.zip_range(bucket, key=key, member=name)
        assert rng.member == name
        assert rng.size == len(content)
        assert rng.crc32 == zlib.crc32(content)
        assert rng.end - rng.start + 1 == rng.compressed_size
        raw = ranged_get(api, bucket, key, rng.start, rng.end)
        if rng.method == 0:
            assert raw == content
        else:
            assert rng.method == 8
            inflater = zlib.decompressobj(-15)
            assert inflater.decompress(raw) + inflater.flush() == content


# ---------------------------------------------------------------------------- listing


def test_list_recursive_and_members_read_back(alice: ApiClient, bucket: str) -> None:
    data = build_zip()
    put(alice, bucket, "arch/a.zip", data)
    listing, _ = alice.blobs.zip_list(bucket, key="arch/a.zip")
    assert listing.size == len(data)
    by_name = {m.name: m for m in listing.members}
    assert list(by_name) == ["docs/", *FILES]  # archive order
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            m = by_name[info.filename]
            assert (m.size, m.compressed_size, m.offset, m.method, m.crc32) == (
                info.file_size,
                info.compress_size,
                info.header_offset,
                info.compress_type,
                info.CRC,
            )
            assert m.is_dir == info.is_dir()
    assert by_name["docs/"].is_dir and by_name["docs/"].modified_at is not None
    assert by_name["a.txt"].method == 8 and by_name["docs/b.txt"].method == 0
    modified = by_name["a.txt"].modified_at
    assert isinstance(modified, datetime) and modified.isoformat().startswith("2023-01-02T03:04:06")
    check_members(alice, bucket, "arch/a.zip", FILES)


def test_list_one_level(alice: ApiClient, bucket: str) -> None:
    put(alice, bucket, "a.zip", build_zip())

    def names(path: str, recursive: bool) -> list[tuple[str, bool]]:
        listing, _ = alice.blobs.zip_list(bucket, key="a.zip", path=path, recursive=recursive)
        return [(m.name, m.is_dir) for m in listing.members]

    # "docs/" has its own entry, "img/" only exists through its member: both are folders here.
    assert names("", False) == [
        ("docs/", True),
        ("a.txt", False),
        ("img/", True),
        ("empty.txt", False),
    ]
    assert names("docs", False) == [("docs/b.txt", False), ("docs/sub/", True)]
    assert names("docs/", True) == [("docs/b.txt", False), ("docs/sub/c.bin", False)]
    assert names("/docs/sub/", False) == [("docs/sub/c.bin", False)]
    with pytest.raises(ClientError) as exc:
        alice.blobs.zip_list(bucket, key="a.zip", path="nope")
    assert exc.value.status_code == 404


def test_zip64_archive(alice: ApiClient, bucket: str) -> None:
    data = build_zip64()
    put(alice, bucket, "z64.zip", data)
    listing, _ = alice.blobs.zip_list(bucket, key="z64.zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        expected = {
            i.filename: (i.file_size, i.compress_size, i.header_offset) for i in zf.infolist()
        }
    assert {m.name: (m.size, m.compressed_size, m.offset) for m in listing.members} == expected
    check_members(alice, bucket, "z64.zip", FILES)


def test_long_comment_and_prepended_data(alice: ApiClient, bucket: str) -> None:
    # A comment longer than the first tail read forces the second, larger one.
    commented = build_zip(comment=b"c" * 20_000)
    put(alice, bucket, "comment.zip", commented)
    check_members(alice, bucket, "comment.zip", FILES)
    # Data before the archive (self-extracting executables) shifts every offset.
    stub = b"#!/bin/sh\nexit 0\n" + os.urandom(1000)
    put(alice, bucket, "sfx.zip", stub + build_zip())
    listing, _ = alice.blobs.zip_list(bucket, key="sfx.zip")
    assert min(m.offset for m in listing.members) == len(stub)
    check_members(alice, bucket, "sfx.zip", FILES)


def test_many_members(alice: ApiClient, bucket: str) -> None:
    files = {f"d{i % 7}/f{i:04d}.txt": f"file {i}".encode() for i in range(1500)}
    put(alice, bucket, "many.zip", build_zip(files, dirs=()))
    listing, _ = alice.blobs.zip_list(bucket, key="many.zip")
    assert len(listing.members) == 1500
    listing, _ = alice.blobs.zip_list(bucket, key="many.zip", recursive=False)
    assert sorted(m.name for m in listing.members) == [f"d{i}/" for i in range(7)]
    check_members(alice, bucket, "many.zip", {k: files[k] for k in list(files)[::300]})


def test_directory_parsing_stays_off_the_event_loop(
    alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing a central directory (CPU in proportion to up to 128 MiB) and building a listing
    of its members run in worker threads, never on the server's event loop."""
    on_loop: list[bool] = []
    parse = zipinfo._parse_directory
    build = zipinfo.list_members

    def running_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def parse_spy(directory: bytes, concat: int) -> list[zipinfo.ZipEntry]:
        on_loop.append(running_loop())
        return parse(directory, concat)

    def list_spy(
        entries: list[zipinfo.ZipEntry], path: str, recursive: bool
    ) -> list[zipinfo.ZipEntry] | None:
        on_loop.append(running_loop())
        return build(entries, path, recursive)

    monkeypatch.setattr(zipinfo, "_parse_directory", parse_spy)
    monkeypatch.setattr(zipinfo, "list_members", list_spy)
    put(alice, bucket, "a.zip", build_zip(FILES))
    listing, _ = alice.blobs.zip_list(bucket, key="a.zip")
    assert len(listing.members) > 0
    assert on_loop == [False, False]


def test_members_beyond_the_limit_are_refused(
    alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archive of more than MAX_MEMBERS members is a 422 naming the limit, not a request
    that holds millions of entries in memory."""
    files = {f"f{i:03d}.txt": b"x" for i in range(30)}
    put(alice, bucket, "big.zip", build_zip(files, dirs=()))
    monkeypatch.setattr(zipinfo, "MAX_MEMBERS", 20)
    with pytest.raises(ClientError) as exc:
        alice.blobs.zip_list(bucket, key="big.zip")
    assert exc.value.status_code == 422
    assert exc.value.problem["code"] == "corrupt_zip"
    assert "more than 20 members" in exc.value.problem["detail"]


# ---------------------------------------------------------------------------- errors


def test_not_a_zip_and_missing(alice: ApiClient, bucket: str) -> None:
    put(alice, bucket, "plain.bin", os.urandom(10_000))
    put(alice, bucket, "tiny.bin", b"PK")
    put(alice, bucket, "empty.bin", b"")
    for key in ("plain.bin", "tiny.bin", "empty.bin"):
        for call in (
            lambda k=key: alice.blobs.zip_list(bucket, key=k),
            lambda k=key: alice.blobs.zip_range(bucket, key=k, member="a.txt"),
        ):
            with pytest.raises(ClientError) as exc:
                call()
            assert (exc.value.status_code, exc.value.problem["code"]) == (422, "not_a_zip")
    put(alice, bucket, "ok.zip", build_zip())
    with pytest.raises(ClientError) as exc:
        alice.blobs.zip_range(bucket, key="ok.zip", member="nope.txt")
    assert exc.value.status_code == 404
    with pytest.raises(ClientError) as exc:
        alice.blobs.zip_list(bucket, key="missing.zip")
    assert exc.value.status_code == 404
    with pytest.raises(ClientError) as exc:
        alice.blobs.zip_list(bucket, key="../x.zip")
    assert exc.value.status_code == 400


def test_corrupt_archives_answer_422(alice: ApiClient, bucket: str) -> None:
    good = build_zip()
    eocd = good.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<L", good, eocd + 16)[0]
    cases = {
        # central directory offset beyond the data that remains
        "truncated.zip": good[cd_offset - 100 : cd_offset] + good[cd_offset:],
        # a damaged central directory entry
        "badcd.zip": good[:cd_offset] + b"XXXX" + good[cd_offset + 4 :],
        # an EOCD announcing a directory larger than the file
        "huge.zip": good[: eocd + 12] + struct.pack("<L", 0x7FFFFFFF) + good[eocd + 16 :],
    }
    for key, data in cases.items():
        put(alice, bucket, key, data)
        with pytest.raises(ClientError) as exc:
            alice.blobs.zip_list(bucket, key=key)
        assert exc.value.status_code == 422, key
        assert exc.value.problem["code"] == "corrupt_zip"
    # A broken local header is only seen when a member's range is asked for.
    first = good.find(b"PK\x03\x04")
    put(alice, bucket, "badlocal.zip", good[:first] + b"XXXX" + good[first + 4 :])
    alice.blobs.zip_list(bucket, key="badlocal.zip")
    with pytest.raises(ClientError) as exc:
        alice.blobs.zip_range(bucket, key="badlocal.zip", member="docs/")
    assert (exc.value.status_code, exc.value.problem["code"]) == (422, "corrupt_zip")


def test_fuzzed_archives_never_500(
    server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str
) -> None:
    rnd = random.Random(1234)
    good = build_zip()
    headers = {"Authorization": f"Bearer {users['alice']}"}
    base = f"{server.api}/buckets/{bucket}/blob/zip"
    for i in range(12):
        data = bytearray(good)
        for _ in range(rnd.randint(1, 8)):
            data[rnd.randrange(len(data) - 200, len(data))] = rnd.randrange(256)
        key = f"fuzz/{i}.zip"
        put(alice, bucket, key, bytes(data))
        r = httpx.get(base, params={"key": key}, headers=headers)
        assert r.status_code in (200, 422), r.text
        r = httpx.get(base + "/range", params={"key": key, "member": "a.txt"}, headers=headers)
        assert r.status_code in (200, 404, 422), r.text


def test_parser_fuzz_raises_only_zip_errors() -> None:
    """In-process fuzz of the parser: any damage gives ZipError, never another exception."""
    rnd = random.Random(99)
    samples = [build_zip(), build_zip64(), build_zip(comment=b"x" * 5000)]

    async def run(data: bytes) -> None:
        async def read(start: int, length: int) -> bytes:
            assert start >= 0 and length >= 0
            return data[start : start + length]

        try:
            entries = await zipinfo.read_central_directory(read, len(data))
            for e in entries:
                await zipinfo.member_data_range(read, len(data), e)
        except zipinfo.ZipError:
            pass

    for _ in range(1500):
        data = bytearray(rnd.choice(samples))
        mode = rnd.random()
        if mode < 0.4:
            for _ in range(rnd.randint(1, 10)):
                data[rnd.randrange(max(0, len(data) - 400), len(data))] = rnd.randrange(256)
        elif mode < 0.7:
            for _ in range(rnd.randint(1, 10)):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
        else:
            cut = rnd.randrange(len(data))
            data = data[cut:] if rnd.random() < 0.5 else data[:cut]
        asyncio.run(run(bytes(data)))


# ---------------------------------------------------------------------------- access


def test_zip_access(
    server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str
) -> None:
    put(alice, bucket, "a.zip", build_zip())
    anonymous = ApiClient(server.url)
    with ApiClient(server.url, token=users["bob"]) as bob, anonymous:
        for api in (bob, anonymous):
            with pytest.raises(ClientError) as exc:
                api.blobs.zip_list(bucket, key="a.zip")
            assert exc.value.status_code == 404
        alice.buckets.set_public(bucket, body=PublicAccess(public=True))
        for api in (bob, anonymous):
            listing, _ = api.blobs.zip_list(bucket, key="a.zip")
            assert len(listing.members) == len(FILES) + 1
            rng, _ = api.blobs.zip_range(bucket, key="a.zip", member="docs/b.txt")
            assert rng.size == len(FILES["docs/b.txt"])
