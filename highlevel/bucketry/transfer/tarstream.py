"""Tar streams for batch uploads: small files as one ``application/x-tar`` request body.

Each member is a PAX extended header (the records ``BUCKETRY.sha256``, ``BUCKETRY.content_type``,
``BUCKETRY.metadata``, and ``path`` when the name does not fit a ustar header), a ustar header,
the file's bytes and zero padding to 512 bytes; two zero blocks end the archive. Headers are
encoded here rather than by ``tarfile.TarInfo.tobuf`` (about 70 µs a member, and under the GIL)
— ``tarfile`` reads them back in the unit tests.

The body's length is known before the first byte is sent (the SHA-256 record always has 64 hex
digits), so the request carries a ``Content-Length``. Files are read one at a time while the
body streams — the digest of a member is computed from the bytes read for it, just before its
header goes out — so memory stays at one member plus a 256 KiB buffer. A file that cannot be
read, or whose size changed since it was planned, aborts the body with ``MemberReadError``
(naming the member); the caller drops it and sends the rest again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .bodies import Flag, TransferCancelled, _SizedBody
from .single import FileChangedError

BLOCK = 512
END_OF_ARCHIVE = bytes(2 * BLOCK)
FLUSH_AT = 256 * 1024
SHA256_RECORD = "BUCKETRY.sha256"
CONTENT_TYPE_RECORD = "BUCKETRY.content_type"
METADATA_RECORD = "BUCKETRY.metadata"
_NO_DIGEST_YET = "0" * 64
_PAX_NAME = b"././@PaxHeader"


class MemberReadError(OSError):
    """A member's file could not be read as planned; ``index`` says which member."""

    def __init__(self, index: int, cause: OSError) -> None:
        super().__init__(str(cause))
        self.index = index
        self.cause = cause


@dataclass(frozen=True)
class TarMember:
    """One regular file of a batch: its path, member ``name`` (the key below the batch prefix),
    planned size and mtime, and the records stored with it."""

    path: Path
    name: str
    size: int
    mtime_ns: int
    metadata: str  # JSON object, as ``X-Blob-Metadata`` would carry it
    content_type: str | None = None
    checksum: bool = True

    def header(self, sha256: str | None) -> bytes:
        """PAX extended header + ustar header for this member (``sha256`` when checksummed)."""
        records: list[tuple[str, str]] = []
        if self.checksum:
            records.append((SHA256_RECORD, sha256 or _NO_DIGEST_YET))
        if self.content_type:
            records.append((CONTENT_TYPE_RECORD, self.content_type))
        records.append((METADATA_RECORD, self.metadata))
        encoded = self.name.encode("ascii", "replace")
        if len(encoded) > 100 or not self.name.isascii():
            records.append(("path", self.name))  # the ustar field keeps an ASCII stand-in
            encoded = encoded[:100]
        pax = pax_records(records)
        mtime = max(0, self.mtime_ns // 1_000_000_000)
        return b"".join(
            (
                ustar_header(_PAX_NAME, len(pax), mtime, b"x"),
                pax,
                bytes(padding(len(pax))),
                ustar_header(encoded, self.size, mtime, b"0"),
            )
        )

    @property
    def encoded_size(self) -> int:
        """Bytes this member takes in the stream (headers, data, padding)."""
        return len(self.header(None)) + self.size + padding(self.size)


def padding(size: int) -> int:
    return -size % BLOCK


def pax_records(records: Sequence[tuple[str, str]]) -> bytes:
    """``"%d %s=%s\\n"`` records, each length counting its own digits."""
    out = bytearray()
    for keyword, value in records:
        body = b" " + keyword.encode("utf-8") + b"=" + value.encode("utf-8") + b"\n"
        length = len(body) + len(str(len(body)))
        if len(str(length)) + len(body) != length:  # one more digit
            length += 1
        out += str(length).encode("ascii") + body
    return bytes(out)


def ustar_header(name: bytes, size: int, mtime: int, typeflag: bytes) -> bytes:
    """A 512-byte ustar header (mode 0644, owner 0:0)."""
    block = bytearray(BLOCK)
    block[0 : len(name)] = name
    block[100:108] = b"0000644\0"
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    block[124:136] = b"%011o\0" % size
    block[136:148] = b"%011o\0" % min(mtime, 0o77777777777)
    block[148:156] = b" " * 8
    block[156:157] = typeflag
    block[257:265] = b"ustar\x0000"
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def read_exactly(path: Path, size: int) -> bytes:
    """The whole file, which must still be ``size`` bytes long."""
    with path.open("rb", buffering=0) as f:
        chunks: list[bytes] = []
        got = 0
        while got <= size:
            chunk = f.read(size + 1 - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    if got != size:
        raise FileChangedError(f"{path} changed size while uploading ({size} → {got} bytes)")
    return b"".join(chunks)


class TarBody(_SizedBody):
    """A request body of ``members`` as a tar stream with a known length; iterating it again
    reads the files again (so a retried request sends the same bytes)."""

    def __init__(self, members: Sequence[TarMember], *, cancel: Flag | None = None) -> None:
        self.members = list(members)
        self.length = sum(m.encoded_size for m in self.members) + len(END_OF_ARCHIVE)
        self._cancel = cancel

    def __iter__(self) -> Iterator[bytes]:
        buf = bytearray()
        for index, member in enumerate(self.members):
            if self._cancel is not None and self._cancel.is_set():
                raise TransferCancelled("transfer cancelled")
            try:
                data = read_exactly(member.path, member.size)
            except OSError as exc:
                raise MemberReadError(index, exc) from exc
            digest = hashlib.sha256(data).hexdigest() if member.checksum else None
            buf += member.header(digest)
            buf += data
            buf += bytes(padding(len(data)))
            if len(buf) >= FLUSH_AT:
                yield bytes(buf)
                buf.clear()
        buf += END_OF_ARCHIVE
        yield bytes(buf)


def tar_member_name_ok(name: str) -> bool:
    """Whether ``name`` can travel as a member name (UTF-8 encodable, no NUL)."""
    if not name or "\x00" in name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
