""":class:`RemoteBackend`: the :class:`..base.BucketBackend` of imported buckets, over the
provider's :class:`.client.ObjectClient` (called in worker threads, every call bounded by the
client's timeouts).

Keys: the bucket's ``prefix`` scopes everything (added on the way in, stripped on the way
out). Status and actions come from a probe cached for :data:`.cache.PROBE_TTL` seconds (else
what the bucket row recorded at the last probe); writes are refused with 403 naming the
missing ``WRITE`` action when the credentials only allow reading. Usage is computed by
listing and cached with its age. Copies stay within one provider bucket. Multipart uploads map onto the provider's own (parts streamed straight
to the provider; see :class:`..base.NativeMultipart`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import anyio.to_thread
from sqlalchemy import delete as sql_delete

from ...crc32c import to_wire
from ...errors import Conflict, Forbidden, Invalid, PreconditionFailed
from ...models import Bucket, ObjectLedger
from ...state import AppState
from ...storage.base import Expected, Hasher, ObjectMissingError
from ...timeutil import utcnow
from ..base import (
    BatchWriter,
    BlobRecord,
    InTransaction,
    ListQuery,
    Probe,
    StoredPart,
    Usage,
    WriteSpec,
)
from ..conditions import check_preconditions
from . import cache
from .client import (
    ObjectClient,
    PartInfo,
    ProviderError,
    ProviderNotFound,
    ProviderVersionChanged,
    WriteCondition,
)
from .errors import run
from .listing import list_page
from .probing import probe_bucket, recorded_probe
from .records import RemoteBlob, record
from .streams import pull, push

#: Objects a usage computation lists at most (beyond: the figures say "at least").
USAGE_MAX_OBJECTS = 1_000_000
LIST_BATCH = 1000


def _set(**keywords: Any) -> dict[str, Any]:
    """The keywords whose value is not None (optional client keywords are passed only when
    set, so a client written before one was added still serves)."""
    return {name: value for name, value in keywords.items() if value is not None}


class RemoteBackend:
    """One imported bucket over its provider client (``opener`` makes the client)."""

    imported = True

    def __init__(self, state: AppState, bucket: Bucket, opener: Callable[[], ObjectClient]):
        self.state = state
        self.bucket_id = bucket.id
        self.name = bucket.name
        self.provider = bucket.provider
        self.root = bucket.prefix or ""
        self.origin = f"{bucket.provider}\0{bucket.endpoint_url or ''}\0{bucket.provider_bucket}"
        self._version = (bucket.version, bucket.credentials_enc, bucket.endpoint_url)
        self._recorded = recorded_probe(bucket)
        self._opener = opener

    @property
    def client(self) -> ObjectClient:
        """The bucket's open client (one per bucket version, kept between requests)."""
        return cache.client(self.state, self.bucket_id, self._version, self._opener)

    def _full(self, key: str) -> str:
        """The provider name of ``key``. Raises ``Invalid`` (``reserved_key``) for a key under
        the client's :attr:`~.client.ObjectClient.reserved_prefix` (e.g. where GCS multipart
        uploads keep their parts)."""
        reserved = self.client.reserved_prefix
        if reserved is not None and key.startswith(reserved):
            raise Invalid(
                "reserved_key",
                f"key: keys under {reserved!r} are reserved for the server's own use in this "
                "bucket (multipart upload parts)",
            )
        return self.root + key

    # ------------------------------------------------------------------ status
    def status(self) -> Probe:
        """The last probe if recent, else what the bucket row recorded (no network)."""
        entry = cache.get(self.state, "probe", self.bucket_id, cache.PROBE_TTL)
        return entry.value if entry is not None else self._recorded

    async def probe(self) -> Probe:
        """Ask the provider (at most once per :data:`.cache.PROBE_TTL` seconds; bounded in
        time; never raises for provider answers) and record the answer on the bucket."""
        entry = cache.get(self.state, "probe", self.bucket_id, cache.PROBE_TTL)
        if entry is not None:
            value: Probe = entry.value
            return value
        result = await probe_bucket(self.state, self.bucket_id, lambda: self.client)
        cache.put(self.state, "probe", self.bucket_id, result)
        return result

    def check_writable(self) -> None:
        """403 ``missing_action`` naming WRITE if the credentials only allow reading."""
        probe = self.status()
        if "WRITE" not in probe.actions:
            allowed = ", ".join(probe.actions) or "nothing"
            raise Forbidden(
                "missing_action",
                f"bucket {self.name!r}: the provider credentials allow {allowed}; "
                "the WRITE action is missing",
            )

    # ------------------------------------------------------------------ reads
    async def usage(self) -> Usage:
        """Bytes and objects, computed by listing the provider (cached with its time)."""
        entry = cache.get(self.state, "usage", self.bucket_id, cache.USAGE_TTL)
        if entry is not None:
            value: Usage = entry.value
            return value

        def compute() -> Usage:
            total = count = 0
            after: str | None = None
            while count < USAGE_MAX_OBJECTS:
                page = self.client.list_page(self.root, after, LIST_BATCH)
                total += sum(o.size for o in page)
                count += len(page)
                if len(page) < LIST_BATCH:
                    break
                after = page[-1].key
            return Usage(total, count, utcnow())

        usage = await run(compute)
        cache.put(self.state, "usage", self.bucket_id, usage)
        return usage

    async def list_blobs(self, query: ListQuery) -> bytes:
        """One page (see :mod:`.listing`; orders other than ascending names list at most the
        server's ``remote_sort_limit`` objects, see :mod:`.sorting`)."""
        q = replace(query, bucket_id=self.bucket_id)
        limit = self.state.settings.remote_sort_limit
        return await run(lambda: list_page(self.client, self.root, self.origin, q, limit))

    async def stat(self, key: str) -> RemoteBlob | None:
        """The provider object of ``key`` (a HEAD), or None."""
        info = await run(lambda: self.client.head(self._full(key)))
        return None if info is None else record(info, self.root, self.origin)

    async def stat_many(self, keys: Sequence[str]) -> dict[str, BlobRecord]:
        """The objects of those ``keys`` that exist (one HEAD each)."""
        found: dict[str, BlobRecord] = {}
        for key in keys:
            blob = await self.stat(key)
            if blob is not None:
                found[key] = blob
        return found

    async def open_read(
        self, blob: BlobRecord, start: int = 0, end: int | None = None
    ) -> tuple[bytes, AsyncIterator[bytes]]:
        """Start a ranged read pinned to the blob's etag; ``ObjectMissingError`` if that
        version is gone (before any byte is sent)."""

        def begin() -> tuple[bytes, Iterator[bytes]]:
            try:
                it = self.client.read(self._full(blob.key), start, end, etag=blob.etag)
                return next(it, b""), it
            except (ProviderVersionChanged, ProviderNotFound) as exc:
                raise ObjectMissingError(f"{blob.key!r}: {exc}") from None

        first, it = await run(begin)
        return first, push(it)

    async def read_range(self, blob: BlobRecord, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` (small reads: zip directories, previews)."""
        if length <= 0:
            return b""
        first, rest = await self.open_read(blob, start, start + length - 1)
        parts = [first]
        async for chunk in rest:
            parts.append(chunk)
        return b"".join(parts)

    def presign(self, key: str, method: str, expires_in: int) -> str | None:
        """The provider's own signed URL for ``method`` (GET or PUT) of ``key``, valid
        ``expires_in`` seconds, or None when the provider or these credentials cannot sign
        (a folder, Azure without an account key, GCS without a service account, S3 without
        keys). Signing is local (no network); blocking all the same: call from a thread."""
        try:
            return self.client.presign(self._full(key), method, expires_in)
        except (ProviderError, ValueError):
            return None

    # ------------------------------------------------------------------ writes
    async def _preconditions(self, key: str, spec: WriteSpec) -> WriteCondition | None:
        """Check ``If-Match``/``If-None-Match`` against the provider's current version (412
        early, before any byte moves) and return the condition the provider then checks
        atomically with the write: the key still absent, or still the version seen here (a
        compare-and-set: a concurrent writer makes one of the two fail with 412, never both
        succeed). None without preconditions. A provider that ignores the condition (see
        ``docs/architecture.md``) is left with this check alone: last writer wins."""
        if spec.if_match is None and spec.if_none_match is None:
            return None
        existing = await self.stat(key)
        check_preconditions(existing.etag if existing else None, spec.if_match, spec.if_none_match)
        return (
            WriteCondition(absent=True) if existing is None else WriteCondition(etag=existing.etag)
        )

    async def write(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        spec: WriteSpec,
        *,
        part_size: int | None = None,
    ) -> RemoteBlob:
        """Stream ``chunks`` into the provider object (checksums verified on the way; a
        mismatch aborts the provider upload; a declared CRC32C also goes to the provider,
        which checks and keeps it where it can). Preconditions are checked just before and
        again by the provider, atomically with the write (:meth:`_preconditions`).
        ``part_size`` (bytes; None: the provider client's default) sets the multipart part /
        staged block / resumable chunk size (:meth:`.client.ObjectClient.write`)."""
        self.check_writable()
        condition = await self._preconditions(key, spec)
        hasher = Hasher(spec.expected)
        body = pull(chunks, hasher)
        # Only passed when set, so a client written before the keywords still serves.
        extra = _set(part_size=part_size, crc32c=spec.expected.crc32c, condition=condition)

        def put() -> RemoteBlob:
            info = self.client.write(
                self._full(key),
                body,
                content_type=spec.content_type,
                metadata=spec.metadata,
                **extra,
            )
            done = hasher.finish()
            crc = info.crc32c if done.crc32c is None else to_wire(done.crc32c)
            return replace(record(info, self.root, self.origin, done.sha256_hex), crc32c=crc)

        blob = await run(put)
        cache.forget_usage(self.state, self.bucket_id)
        return replace(blob, content_type=spec.content_type, meta=dict(spec.metadata))

    def batch(self) -> BatchWriter:
        """Members spooled to a temporary file and written one by one at commit (a provider
        has no multi-object commit; see :mod:`.batch`)."""
        from .batch import RemoteBatch

        self.check_writable()
        return RemoteBatch(self)

    async def copy(self, source: BlobRecord, key: str, *, if_none_match: str | None) -> RemoteBlob:
        """A server-side copy within the same provider bucket; ``Invalid``
        (``cross_provider_copy``) for a source elsewhere."""
        self.check_writable()
        if not isinstance(source, RemoteBlob) or source.origin != self.origin:
            raise Invalid(
                "cross_provider_copy",
                f"bucket {self.name!r}: copies into an imported bucket must come from the same "
                "provider bucket (download and upload, or an operation, for others)",
            )
        await self._preconditions(key, WriteSpec("", {}, if_none_match=if_none_match))
        # The source's own prefix: it may come through another import of this provider bucket.
        source_key = source.root + source.key
        info = await run(lambda: self.client.copy(source_key, self._full(key)))
        cache.forget_usage(self.state, self.bucket_id)
        return record(info, self.root, self.origin, source.sha256)

    async def copy_many(
        self, pairs: Sequence[tuple[BlobRecord, str]], *, overwrite: bool
    ) -> list[RemoteBlob | None]:
        """One :meth:`copy` after the other (a provider has no multi-object commit); None
        for keys that existed when ``overwrite`` is False."""
        copied: list[RemoteBlob | None] = []
        for source, key in pairs:
            try:
                copied.append(
                    await self.copy(source, key, if_none_match=None if overwrite else "*")
                )
            except PreconditionFailed:
                copied.append(None)
        return copied

    async def compose(
        self,
        key: str,
        parts: Sequence[str],
        sha256_hex: str | None,
        spec: WriteSpec,
        *,
        object_id: str | None = None,
        also: InTransaction | None = None,
    ) -> RemoteBlob:
        """Stream the stored parts (managed objects of the server's store) into the provider
        object, then run ``also`` (and clear ``object_id``'s pending mark) in one
        transaction."""
        store = self.state.store

        async def joined() -> AsyncIterator[bytes]:
            for part in parts:
                async for block in store.read(part):
                    yield block

        blob = await self.write(key, joined(), replace(spec, if_match=None))

        def commit() -> None:
            with self.state.db.session() as s:
                if also is not None:
                    also(s)
                if object_id is not None:
                    s.execute(sql_delete(ObjectLedger).where(ObjectLedger.object_id == object_id))

        await anyio.to_thread.run_sync(commit)
        return blob

    # ------------------------------------------------------------------ multipart
    def native_multipart(self) -> RemoteBackend:
        """Multipart uploads go to the provider's own (see :class:`..base.NativeMultipart`)."""
        return self

    def part_minimum(self) -> int:
        """The client's smallest part (but the last); blocking (opens the client)."""
        return self.client.min_part_size

    def holds_parts(self) -> bool:
        """Whether the client spools a part whole before storing it; blocking (opens the
        client)."""
        return self.client.holds_parts

    async def start_upload(self, key: str, content_type: str, metadata: dict[str, str]) -> str:
        """Open the provider upload (403 ``missing_action`` without WRITE)."""
        self.check_writable()
        return await run(
            lambda: self.client.start_multipart(
                self._full(key), content_type=content_type, metadata=metadata
            )
        )

    async def put_part(
        self,
        key: str,
        upload: str,
        number: int,
        chunks: AsyncIterator[bytes],
        expected: Expected,
        size: int | None,
    ) -> StoredPart:
        """Stream the part to the provider; checksums and size are checked before its last
        bytes leave, so a refused part is not stored (the acknowledged one stays)."""
        self.check_writable()
        hasher = Hasher(expected)
        body = pull(chunks, hasher)
        extra = _set(crc32c=expected.crc32c)
        part = await run(
            lambda: self.client.write_part(
                self._full(key), upload, number, body, size=size, **extra
            )
        )
        result = hasher.finish()
        if part.size != result.size:
            raise Conflict(
                "provider_error",
                f"part {number}: the provider stored {part.size} bytes of {result.size}",
            )
        return StoredPart(result.size, result.sha256_hex, part.token, result.crc32c)

    async def complete_upload(
        self,
        key: str,
        upload: str,
        parts: Sequence[tuple[int, int, str]],
        spec: WriteSpec,
        *,
        also: InTransaction | None = None,
    ) -> RemoteBlob:
        """Ask the provider to assemble the parts (``If-None-Match`` checked just before and
        by the provider with the assembly; the whole's CRC32C combined from the parts' handed
        to it), then run ``also`` in one transaction."""
        self.check_writable()
        condition = await self._preconditions(key, replace(spec, if_match=None))
        listed = [PartInfo(number, size, token) for number, size, token in parts]
        extra = _set(crc32c=spec.expected.crc32c, condition=condition)
        info = await run(
            lambda: self.client.complete_multipart(
                self._full(key),
                upload,
                listed,
                content_type=spec.content_type,
                metadata=spec.metadata,
                **extra,
            )
        )
        cache.forget_usage(self.state, self.bucket_id)
        if also is not None:
            await anyio.to_thread.run_sync(self._commit, also)
        blob = record(info, self.root, self.origin)
        if blob.crc32c is None and spec.expected.crc32c is not None:
            blob = replace(blob, crc32c=to_wire(spec.expected.crc32c))
        return replace(blob, content_type=spec.content_type, meta=dict(spec.metadata))

    def _commit(self, also: InTransaction) -> None:
        with self.state.db.session() as s:
            also(s)

    async def abort_upload(self, key: str, upload: str) -> None:
        """Abort the provider upload (provider failures are raised; a gone upload is not
        one)."""
        await run(lambda: self.client.abort_multipart(self._full(key), upload))

    async def delete(self, keys: Sequence[str], *, if_match: str | None = None) -> list[RemoteBlob]:
        """Delete those ``keys`` that exist; returns their records (``if_match`` is checked
        just before, against the provider's current etag)."""
        self.check_writable()
        found = await self.stat_many(keys)
        for blob in found.values():
            check_preconditions(blob.etag, if_match, None)
        full = [self._full(k) for k in found]
        gone = set(await run(lambda: self.client.delete(full)))
        cache.forget_usage(self.state, self.bucket_id)
        return [b for k, b in found.items() if self._full(k) in gone and isinstance(b, RemoteBlob)]
