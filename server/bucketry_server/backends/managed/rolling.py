"""The SHA-256 of a multipart upload, computed while its parts are still arriving.

A blob's SHA-256 covers all of its bytes in order, so completing an upload used to mean reading
the whole upload again: seconds per gigabyte, on the request's clock. Instead, each part is
hashed in the background as soon as every part before it has been hashed (parts arrive in
roughly ascending order), so at completion only the last few parts are left.

The state lives in this process only and is a pure optimisation: completion accepts the rolling
digest only if it covers exactly the chosen parts' objects, in order, as a prefix; otherwise
(a part replaced after it was hashed, a restart, parts sent to another instance) the tail or
the whole upload is hashed at completion as before. Part objects are immutable, so a hash taken
from an object id stays true for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...storage.base import ObjectStore

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger("bucketry_server.rolling")

#: Uploads tracked at most; beyond it the oldest is forgotten (completion then hashes in full).
MAX_TRACKED = 10_000
#: Parts hashed at the same time across all uploads (each is a CPU-bound read of the part).
MAX_CONCURRENT = 2


@dataclass
class _Progress:
    sha: Any = field(default_factory=hashlib.sha256)
    hashed: list[str] = field(default_factory=list)  # object ids of parts 1..k, in order
    waiting: dict[int, str] = field(default_factory=dict)  # part number -> object id
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    broken: bool = False
    touched: float = field(default_factory=time.monotonic)


class RollingHashes:
    """Per-upload background hashing of parts in order (one instance per server process)."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store
        self._uploads: dict[str, _Progress] = {}
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._tasks: set[asyncio.Task[None]] = set()

    def part_stored(self, upload_id: str, part_number: int, object_id: str) -> None:
        """A part was committed: hash it now if it is next in line (must run on the loop)."""
        p = self._uploads.get(upload_id)
        if p is None:
            if len(self._uploads) >= MAX_TRACKED:
                oldest = min(self._uploads, key=lambda u: self._uploads[u].touched)
                del self._uploads[oldest]
            p = self._uploads[upload_id] = _Progress()
        p.touched = time.monotonic()
        if part_number <= len(p.hashed):  # replaced after being hashed: the digest is void
            p.broken = True
            return
        p.waiting[part_number] = object_id
        task = asyncio.create_task(self._advance(p))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def forget(self, upload_id: str) -> None:
        """The upload was aborted or expired."""
        self._uploads.pop(upload_id, None)

    async def _hash_object(self, sha: Any, object_id: str) -> None:
        await self._store.feed(object_id, sha.update)

    async def _advance(self, p: _Progress) -> None:
        async with p.lock:
            while not p.broken and (object_id := p.waiting.get(len(p.hashed) + 1)) is not None:
                del p.waiting[len(p.hashed) + 1]
                sha = p.sha.copy()  # a failure half-way must not leave half a part in p.sha
                try:
                    async with self._slots:
                        await self._hash_object(sha, object_id)
                except Exception as exc:  # noqa: BLE001 - aborted meanwhile, a storage error...
                    log.debug("rolling hash stopped: %s", exc)
                    p.broken = True
                    return
                p.sha = sha
                p.hashed.append(object_id)

    async def finish(self, upload_id: str, object_ids: Sequence[str]) -> str | None:
        """The SHA-256 (hex) of the concatenation of ``object_ids`` (the chosen parts, in
        order), using what was hashed in the background and hashing only the rest; None when
        the background work does not apply (completion then hashes everything itself)."""
        p = self._uploads.pop(upload_id, None)
        if p is None:
            return None
        async with p.lock:  # let a running step finish; no new one starts (popped)
            done = len(p.hashed)
            if p.broken or done > len(object_ids) or list(object_ids[:done]) != p.hashed:
                return None
            sha = p.sha.copy()
            p.broken = True  # a step queued behind us has nothing left to do
        # On the request's clock: not queued behind other uploads' background work.
        for object_id in object_ids[done:]:
            await self._hash_object(sha, object_id)
        return str(sha.hexdigest())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._uploads.clear()
