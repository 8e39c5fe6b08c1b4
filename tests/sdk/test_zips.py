"""Zip archives through the SDK against the live server: ``blob.zip().list/open``, streamed
members (stored, deflate; CRC-32 checked; unsupported members refused), and
``bucket.download(..., decompress=True)`` (safe extraction, member paths)."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import httpx
import pytest

from bucketry import (
    Bucket,
    Client,
    IntegrityError,
    NotFoundError,
    UnsafeArchiveError,
    ZipUnsupportedError,
)
from bucketry.cli import main
from bucketry.transfer import unzip
from bucketry.transfer.unzip import safe_member_path
from tests.support.live_server import LiveServer

BIG = os.urandom(16 * 1024) * 160  # 2.5 MiB that deflate shrinks (repeats within its window)
FILES = {
    "readme.txt": b"hello zip\n" * 100,
    "logs/stdout.txt": b"line\n" * 5000,
    "big.bin": BIG,
    "logs/deep/err.bin": os.urandom(3000),
    "empty.txt": b"",
}


def build(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, (name, data) in enumerate(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6))
            info.compress_type = method if i % 2 == 0 else zipfile.ZIP_STORED
            zf.writestr(info, data)
    return buf.getvalue()


def patch_central(data: bytes, name: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Change one field of ``name``'s central directory entry (``offset`` from its start)."""
    at = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    out = bytearray(data)
    struct.pack_into(fmt, out, at + offset, value)
    return bytes(out)


@pytest.fixture
def archive(bucket: Bucket) -> Bucket:
    bucket.blob("out.zip").write_bytes(build(FILES))
    return bucket


def test_list_one_level_and_recursive(archive: Bucket) -> None:
    listing = archive.blob("out.zip").zip().list()
    names = sorted(m.name for m in listing)
    assert names == ["big.bin", "empty.txt", "logs/", "readme.txt"]
    assert listing.size == archive.blob("out.zip").stat().size
    big = next(m for m in listing if m.name == "big.bin")
    assert big.size == len(BIG) and 0 < big.compressed_size < len(BIG) and big.method == 8
    assert big.crc32 is not None and big.modified_at is not None and not big.encrypted
    assert next(m for m in listing if m.name == "logs/").is_dir
    deep = archive.blob("out.zip").zip().list("logs", recursive=True)
    assert sorted(m.name for m in deep) == ["logs/deep/err.bin", "logs/stdout.txt"]
    assert deep.total_size == len(FILES["logs/stdout.txt"]) + 3000
    with pytest.raises(NotFoundError):
        archive.blob("out.zip").zip().list("nope/")


def test_open_streams_stored_and_deflated_members(archive: Bucket) -> None:
    z = archive.blob("out.zip").zip()
    for name, data in FILES.items():
        assert z.read(name) == data, name
    with z.open("big.bin", chunk_size=16 * 1024) as reader:
        pieces = []
        while chunk := reader.read(10_000):
            assert len(chunk) <= 16 * 1024  # never more than a chunk at a time
            pieces.append(chunk)
    assert b"".join(pieces) == BIG
    with pytest.raises(NotFoundError):
        z.open("missing.txt")


def test_member_is_one_ranged_get(archive: Bucket, client: Client) -> None:
    seen: list[httpx.Request] = []
    http = client.http
    http.event_hooks["request"].append(seen.append)
    try:
        assert archive.blob("out.zip").zip().read("big.bin") == BIG
    finally:
        http.event_hooks["request"].remove(seen.append)
    gets = [r for r in seen if r.url.path.endswith("/blob") and r.method == "GET"]
    assert len(gets) == 1 and gets[0].headers["range"].startswith("bytes=")
    assert gets[0].headers.get("if-match")  # pinned to the archive's version


def test_crc_mismatch_raises(bucket: Bucket) -> None:
    files = {"a.txt": b"abc" * 1000, "b.txt": b"stored" * 100}
    data = build(files)
    good = zipfile.ZipFile(io.BytesIO(data)).getinfo("a.txt").CRC
    bucket.blob("bad.zip").write_bytes(patch_central(data, b"a.txt", 16, "<L", good ^ 1))
    with pytest.raises(IntegrityError, match="CRC-32"):
        bucket.blob("bad.zip").zip().read("a.txt")


def test_unsupported_members_are_refused(bucket: Bucket) -> None:
    data = build({"a.txt": b"x" * 5000}, method=zipfile.ZIP_BZIP2)
    bucket.blob("bz.zip").write_bytes(data)
    with pytest.raises(ZipUnsupportedError, match="method 12"):
        bucket.blob("bz.zip").zip().open("a.txt")
    plain = build({"a.txt": b"x" * 5000})
    bucket.blob("enc.zip").write_bytes(patch_central(plain, b"a.txt", 8, "<H", 1))
    assert bucket.blob("enc.zip").zip().list().members[0].encrypted
    with pytest.raises(ZipUnsupportedError, match="encrypted"):
        bucket.blob("enc.zip").zip().open("a.txt")


def test_download_decompress_extracts_archive(archive: Bucket, tmp_path: Path) -> None:
    report = archive.download("out.zip", tmp_path, decompress=True)
    assert report.ok
    assert not (tmp_path / "out.zip").exists()
    for name, data in FILES.items():
        assert (tmp_path / "out" / name).read_bytes() == data


def test_download_decompress_folder_of_archives(archive: Bucket, tmp_path: Path) -> None:
    archive.blob("runs/r1/output.zip").write_bytes(build({"x.txt": b"one"}))
    archive.download("runs/", tmp_path / "d", decompress=True)
    assert (tmp_path / "d" / "r1" / "output" / "x.txt").read_bytes() == b"one"
    assert not (tmp_path / "d" / "r1" / "output.zip").exists()


