"""The streaming tar reader against archives written by Python's tarfile, and broken ones."""

from __future__ import annotations

import asyncio
import io
import tarfile
from collections.abc import AsyncIterator

import pytest

from bucketry_server.blobs.tarstream import ByteStream, StreamTooLarge, TarError, TarReader


def make_tar(
    members: list[tuple[str, bytes]], fmt: int = tarfile.PAX_FORMAT, **kw: object
) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, **kw) as tar:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def read_all(
    data: bytes, chunk: int = 7, limit: int = 1 << 30
) -> list[tuple[str, bytes, bytes, dict[str, str]]]:
    async def run() -> list[tuple[str, bytes, bytes, dict[str, str]]]:
        reader = TarReader(ByteStream(_chunks(data, chunk), limit), global_keys=("G",))
        out = []
        while (m := await reader.next()) is not None:
            body = await reader.read_data() if m.is_file else b""
            out.append((m.name, m.type, body, m.pax))
        return out

    return asyncio.run(run())


FILES = [
    ("a.txt", b"hello"),
    ("dir/nested/b.bin", bytes(range(256)) * 5),
    ("empty", b""),
    ("x" * 120 + "/long-name-" + "y" * 150, b"long"),
    ("ünïcødé/日本語.txt", "ü".encode() * 600),
    ("exact", b"z" * 1024),
]


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
@pytest.mark.parametrize("chunk", [1, 7, 512, 65536])
def test_reads_tarfile_archives(fmt: int, chunk: int) -> None:
    got = read_all(make_tar(FILES, fmt), chunk)
    assert [(n, d) for n, _, d, _ in got] == FILES


def test_ustar_prefix_field() -> None:
    name = "p" * 90 + "/" + "q" * 90  # > 100 bytes: split into prefix + name
    got = read_all(make_tar([(name, b"data")], tarfile.USTAR_FORMAT))
    assert [(n, d) for n, _, d, _ in got] == [(name, b"data")]


def test_pax_records_and_globals() -> None:
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"G": "1"}
    ) as tar:
        info = tarfile.TarInfo("f")
        info.size = 3
        info.pax_headers = {"BUCKETRY.sha256": "abc", "BUCKETRY.metadata": '{"k": "v"}'}
        tar.addfile(info, io.BytesIO(b"123"))
        d = tarfile.TarInfo("d")
        d.type = tarfile.DIRTYPE
        tar.addfile(d)
        link = tarfile.TarInfo("l")
        link.type = tarfile.SYMTYPE
        link.linkname = "f"
        tar.addfile(link)
    got = read_all(buf.getvalue())
    assert got[0][0] == "f" and got[0][2] == b"123"
    assert got[0][3]["BUCKETRY.sha256"] == "abc" and got[0][3]["G"] == "1"
    assert got[0][3]["BUCKETRY.metadata"] == '{"k": "v"}'
    assert [(n, t) for n, t, _, _ in got[1:]] == [("d/", b"5"), ("l", b"2")]


def test_corrupt_checksum() -> None:
    data = bytearray(make_tar([("a", b"x")]))
    data[10] ^= 0xFF  # inside the first header's name
    with pytest.raises(TarError, match="checksum"):
        read_all(bytes(data))


def test_truncated_streams() -> None:
    data = make_tar([("a", b"x" * 2000)], tarfile.USTAR_FORMAT)
    with pytest.raises(TarError):
        read_all(data[:300])  # inside the header
    with pytest.raises(TarError):
        read_all(data[:1000])  # inside the data
    with pytest.raises(TarError, match="end-of-archive"):
        read_all(data[: 512 * 5])  # cut after a whole member, before the end blocks
    with pytest.raises(TarError, match="no body"):
        read_all(b"")  # not even the end blocks: not an archive
    assert read_all(data[: 512 * 6]) == [("a", b"0", b"x" * 2000, {})]  # one zero block ends it
    assert read_all(make_tar([])) == []


def test_garbage_and_bad_pax() -> None:
    with pytest.raises(TarError):
        read_all(b"not a tar" * 100)
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    bad = b"99 path=x\n"
    info.size = len(bad)
    header = info.tobuf(tarfile.USTAR_FORMAT)
    stream = header + bad + b"\0" * (512 - len(bad)) + make_tar([("a", b"1")])
    with pytest.raises(TarError, match="PAX"):
        read_all(stream)


def test_limit() -> None:
    with pytest.raises(StreamTooLarge):
        read_all(make_tar([("a", b"x" * 5000)]), limit=4096)
