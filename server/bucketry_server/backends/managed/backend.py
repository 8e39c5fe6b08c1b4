""":class:`ManagedBackend`: the :class:`..base.BucketBackend` of managed buckets."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import cast

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ...crc32c import crc32c, from_wire, to_wire
from ...errors import NotFound
from ...faults import crash_point
from ...ids import new_id
from ...models import Blob, Bucket
from ...state import AppState
from ...storage.base import WriteResult
from ...timeutil import utcnow
from ..base import (
    MANAGED,
    READ_WRITE,
    BlobRecord,
    InTransaction,
    ListQuery,
    Probe,
    Usage,
    WriteSpec,
)
from .catalogue import NewBlob, commit_blobs, delete_blob_rows, find_blob, write_object
from .folders import list_with_folders
from .listing import list_blobs as list_page
from .objects import discard_objects

MANAGED_ACTIONS = READ_WRITE
KEYS_PER_QUERY = 500


def _object_id(blob: BlobRecord) -> str:
    object_id: str = cast(Blob, blob).object_id
    return object_id


def _copied_result(source: BlobRecord) -> WriteResult:
    """What a copy of ``source`` measured: the source's checksums carried over (its SHA-256
    only if it has one, its CRC32C when known)."""
    crc = getattr(source, "crc32c", None)
    return WriteResult(
        source.size,
        cast(Blob, source).md5,
        source.sha256,
        None if crc is None else from_wire(crc),
    )


def _copied(source: BlobRecord, key: str, object_id: str) -> NewBlob:
    """The blob a copy of ``source`` to ``key`` commits: same checksums and the same ETag
    (one version's bytes under two keys), like :meth:`ManagedBackend.copy`."""
    item = NewBlob.written(
        key, object_id, _copied_result(source), source.content_type, dict(source.meta or {})
    )
    item.same_as = source.etag
    return item


class ManagedBackend:
    """Catalogue + object store of one managed bucket (``bucket_id``)."""

    provider = MANAGED
    imported = False

    def __init__(self, state: AppState, bucket_id: str) -> None:
        self.state = state
        self.bucket_id = bucket_id

    def status(self) -> Probe:
        """Always available, always readable and writable."""
        return Probe("AVAILABLE", list(MANAGED_ACTIONS), utcnow())

    async def probe(self) -> Probe:
        """Same as :meth:`status`: the server's own store needs no check."""
        return self.status()

    def check_writable(self) -> None:
        """Managed buckets take writes."""

    async def usage(self) -> Usage:
        """From the bucket's counters (kept by every commit and delete)."""

        def read() -> Usage:
            with self.state.db.session() as s:
                b = s.get(Bucket, self.bucket_id)
                if b is None:
                    raise NotFound("not_found", "bucket not found")
                return Usage(max(int(b.bytes_used or 0), 0), max(int(b.object_count or 0), 0))

        return await run_in_threadpool(read)

    async def list_blobs(self, query: ListQuery) -> bytes:
        """One page from the catalogue (see :mod:`.listing`; with a delimiter, folders carry
        their aggregates: :mod:`.folders`)."""

        def page() -> bytes:
            with self.state.db.session() as s:
                q = replace(query, bucket_id=self.bucket_id)
                return list_with_folders(s, q) if q.delimiter and q.folder_sums else list_page(s, q)

        return await run_in_threadpool(page)

    async def stat(self, key: str) -> Blob | None:
        """The catalogue row of ``key``."""

        def find() -> Blob | None:
            with self.state.db.session() as s:
                return find_blob(s, self.bucket_id, key)

        return await run_in_threadpool(find)

    async def stat_many(self, keys: Sequence[str]) -> dict[str, BlobRecord]:
        """The catalogue rows of those ``keys`` that exist (IN queries of 500 keys)."""

        def find() -> dict[str, BlobRecord]:
            found: dict[str, BlobRecord] = {}
            with self.state.db.session() as s:
                for i in range(0, len(keys), KEYS_PER_QUERY):
                    chunk = list(keys[i : i + KEYS_PER_QUERY])
                    rows = s.scalars(
                        select(Blob).where(Blob.bucket_id == self.bucket_id, Blob.key.in_(chunk))
                    )
                    found.update((r.key, r) for r in rows)
            return found

        return await run_in_threadpool(find)

    async def open_read(
        self, blob: BlobRecord, start: int = 0, end: int | None = None
    ) -> tuple[bytes, AsyncIterator[bytes]]:
        """Start reading the object (a missing object fails before any byte is sent)."""
        blocks = self.state.store.read(_object_id(blob), start, end)
        try:
            first = await blocks.__anext__()
        except StopAsyncIteration:
            first = b""
        except BaseException:
            aclose = getattr(blocks, "aclose", None)
            if aclose is not None:
                await aclose()
            raise
        return first, blocks

    async def read_range(self, blob: BlobRecord, start: int, length: int) -> bytes:
        """A small ranged read of the object."""
        if length <= 0:
            return b""
        return await self.state.store.read_range(_object_id(blob), start, length)

    async def write(self, key: str, chunks: AsyncIterator[bytes], spec: WriteSpec) -> NewBlob:
        """Stream into a new object, then commit it (see :func:`.catalogue.commit_blobs`)."""
        oid, result = await write_object(self.state, chunks, spec.expected)
        return await self._commit_one(key, oid, result, spec)

    async def _commit_one(
        self,
        key: str,
        object_id: str,
        result: WriteResult,
        spec: WriteSpec,
        also: InTransaction | None = None,
        *,
        same_as: str | None = None,
    ) -> NewBlob:
        item = NewBlob.written(key, object_id, result, spec.content_type, spec.metadata)
        item.same_as = same_as
        await commit_blobs(
            self.state,
            self.bucket_id,
            [item],
            if_match=spec.if_match,
            if_none_match=spec.if_none_match,
            also=also,
        )
        return item

    def batch(self) -> ManagedBatch:
        """A batch writer (objects written in groups, one commit for all)."""
        return ManagedBatch(self)

    async def copy(self, source: BlobRecord, key: str, *, if_none_match: str | None) -> NewBlob:
        """Copy the source object (the store copies; checksums carry over), then commit.
        Raises ``ObjectMissingError`` if the source version vanished meanwhile."""
        oid = new_id("obj")
        try:
            await self.state.store.copy(_object_id(source), oid)
        except BaseException:
            await discard_objects(self.state, [oid])
            raise
        result = _copied_result(source)
        spec = WriteSpec(source.content_type, dict(source.meta or {}), if_none_match=if_none_match)
        return await self._commit_one(key, oid, result, spec, same_as=source.etag)

    async def copy_many(
        self, pairs: Sequence[tuple[BlobRecord, str]], *, overwrite: bool
    ) -> list[NewBlob | None]:
        """Copy many source objects (links in the store, like :meth:`copy`) and commit them
        all in one transaction; None for keys that existed when ``overwrite`` is False.
        Raises ``ObjectMissingError`` if a source version vanished (nothing is committed)."""
        oids = [new_id("obj") for _ in pairs]
        try:
            for (source, _), oid in zip(pairs, oids, strict=True):
                await self.state.store.copy(_object_id(source), oid)
        except BaseException:
            await discard_objects(self.state, oids)
            raise
        items = [_copied(source, key, oid) for (source, key), oid in zip(pairs, oids, strict=True)]
        await commit_blobs(self.state, self.bucket_id, items, overwrite=overwrite)
        return [None if item.refused else item for item in items]

    async def compose(
        self,
        key: str,
        parts: Sequence[str],
        sha256_hex: str | None,
        spec: WriteSpec,
        *,
        object_id: str | None = None,
        also: InTransaction | None = None,
    ) -> NewBlob:
        """Concatenate part objects into ``object_id`` (new if None) and commit it; ``also``
        runs inside the commit's transaction. ``spec.expected.crc32c`` is the CRC combined
        from the parts' (checked against the bytes only when the store reads them anyway)."""
        oid = object_id or new_id("obj")
        result = await self.state.store.compose(
            oid, list(parts), spec.expected, sha256_hex=sha256_hex
        )
        if result.crc32c is None:
            result = replace(result, crc32c=spec.expected.crc32c)
        crash_point("complete.composed")  # durability tests: composed, not committed
        return await self._commit_one(key, oid, result, spec, also)

    async def delete(self, keys: Sequence[str], *, if_match: str | None = None) -> list[Blob]:
        """Delete the blobs of ``keys`` that exist (and their objects); ``if_match`` is checked
        again inside the delete's transaction (``PreconditionFailed``)."""

        def ids() -> list[int]:
            found: list[int] = []
            with self.state.db.session() as s:
                for i in range(0, len(keys), KEYS_PER_QUERY):
                    chunk = list(keys[i : i + KEYS_PER_QUERY])
                    found += s.scalars(
                        select(Blob.id).where(Blob.bucket_id == self.bucket_id, Blob.key.in_(chunk))
                    ).all()
            return found

        return await delete_blob_rows(
            self.state, self.bucket_id, await run_in_threadpool(ids), if_match=if_match
        )

    def native_multipart(self) -> None:
        """None: multipart parts are objects of the server's store, composed at completion."""
        return None


class ManagedBatch:
    """Batch writer of the managed backend: data queued and written in groups by the store's
    ``write_small_many`` (a few groups in flight), committed with one transaction."""

    GROUP_MEMBERS = 256
    GROUP_BYTES = 8 * 1024 * 1024
    GROUPS_IN_FLIGHT = 4

    def __init__(self, backend: ManagedBackend) -> None:
        self.backend = backend
        self.items: list[NewBlob] = []
        self.written: list[str] = []  # every object id handed to the store (for cleanup)
        self._group: list[tuple[str, bytes]] = []
        self._group_bytes = 0
        self._fan = secrets.token_hex(2)
        self._tasks: list[asyncio.Task[None]] = []

    async def add(self, key: str, data: bytes, sha256_hex: str, spec: WriteSpec) -> None:
        """Queue ``data`` for ``key`` (its object ids share a fan-out directory per group)."""
        object_id = f"obj_{self._fan}{secrets.token_hex(14)}"
        self.items.append(
            NewBlob(
                key,
                object_id,
                len(data),
                sha256_hex,
                None,
                spec.content_type,
                spec.metadata,
                crc32c=to_wire(crc32c(data)),
            )
        )
        self._group.append((object_id, data))
        self.written.append(object_id)
        self._group_bytes += len(data)
        if len(self._group) >= self.GROUP_MEMBERS or self._group_bytes >= self.GROUP_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if not self._group:
            return
        group, self._group, self._group_bytes = self._group, [], 0
        self._fan = secrets.token_hex(2)
        while len(self._tasks) >= self.GROUPS_IN_FLIGHT:
            await self._tasks.pop(0)
        store = self.backend.state.store
        self._tasks.append(asyncio.create_task(store.write_small_many(group)))

    async def _finish(self) -> None:
        """Write what is queued and wait until every object is durable (or raise)."""
        await self._flush()
        tasks, self._tasks = self._tasks, []
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                raise result

    async def commit(self, *, overwrite: bool) -> list[BlobRecord | None]:
        """Make every added blob visible in one transaction; per added blob (in order) its
        record, or None if the key existed and ``overwrite`` is False."""
        await self._finish()
        done = await commit_blobs(
            self.backend.state, self.backend.bucket_id, self.items, overwrite=overwrite
        )
        return [None if item.refused else item for item in done]

    async def abandon(self, *, keep_written: bool = False) -> None:
        """Stop, wait for writes in flight, and delete everything written (unless
        ``keep_written``: a commit that may still land points at it)."""
        tasks, self._tasks = self._tasks, []
        self._group = []
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if not keep_written:
            await discard_objects(self.backend.state, self.written, forget=False)
        self.written = []