def test_download_member_path(archive: Bucket, tmp_path: Path) -> None:
    archive.download("out.zip/logs/stdout.txt", tmp_path, decompress=True)
    assert (tmp_path / "stdout.txt").read_bytes() == FILES["logs/stdout.txt"]
    archive.download("bkt://" + archive.ref + "/out.zip/big.bin", tmp_path / "b", decompress=True)
    assert (tmp_path / "b").read_bytes() == BIG
    report = archive.download("out.zip/logs/", tmp_path / "logs", decompress=True)
    assert len(report) == 2
    assert (tmp_path / "logs" / "deep" / "err.bin").read_bytes() == FILES["logs/deep/err.bin"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "logs", "stdout.txt"]
    with pytest.raises(NotFoundError):
        archive.download("out.zip/logs/none.txt", tmp_path, decompress=True)


def _evil(name: str, data: bytes = b"evil", mode: int | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.create_system = 3
            info.external_attr = mode << 16
        zf.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("../escape.txt", None),
        ("a/../../escape.txt", None),
        ("/tmp/escape.txt", None),
        ("C:/escape.txt", None),
        ("..\\escape.txt", None),
        ("link", stat.S_IFLNK | 0o777),
    ],
)
def test_malicious_archive_writes_nothing(
    bucket: Bucket, tmp_path: Path, name: str, mode: int | None
) -> None:
    payload = b"/etc/passwd" if mode is not None else b"evil"
    bucket.blob("evil.zip").write_bytes(_evil(name, payload, mode))
    target = tmp_path / "t" / "inner"
    target.mkdir(parents=True)
    with pytest.raises(UnsafeArchiveError):
        bucket.download("evil.zip", target, decompress=True)
    # nothing extracted anywhere: only the kept archive exists below tmp_path
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["t/inner/evil.zip"]
    assert not Path("/tmp/escape.txt").exists()


def test_zip_bomb_larger_than_the_free_space_writes_nothing(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few KiB of deflated zeros that would inflate past the disk's free space (16 MiB
    here) are refused before anything is written, not extracted until the disk is full."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            zf.writestr(f"zeros{i}.bin", bytes(8 * 1024 * 1024))
    assert len(buf.getvalue()) < 100_000
    bucket.blob("bomb.zip").write_bytes(buf.getvalue())
    # raising=False: the helper may not exist (then the extraction is unbounded)
    monkeypatch.setattr(unzip, "free_bytes", lambda folder: 16 * 1024 * 1024, raising=False)
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(UnsafeArchiveError, match="16777216"):
        bucket.download("bomb.zip", target, decompress=True)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["t/bomb.zip"]


def test_member_path_cannot_escape(bucket: Bucket, tmp_path: Path) -> None:
    bucket.blob("evil.zip").write_bytes(_evil("x/../../up.txt"))
    with pytest.raises(UnsafeArchiveError):
        bucket.download("evil.zip/x/", tmp_path / "t", decompress=True)
    assert not (tmp_path / "up.txt").exists()
    with pytest.raises(UnsafeArchiveError):
        safe_member_path(tmp_path, "../x")


def test_cli_cp_decompress(
    archive: Bucket,
    tmp_path: Path,
    server: LiveServer,
    users: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BUCKETRY_URL", server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", users["alice"])
    monkeypatch.setenv("BUCKETRY_NO_PROGRESS", "1")
    src = f"bkt://{archive.ref}/out.zip/logs/stdout.txt"
    assert main(["cp", "--decompress", src, str(tmp_path) + "/"]) == 0
    assert (tmp_path / "stdout.txt").read_bytes() == FILES["logs/stdout.txt"]
    assert main(["cp", "--decompress", f"bkt://{archive.ref}/out.zip", str(tmp_path) + "/"]) == 0
    assert (tmp_path / "out" / "big.bin").read_bytes() == BIG
    capsys.readouterr()


def test_member_larger_than_declared_is_cut_and_refused(bucket: Bucket, tmp_path: Path) -> None:
    data = build({"bomb.txt": b"A" * 200_000})  # deflated (index 0)
    lying = patch_central(data, b"bomb.txt", 24, "<L", 1000)  # declares 1000 bytes
    bucket.blob("bomb.zip").write_bytes(lying)
    reader = bucket.blob("bomb.zip").zip().open("bomb.txt")
    got = 0
    with pytest.raises(IntegrityError):
        while chunk := reader.read(4096):
            got += len(chunk)
    assert got <= 1000  # never more than the declared size reached the caller
    reader.close()
    with pytest.raises(IntegrityError):  # local extraction stops at 1000 bytes: CRC fails
        bucket.download("bomb.zip", tmp_path, decompress=True)
    assert not (tmp_path / "bomb" / "bomb.txt").exists()


def test_zip64_member_streams(bucket: Bucket) -> None:
    saved = zipfile.ZIP64_LIMIT
    setattr(zipfile, "ZIP64_LIMIT", 1000)  # noqa: B010 - true ZIP64 records without gigabytes
    try:
        buf = io.BytesIO()
        with (
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
            zf.open("z.bin", "w", force_zip64=True) as f,
        ):
            f.write(BIG[:50_000])
    finally:
        setattr(zipfile, "ZIP64_LIMIT", saved)  # noqa: B010
    bucket.blob("z64.zip").write_bytes(buf.getvalue())
    assert bucket.blob("z64.zip").zip().read("z.bin") == BIG[:50_000]
