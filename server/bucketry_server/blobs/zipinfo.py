"""Read a zip archive's directory through ranged reads, never the whole archive.

The End Of Central Directory record (and, for ZIP64 archives, its locator and the ZIP64 EOCD
record) sits in the last bytes of the file: one small tail read finds it (a second, larger one
only when a long archive comment pushes it further back). The central directory it points to is
then fetched with one ranged read and parsed with ``struct``. A member's data starts after its
local file header, whose variable-length part needs one more 30-byte read.

Everything here raises :class:`ZipError` (not a zip) or :class:`ZipCorruptError` (truncated or
inconsistent) for bad input, never anything else, so the routes can answer 422 instead of 500.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "MAX_CENTRAL_DIRECTORY",
    "MAX_MEMBERS",
    "ZipCorruptError",
    "ZipEntry",
    "ZipError",
    "list_members",
    "member_data_range",
    "read_central_directory",
]

#: Reads a range of the archive: ``(start, length) -> bytes`` (shorter only at the end).
RangeReader = Callable[[int, int], Awaitable[bytes]]

FIRST_TAIL = 4096  # covers the EOCD + ZIP64 locator of any archive with a short comment
EOCD_SIZE = 22
MAX_COMMENT = 0xFFFF
ZIP64_LOCATOR_SIZE = 20
ZIP64_EOCD_SIZE = 56
#: Central directories larger than this are refused.
MAX_CENTRAL_DIRECTORY = 128 * 1024 * 1024
#: Archives with more members than this are refused: a request holds every entry (and a
#: listing of them) in memory, and a crafted 128 MiB directory of empty names would otherwise
#: be close to three million of them.
MAX_MEMBERS = 200_000

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")

_SIG_EOCD = b"PK\x05\x06"
_SIG_ZIP64_LOCATOR = b"PK\x06\x07"
_SIG_ZIP64_EOCD = b"PK\x06\x06"
_SIG_CENTRAL = b"PK\x01\x02"
_SIG_LOCAL = b"PK\x03\x04"


class ZipError(Exception):
    """The blob is not a zip archive."""


class ZipCorruptError(ZipError):
    """The blob looks like a zip archive but is truncated or inconsistent."""


@dataclass(frozen=True, slots=True)
class ZipEntry:
    name: str
    size: int
    compressed_size: int
    offset: int  # of the local file header, in the blob
    method: int
    crc32: int | None
    modified_at: datetime | None  # naive UTC
    is_dir: bool
    flags: int = 0


async def _read_exact(read: RangeReader, start: int, length: int, what: str) -> bytes:
    data = await read(start, length)
    if len(data) != length:
        raise ZipCorruptError(f"archive truncated while reading the {what}")
    return data


def _find_eocd(tail: bytes) -> int | None:
    """Offset in ``tail`` of the last EOCD record whose comment length reaches the end exactly."""
    pos = len(tail) - EOCD_SIZE
    while pos >= 0:
        pos = tail.rfind(_SIG_EOCD, 0, pos + 4)
        if pos < 0:
            return None
        comment_len = struct.unpack_from("<H", tail, pos + 20)[0]
        if pos + EOCD_SIZE + comment_len == len(tail):
            return pos
        pos -= 1
    return None


def dos_time(date: int, time: int) -> datetime | None:
    """MS-DOS date/time fields (local time of the archiver; reported as UTC) or None if invalid."""
    try:
        return datetime(
            (date >> 9) + 1980,
            (date >> 5) & 0xF,
            date & 0x1F,
            time >> 11,
            (time >> 5) & 0x3F,
            min((time & 0x1F) * 2, 59),
        )
    except ValueError:
        return None


def _parse_extra(
    extra: bytes, size: int, csize: int, offset: int
) -> tuple[int, int, int, datetime | None]:
    """Apply the ZIP64 extended information (0x0001) and the extended timestamp (0x5455)."""
    mtime: datetime | None = None
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, i)
        body = extra[i + 4 : i + 4 + length]
        if len(body) != length:
            raise ZipCorruptError("extra field overruns its entry")
        if tag == 0x0001:
            j = 0
            values: list[int] = []
            for _ in ("size", "csize", "offset"):
                if j + 8 <= len(body):
                    values.append(struct.unpack_from("<Q", body, j)[0])
                    j += 8
            it = iter(values)
            try:
                if size == 0xFFFFFFFF:
                    size = next(it)
                if csize == 0xFFFFFFFF:
                    csize = next(it)
                if offset == 0xFFFFFFFF:
                    offset = next(it)
            except StopIteration:
                raise ZipCorruptError("ZIP64 extra field too short") from None
        elif tag == 0x5455 and length >= 5 and body[0] & 1:
            seconds = struct.unpack_from("<l", body, 1)[0]
            try:
                mtime = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
            except (OverflowError, OSError, ValueError):
                mtime = None
        i += 4 + length
    if 0xFFFFFFFF in (size, csize, offset):
        raise ZipCorruptError("ZIP64 sizes announced but no ZIP64 extra field")
    return size, csize, offset, mtime


def _parse_directory(directory: bytes, concat: int) -> list[ZipEntry]:
    """The entries of a central directory; ``concat`` bytes were prepended to the archive.
    CPU work in proportion to the directory: call it off the event loop. Raises
    ``ZipCorruptError`` for a damaged directory or more than :data:`MAX_MEMBERS` entries."""
    entries: list[ZipEntry] = []
    i = 0
    while i < len(directory):
        if len(entries) >= MAX_MEMBERS:
            raise ZipCorruptError(f"the archive has more than {MAX_MEMBERS} members")
        if i + _CENTRAL.size > len(directory):
            raise ZipCorruptError("truncated central directory entry")
        f = _CENTRAL.unpack_from(directory, i)
        if f[0] != _SIG_CENTRAL:
            raise ZipCorruptError("bad central directory entry signature")
        flags, method, mtime, mdate, crc = f[5], f[6], f[7], f[8], f[9]
        csize, usize, n_len, e_len, c_len, offset = f[10], f[11], f[12], f[13], f[14], f[18]
        start = i + _CENTRAL.size
        raw_name = directory[start : start + n_len]
        extra = directory[start + n_len : start + n_len + e_len]
        if len(raw_name) != n_len or len(extra) != e_len:
            raise ZipCorruptError("truncated central directory entry")
        i = start + n_len + e_len + c_len
        if i > len(directory):
            raise ZipCorruptError("truncated central directory entry")
        name = raw_name.decode("utf-8", "replace") if flags & 0x800 else raw_name.decode("cp437")
        usize, csize, offset, ext_time = _parse_extra(extra, usize, csize, offset)
        entries.append(
            ZipEntry(
                name=name,
                size=usize,
                compressed_size=csize,
                offset=offset + concat,
                method=method,
                crc32=crc,
                modified_at=ext_time or dos_time(mdate, mtime),
                is_dir=name.endswith("/"),
                flags=flags,
            )
        )
    return entries


async def read_central_directory(read: RangeReader, size: int) -> list[ZipEntry]:
    """Every entry of the archive's central directory, in archive order (parsed in a worker
    thread). Raises ``ZipError`` / ``ZipCorruptError``."""
    if size < EOCD_SIZE:
        raise ZipError("too small to be a zip archive")
    tail_len = min(size, FIRST_TAIL)
    tail = await _read_exact(read, size - tail_len, tail_len, "end of the archive")
    pos = _find_eocd(tail)
    if pos is None and tail_len < size:
        tail_len = min(size, EOCD_SIZE + MAX_COMMENT + ZIP64_LOCATOR_SIZE)
        tail = await _read_exact(read, size - tail_len, tail_len, "end of the archive")
        pos = _find_eocd(tail)
    if pos is None:
        raise ZipError("no end of central directory record: not a zip archive")
    eocd_at = size - tail_len + pos
    (_, disk, cd_disk, _n_disk, count, cd_size, cd_offset, _) = _EOCD.unpack_from(tail, pos)
    if disk != 0 or cd_disk != 0:
        raise ZipCorruptError("multi-volume archives are not supported")
    end_of_cd = eocd_at  # where the central directory should end
    locator_at = eocd_at - ZIP64_LOCATOR_SIZE
    if locator_at >= 0:
        if pos >= ZIP64_LOCATOR_SIZE:
            locator = tail[pos - ZIP64_LOCATOR_SIZE : pos]
        else:
            locator = await _read_exact(read, locator_at, ZIP64_LOCATOR_SIZE, "ZIP64 locator")
        if locator[:4] == _SIG_ZIP64_LOCATOR:
            _, _, z64_at, _ = _ZIP64_LOCATOR.unpack(locator)
            # Archives with data prepended: the record sits just before the locator.
            expected_at = locator_at - ZIP64_EOCD_SIZE
            if expected_at < 0:
                raise ZipCorruptError("ZIP64 end of central directory out of range")
            record = await _read_exact(read, expected_at, ZIP64_EOCD_SIZE, "ZIP64 record")
            if record[:4] != _SIG_ZIP64_EOCD:
                if z64_at + ZIP64_EOCD_SIZE > size:
                    raise ZipCorruptError("ZIP64 end of central directory out of range")
                record = await _read_exact(read, z64_at, ZIP64_EOCD_SIZE, "ZIP64 record")
                expected_at = z64_at
                if record[:4] != _SIG_ZIP64_EOCD:
                    raise ZipCorruptError("bad ZIP64 end of central directory signature")
            fields = _ZIP64_EOCD.unpack(record)
            count, cd_size, cd_offset = fields[7], fields[8], fields[9]
            end_of_cd = expected_at
    # Data prepended to the archive (self-extractors) shifts every offset by ``concat``.
    concat = end_of_cd - cd_size - cd_offset
    if concat < 0 or cd_offset < 0:
        raise ZipCorruptError("central directory out of range")
    if cd_size > MAX_CENTRAL_DIRECTORY:
        raise ZipCorruptError(f"central directory larger than {MAX_CENTRAL_DIRECTORY} bytes")
    directory = (
        await _read_exact(read, cd_offset + concat, cd_size, "central directory")
        if cd_size
        else b""
    )
    entries = await asyncio.to_thread(_parse_directory, directory, concat)
    if (count - len(entries)) % 0x10000:  # some writers store the count modulo 2**16
        raise ZipCorruptError(
            f"the archive announces {count} entries but its directory holds {len(entries)}"
        )
    return entries


def list_members(entries: list[ZipEntry], path: str, recursive: bool) -> list[ZipEntry] | None:
    """Members under the folder ``path`` (all levels, or one level with folders as ``is_dir``
    entries); None when nothing lives under ``path``."""
    folder = path.strip("/")
    prefix = folder + "/" if folder else ""
    out: list[ZipEntry] = []
    seen_dirs: dict[str, int] = {}
    found = not folder
    for e in entries:
        if not e.name.startswith(prefix):
            continue
        found = True
        rest = e.name[len(prefix) :]
        if not rest:  # the folder's own entry
            continue
        if recursive:
            out.append(e)
            continue
        head, sep, tail = rest.partition("/")
        if not sep:  # a file directly in the folder
            out.append(e)
            continue
        dirname = prefix + head + "/"
        if tail == "" and e.is_dir:  # the child folder's own entry: prefer it
            if dirname in seen_dirs:
                out[seen_dirs[dirname]] = e
            else:
                seen_dirs[dirname] = len(out)
                out.append(e)
        elif dirname not in seen_dirs:
            seen_dirs[dirname] = len(out)
            out.append(
                ZipEntry(
                    name=dirname,
                    size=0,
                    compressed_size=0,
                    offset=0,
                    method=0,
                    crc32=None,
                    modified_at=None,
                    is_dir=True,
                )
            )
    return out if found else None


async def member_data_range(read: RangeReader, size: int, entry: ZipEntry) -> tuple[int, int]:
    """``(start, end)`` (end inclusive; ``start - 1`` when empty) of a member's stored data."""
    if entry.offset + _LOCAL.size > size:
        raise ZipCorruptError("local header out of range")
    header = await _read_exact(read, entry.offset, _LOCAL.size, "local header")
    fields = _LOCAL.unpack(header)
    if fields[0] != _SIG_LOCAL:
        raise ZipCorruptError("bad local file header signature")
    start = entry.offset + _LOCAL.size + fields[9] + fields[10]
    end = start + entry.compressed_size - 1
    if end >= size:
        raise ZipCorruptError("member data runs past the end of the archive")
    return start, end
