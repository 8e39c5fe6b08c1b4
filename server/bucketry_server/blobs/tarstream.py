"""A small streaming tar reader over an async byte stream (ustar, pax and GNU long names).

Python's :mod:`tarfile` needs a blocking file object; request bodies arrive as an async stream.
This reader walks 512-byte headers as the bytes arrive and never holds more than one member's
data (which the caller reads or skips) plus one network chunk.

Supported: regular files (``0``, ``\\0``, ``7``), directories (``5``), PAX extended headers
(``x`` per member, ``g`` global), GNU long names/link names (``L``/``K``), base-256 sizes.
Other types (links, devices, FIFOs, GNU sparse files) are reported with their type so the caller
can refuse them; their data is skipped. A bad checksum, a malformed number or PAX record, or a
stream that ends inside a header or member, or before the end-of-archive marker (a zero block;
writers add two), raises :class:`TarError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

BLOCK = 512
#: Largest PAX header or GNU long name accepted (they are read whole into memory).
MAX_META_BLOCK = 1 << 20

REGULAR = (b"0", b"\0", b"7")
DIRECTORY = b"5"
_META_TYPES = (b"x", b"g", b"L", b"K", b"X")
_NO_DATA = (b"1", b"2", b"3", b"4", b"5", b"6")


class TarError(Exception):
    """The stream is not a well-formed tar archive."""


class StreamTooLarge(Exception):
    """The body exceeded the reader's byte limit."""


class ByteStream:
    """Exact-size reads over an async iterator of chunks, counting bytes against ``limit``."""

    def __init__(self, chunks: AsyncIterator[bytes], limit: int) -> None:
        self._chunks = chunks.__aiter__()
        self._buf = bytearray()
        self._pos = 0
        self._eof = False
        self.limit = limit
        self.received = 0

    async def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._eof = True
            return False
        self.received += len(chunk)
        if self.received > self.limit:
            raise StreamTooLarge(f"request body larger than {self.limit} bytes")
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += chunk
        return True

    async def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes, or fewer only at the end of the stream."""
        while len(self._buf) - self._pos < n:
            if not await self._fill():
                break
        out = bytes(self._buf[self._pos : self._pos + n])
        self._pos += len(out)
        return out

    async def skip(self, n: int) -> int:
        """Discard up to ``n`` bytes without keeping them; returns how many were skipped."""
        skipped = 0
        while n > 0:
            available = len(self._buf) - self._pos
            if available == 0:
                if not await self._fill():
                    break
                continue
            step = min(available, n)
            self._pos += step
            skipped += step
            n -= step
        if self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        return skipped

    async def drain(self) -> None:
        """Consume the rest of the stream (still counted against the limit)."""
        self._buf.clear()
        self._pos = 0
        while await self._fill():
            self._buf.clear()


@dataclass
class TarMember:
    name: str  # UTF-8 decoded with surrogateescape (undecodable bytes stay detectable)
    type: bytes
    size: int
    pax: dict[str, str] = field(default_factory=dict)  # this member's (and global) records

    @property
    def is_file(self) -> bool:
        return self.type in REGULAR

    @property
    def is_dir(self) -> bool:
        return self.type == DIRECTORY


def _padding(size: int) -> int:
    return -size % BLOCK


def _cstr(field_bytes: bytes) -> bytes:
    end = field_bytes.find(b"\0")
    return field_bytes if end < 0 else field_bytes[:end]


def _number(field_bytes: bytes) -> int:
    if field_bytes and field_bytes[0] & 0x80:  # GNU base-256
        if field_bytes[0] != 0x80:
            raise TarError("negative or oversized base-256 number in a tar header")
        return int.from_bytes(field_bytes[1:], "big")
    text = _cstr(field_bytes).strip(b" \0")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise TarError(f"malformed number {text!r} in a tar header") from None


def _check_sum(block: bytes) -> None:
    stored = _number(block[148:156])
    unsigned = sum(block) - sum(block[148:156]) + 8 * 32
    if stored == unsigned:
        return
    signed = unsigned - 256 * sum(1 for b in block if b > 127)
    signed += 256 * sum(1 for b in block[148:156] if b > 127)
    if stored != signed:
        raise TarError("tar header checksum mismatch (corrupt or not a tar stream)")


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_pax(data: bytes) -> dict[str, str]:
    """``"<len> <key>=<value>\\n"`` records → dict (later records win)."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # trailing NUL padding (tolerated)
            break
        space = data.find(b" ", pos, pos + 21)
        if space < 0:
            raise TarError("malformed PAX record")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise TarError("malformed PAX record length") from None
        end = pos + length
        if length <= 0 or end > len(data) or end <= space + 1 or data[end - 1] != 0x0A:
            raise TarError("malformed PAX record")
        key, eq, value = data[space + 1 : end - 1].partition(b"=")
        if not eq or not key:
            raise TarError("malformed PAX record")
        records[_decode(key)] = _decode(value)
        pos = end
    return records


