"""Tar batches into an imported bucket: accepted members are spooled to an anonymous temporary
file (never held in memory together) and written one by one at commit; a provider has no
multi-object commit, so members become visible one after another. Every member was validated
by the tar parser before it reached the spool, so a bad member or archive stores nothing."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Protocol

import anyio.to_thread

from ...errors import TooLarge
from ...spooling import Spool
from ..base import BlobRecord, WriteSpec


class BatchTarget(Protocol):
    """What a batch needs of its backend (the remote backend): stat and write one blob."""

    async def stat(self, key: str) -> BlobRecord | None:
        """The blob of ``key``, or None."""
        ...

    async def write(self, key: str, chunks: AsyncIterator[bytes], spec: WriteSpec) -> BlobRecord:
        """Store ``key`` from ``chunks``."""
        ...


#: Bytes one batch may spool before its commit: the tar request's own limit (1 GiB).
MAX_BATCH_BYTES = 1 << 30
#: Bytes read back from the spool per chunk at commit.
READ_CHUNK = 1024 * 1024


class RemoteBatch:
    """The :class:`..base.BatchWriter` of imported buckets. The spool is an unnamed temporary
    file (mode 0600, already unlinked: a crash leaves nothing), in ``spool_dir`` or the
    process's spool folder, its bytes counted against the process's spool budget
    (:mod:`...spooling`: past it, 503 ``busy``)."""

    def __init__(self, backend: BatchTarget, spool_dir: str | None = None) -> None:
        self.backend = backend
        self.spool_dir = spool_dir
        self.items: list[tuple[str, int, int, WriteSpec]] = []  # key, offset, length, spec
        self.size = 0
        self._spool: Spool | None = None

    async def add(self, key: str, data: bytes, sha256_hex: str, spec: WriteSpec) -> None:
        """Append ``data`` for ``key`` to the spool until :meth:`commit`; ``TooLarge`` beyond
        :data:`MAX_BATCH_BYTES`, :class:`...spooling.SpoolFull` past the spool budget."""
        if self.size + len(data) > MAX_BATCH_BYTES:
            raise TooLarge(
                "payload_too_large",
                f"a batch into an imported bucket holds at most {MAX_BATCH_BYTES} bytes",
            )
        if self._spool is None:
            self._spool = Spool(folder=self.spool_dir)
        spool = self._spool
        await anyio.to_thread.run_sync(lambda: spool.write(data))
        self.items.append((key, self.size, len(data), spec))
        self.size += len(data)

    async def _chunks(self, offset: int, length: int) -> AsyncIterator[bytes]:
        """The spooled bytes ``offset..offset+length`` in chunks of :data:`READ_CHUNK`."""
        assert self._spool is not None
        fd = self._spool.fileno()
        end = offset + length
        if length == 0:
            yield b""
        while offset < end:
            chunk = await anyio.to_thread.run_sync(
                os.pread, fd, min(READ_CHUNK, end - offset), offset
            )
            if not chunk:
                raise OSError("the batch spool ended early")
            offset += len(chunk)
            yield chunk

    async def commit(self, *, overwrite: bool) -> list[BlobRecord | None]:
        """Write every member (None for a member whose key exists when not ``overwrite``),
        then drop the spool."""
        done: list[BlobRecord | None] = []
        try:
            if self._spool is not None:
                spool = self._spool
                await anyio.to_thread.run_sync(spool.flush)
            for key, offset, length, spec in self.items:
                if not overwrite and await self.backend.stat(key) is not None:
                    done.append(None)
                    continue
                done.append(await self.backend.write(key, self._chunks(offset, length), spec))
        finally:
            self._close()
        return done

    async def abandon(self, *, keep_written: bool = False) -> None:
        """Drop what is spooled (what was written to the provider is its own; a folder or
        bucket keeps what a commit wrote, whatever ``keep_written`` says)."""
        self._close()

    def _close(self) -> None:
        self.items = []
        self.size = 0
        if self._spool is not None:
            self._spool.close()
            self._spool = None
