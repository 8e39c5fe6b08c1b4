"""Tar batches into an imported bucket: members are held in memory (tar batches carry small
blobs) and written one by one at commit; a provider has no multi-object commit, so members
become visible one after another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from ...errors import TooLarge
from ..base import BlobRecord, WriteSpec


class BatchTarget(Protocol):
    """What a batch needs of its backend (the remote backend): stat and write one blob."""

    async def stat(self, key: str) -> BlobRecord | None:
        """The blob of ``key``, or None."""
        ...

    async def write(self, key: str, chunks: AsyncIterator[bytes], spec: WriteSpec) -> BlobRecord:
        """Store ``key`` from ``chunks``."""
        ...


#: Bytes one batch may hold before its commit.
MAX_BATCH_BYTES = 256 * 1024 * 1024


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class RemoteBatch:
    """The :class:`..base.BatchWriter` of imported buckets."""

    def __init__(self, backend: BatchTarget) -> None:
        self.backend = backend
        self.items: list[tuple[str, bytes, WriteSpec]] = []
        self.size = 0

    async def add(self, key: str, data: bytes, sha256_hex: str, spec: WriteSpec) -> None:
        """Hold ``data`` for ``key`` until :meth:`commit`; ``TooLarge`` beyond
        :data:`MAX_BATCH_BYTES`."""
        self.size += len(data)
        if self.size > MAX_BATCH_BYTES:
            raise TooLarge(
                "payload_too_large",
                f"a batch into an imported bucket holds at most {MAX_BATCH_BYTES} bytes",
            )
        self.items.append((key, data, spec))

    async def commit(self, *, overwrite: bool) -> list[BlobRecord | None]:
        """Write every member (None for a member whose key exists when not ``overwrite``)."""
        done: list[BlobRecord | None] = []
        for key, data, spec in self.items:
            if not overwrite and await self.backend.stat(key) is not None:
                done.append(None)
                continue
            done.append(await self.backend.write(key, _once(data), spec))
        self.items = []
        return done

    async def abandon(self) -> None:
        """Drop what is held (nothing was written)."""
        self.items = []