class TarReader:
    """``await next()`` → the next member (or None at the end); then either ``read_data()`` or
    leave it (the next call skips unread data)."""

    def __init__(self, stream: ByteStream, global_keys: tuple[str, ...] = ()) -> None:
        self.stream = stream
        self.global_keys = global_keys  # global PAX records applied to later members
        self._globals: dict[str, str] = {}
        self._pending = 0  # unread data + padding of the current member
        self._data_left = 0

    async def _exact(self, n: int) -> bytes:
        data = await self.stream.read(n)
        if len(data) != n:
            raise TarError("the tar stream ends in the middle of a member")
        return data

    async def _skip_exact(self, n: int) -> None:
        if await self.stream.skip(n) != n:
            raise TarError("the tar stream ends in the middle of a member")

    async def _meta_data(self, size: int) -> bytes:
        if size > MAX_META_BLOCK:
            raise TarError(f"PAX header or long name larger than {MAX_META_BLOCK} bytes")
        data = await self._exact(size)
        await self._skip_exact(_padding(size))
        return data

    async def next(self) -> TarMember | None:
        if self._pending:
            await self._skip_exact(self._pending)
            self._pending = self._data_left = 0
        pax: dict[str, str] = {}
        long_name: str | None = None
        while True:
            block = await self.stream.read(BLOCK)
            if not block and self.stream.received == 0:  # the body is required
                raise TarError("the request has no body (a tar stream is required)")
            if not block:  # a cut after a whole member looks just like this: not an end
                raise TarError("the tar stream ends without its end-of-archive blocks (truncated)")
            if len(block) != BLOCK:
                raise TarError("the tar stream ends in the middle of a header")
            if not any(block):
                return None  # end-of-archive marker
            _check_sum(block)
            typ = block[156:157]
            size = _number(block[124:136])
            if typ in _META_TYPES:
                data = await self._meta_data(size)
                if typ in (b"x", b"X"):
                    pax.update(parse_pax(data))
                elif typ == b"g":
                    records = parse_pax(data)
                    self._globals.update(
                        {k: v for k, v in records.items() if k in self.global_keys}
                    )
                elif typ == b"L":
                    long_name = _decode(_cstr(data))
                continue  # K (long link name): only links use it, and those are refused
            name = _decode(_cstr(block[0:100]))
            if block[257:263] == b"ustar\0":  # POSIX: prefix field (GNU uses it otherwise)
                prefix = _cstr(block[345:500])
                if prefix:
                    name = _decode(prefix) + "/" + name
            if long_name is not None:
                name = long_name
            if "path" in pax:
                name = pax["path"]
            if "size" in pax:
                try:
                    size = int(pax["size"])
                except ValueError:
                    raise TarError("malformed PAX size") from None
                if size < 0:
                    raise TarError("malformed PAX size")
            if typ == b"\0" and name.endswith("/"):
                typ = DIRECTORY  # pre-POSIX archives mark directories by the trailing slash
            if typ in _NO_DATA:
                size = 0  # like tarfile: links, devices, FIFOs and directories carry no data
            merged = {**self._globals, **pax} if self._globals else pax
            self._data_left = size
            self._pending = size + _padding(size)
            return TarMember(name=name, type=typ, size=size, pax=merged)

    async def read_data(self) -> bytes:
        """The current member's data (call at most once per member)."""
        data = await self._exact(self._data_left)
        await self._skip_exact(_padding(self._data_left))
        self._pending = self._data_left = 0
        return data
