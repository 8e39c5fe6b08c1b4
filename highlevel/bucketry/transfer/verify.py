"""The running checksum of a download, checked in the same pass as the bytes are written.

The blob's CRC32C when it has one (computed inline on the receiving thread: the CPU's CRC
instruction keeps up with any network), else its SHA-256 (computed in a worker thread,
:class:`.checksums.ThreadedHasher`, so receiving, writing and hashing overlap on two cores);
``checksum="sha256"`` prefers the SHA-256 when the blob has both. A resumed download hashes
the partial file's existing prefix once, then continues with the new bytes.
"""

from __future__ import annotations

import hashlib
import os

from ..types import BlobInfo
from .checksums import CHUNK, ThreadedHasher
from .crc import crc32c, to_wire


def choose_algorithm(preferred: str | None, info: BlobInfo) -> str | None:
    """The checksum to verify ``info``'s bytes with: None when checking is off
    (``preferred`` None) or the blob has no checksum."""
    if preferred is None:
        return None
    if preferred == "sha256" and info.sha256 is not None:
        return "sha256"
    if info.crc32c is not None:
        return "crc32c"
    return "sha256" if info.sha256 is not None else None


class DownloadCheck:
    """The checksum of the bytes received so far, compared with the blob's at the end.

    ``fd``/``prefix``: the partial file already holding ``prefix`` bytes (a resumed download),
    hashed once here. ``close()`` (idempotent) stops the SHA-256 worker on error paths."""

    def __init__(self, algorithm: str, info: BlobInfo, fd: int | None = None, prefix: int = 0):
        self.algorithm = algorithm
        self.expected = (
            info.crc32c if algorithm == "crc32c" else (info.sha256 or "").lower()
        ) or ""
        self._crc = 0
        self._sha: ThreadedHasher | None = None
        start = hashlib.sha256() if algorithm == "sha256" else None
        pos = 0
        while fd is not None and pos < prefix:
            data = os.pread(fd, min(CHUNK, prefix - pos), pos)
            if not data:
                break
            if start is not None:
                start.update(data)
            else:
                self._crc = crc32c(data, self._crc)
            pos += len(data)
        if start is not None:
            self._sha = ThreadedHasher(start)

    def update(self, chunk: bytes) -> None:
        """Add received bytes."""
        if self._sha is not None:
            self._sha.update(chunk)
        else:
            self._crc = crc32c(chunk, self._crc)

    def close(self) -> None:
        """Stop the worker (idempotent)."""
        if self._sha is not None:
            self._sha.close()

    def actual(self) -> str:
        """The checksum of everything received, in the blob's form (waits for the worker)."""
        if self._sha is not None:
            return self._sha.hexdigest()
        return to_wire(self._crc)

    def mismatch(self) -> str | None:
        """None when the bytes match the blob's checksum, else a description of how not."""
        got = self.actual()
        if got == self.expected:
            return None
        name = "CRC32C" if self.algorithm == "crc32c" else "SHA-256"
        return f"{name} {got} does not match the blob's {self.expected}"


def new_check(
    preferred: str | None, info: BlobInfo, fd: int | None = None, prefix: int = 0
) -> DownloadCheck | None:
    """A check for ``info``'s bytes (None when nothing is to be verified)."""
    algorithm = choose_algorithm(preferred, info)
    return None if algorithm is None else DownloadCheck(algorithm, info, fd, prefix)
