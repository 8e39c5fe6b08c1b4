"""The ``export`` operation kind: copy a blob or a prefix into an imported bucket.

Entry points (wired into the engine's kind registry)::

    async def validate_export(state, principal, params) -> dict
        # in the request; params: source ("bkt://bucket/key" or "bkt://bucket/prefix/"),
        # destination ("bkt://bucket/prefix/", an imported bucket), part_size_mb (5..5120).
        # Returns the normalized params.
    async def run_export(ctx: OpContext, keys: Sequence[str] | None = None) -> dict
        # streams the blobs (all, or just ``keys``: one chunk of the engine); result:
        # exported (count), bytes, skipped (source blobs gone meanwhile)

Each blob streams from the source backend straight into the destination backend's write
(multipart upload / staged blocks / resumable upload with parts of ``part_size_mb``), never
whole in memory; its sha256, when the source knows it, is verified on the way, so a changed
or damaged stream aborts the provider upload. Key mapping: a prefix's blobs keep their path
below the prefix (``bkt://a/logs/`` → ``bkt://b/out/``: ``logs/x/y`` becomes ``out/x/y``); a
single blob keeps its last path segment (``bkt://a/logs/x.txt`` → ``out/x.txt``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend, ListQuery, WriteSpec
from ..backends.remote.backend import RemoteBackend
from ..blobs.validation import check_metadata, header_content_type
from ..errors import Invalid, NotFound
from ..keys import key_error
from ..state import AppState
from ..storage.base import Expected, ObjectMissingError
from .context import OpContext
from .locations import bad, open_bucket, parse_location, refuse_unknown

#: Providers an export may write into (imported buckets whose client streams writes).
EXPORT_PROVIDERS = frozenset({"AWS_S3", "S3_COMPATIBLE", "AZURE_BLOB", "GCS", "FILESYSTEM"})
MIN_PART_MB, MAX_PART_MB, DEFAULT_PART_MB = 5, 5120, 8
MIB = 1024 * 1024
LIST_PAGE = 1000
PARAMS = {"source", "destination", "part_size_mb"}


def _part_size_mb(value: object, server_max: int) -> int:
    """The part size asked for (default :data:`DEFAULT_PART_MB`), checked against the API's
    range and the server's ``export_max_part_mb`` (a part is held in memory while sent).
    Raises ``Invalid`` naming ``part_size_mb``."""
    if value is None:
        return DEFAULT_PART_MB
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad("part_size_mb", "must be an integer number of MiB")
    if not MIN_PART_MB <= value <= MAX_PART_MB:
        raise bad("part_size_mb", f"must be between {MIN_PART_MB} and {MAX_PART_MB} (MiB)")
    if value > server_max:
        raise bad(
            "part_size_mb",
            f"at most {server_max} MiB on this server (BUCKETRY_EXPORT_MAX_PART_MB): a part "
            "is held in memory while it is sent",
        )
    return value


async def validate_export(
    state: AppState, principal: Principal, params: dict[str, object]
) -> dict[str, object]:
    """Check an ``export`` request and return its normalized parameters.

    ``source``: ``bkt://bucket/key`` (the blob must exist) or ``bkt://bucket/prefix/`` of a
    bucket the caller may read; ``destination``: ``bkt://bucket/prefix/`` of an imported
    bucket (:data:`EXPORT_PROVIDERS`) the caller may write, whose credentials allow WRITE,
    and not inside the source itself; ``part_size_mb``: 5..5120 (default 8). Raises
    ``Invalid`` naming the bad parameter, ``NotFound`` (bucket or blob), ``Forbidden``,
    ``Unauthenticated``."""
    refuse_unknown(params, PARAMS, "export")
    src = parse_location(params.get("source"), "source")
    dst = parse_location(params.get("destination"), "destination", folder=True)
    part_mb = _part_size_mb(params.get("part_size_mb"), state.settings.export_max_part_mb)
    src_bucket, source = await open_bucket(state, principal, src.bucket, write=False)
    dst_bucket, _ = await open_bucket(state, principal, dst.bucket, write=True)
    if dst_bucket.provider not in EXPORT_PROVIDERS:
        allowed = ", ".join(sorted(EXPORT_PROVIDERS))
        raise bad(
            "destination",
            f"bucket {dst_bucket.name!r} is {dst_bucket.provider}: an export writes into an "
            f"imported bucket ({allowed}); copy between managed buckets instead",
            "invalid_destination",
        )
    if src_bucket.id == dst_bucket.id and dst.path.startswith(src.path) and src.folder:
        raise bad("destination", "lies inside the exported prefix", "invalid_destination")
    if not src.folder and await source.stat(src.path) is None:
        raise NotFound("not_found", f"source: blob {src.uri(src_bucket.name)!r} not found")
    return {
        "source": src.uri(src_bucket.name),
        "destination": dst.uri(dst_bucket.name),
        "source_bucket_id": src_bucket.id,
        "source_path": src.path,
        "destination_bucket_id": dst_bucket.id,
        "destination_prefix": dst.path,
        "part_size_mb": part_mb,
    }


def target_key(source_path: str, dest_prefix: str, key: str) -> str:
    """Where ``key`` (a blob under ``source_path``) goes: its path below a prefix source, or
    its last segment for a single-blob source, under ``dest_prefix``."""
    if source_path == "" or source_path.endswith("/"):
        return dest_prefix + key[len(source_path) :]
    return dest_prefix + key.rsplit("/", 1)[-1]


async def _pages(backend: BucketBackend, prefix: str) -> AsyncIterator[list[tuple[str, int]]]:
    """The blobs under ``prefix`` (key, size) in key order, one listing page at a time."""
    query = ListQuery(prefix=prefix, page_size=LIST_PAGE)
    while True:
        page = json.loads(await backend.list_blobs(query))
        yield [(b["key"], int(b["size"])) for b in page["results"]]
        if page["next_cursor"] is None:
            return
        query = replace(query, cursor=page["next_cursor"])


async def _selection(
    ctx: OpContext, source: BucketBackend, source_path: str, keys: Sequence[str] | None
) -> AsyncIterator[str]:
    """The source keys to export: the engine's chunk ``keys``, the one blob, or every blob of
    the prefix (counted in a first listing pass for the totals, then listed again page by
    page, so memory stays bounded whatever the prefix holds)."""
    if keys is not None:
        for key in _chosen(source_path, keys):
            yield key
        return
    if source_path and not source_path.endswith("/"):
        ctx.set_totals(items=1)
        yield source_path
        return
    items = total = 0
    async for page in _pages(source, source_path):
        items += len(page)
        total += sum(size for _, size in page)
        await ctx.check()
    ctx.set_totals(items=items, bytes_total=total)
    async for page in _pages(source, source_path):
        for key, _ in page:
            yield key


def _chosen(source_path: str, keys: Sequence[str]) -> list[str]:
    """The engine's chunk ``keys``, each checked to lie in the exported selection."""
    folder = source_path == "" or source_path.endswith("/")
    for key in keys:
        if (folder and not key.startswith(source_path)) or (not folder and key != source_path):
            raise Invalid("invalid_parameter", f"keys: {key!r} is not part of the export")
    return list(keys)


async def _metered(
    ctx: OpContext, first: bytes, rest: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """The source bytes, with progress counted and ``ctx.check()`` called every MiB."""
    pending = len(first)
    if first:
        yield first
    async for chunk in rest:
        pending += len(chunk)
        if pending >= MIB:
            ctx.add_progress(bytes_done=pending)
            pending = 0
            await ctx.check()
        yield chunk
    ctx.add_progress(bytes_done=pending)


async def _export_one(
    ctx: OpContext, source: BucketBackend, dest: RemoteBackend, blob: BlobRecord, key: str
) -> None:
    """Stream ``blob`` into ``key`` of ``dest`` (sha256 verified when known). Raises
    ``Invalid`` naming ``destination`` if ``key`` breaks the key rules (too long)."""
    problem = key_error(key)
    if problem:
        raise bad("destination", f"{key!r}: {problem}", "invalid_key")
    part_mb = ctx.params.get("part_size_mb")
    part_size = (part_mb if isinstance(part_mb, int) else DEFAULT_PART_MB) * MIB
    spec = WriteSpec(
        header_content_type(blob.content_type),
        check_metadata(blob.meta or {}, "the source blob's metadata"),
        expected=Expected(sha256_hex=blob.sha256),
    )
    first, rest = await source.open_read(blob)
    failure: list[BaseException] = []

    async def guarded() -> AsyncIterator[bytes]:
        try:
            async for chunk in _metered(ctx, first, rest):
                yield chunk
        except GeneratorExit:  # closed by the consumer: its own error is the one to report
            raise
        except BaseException as exc:  # a client library may wrap it on its way out of write
            failure.append(exc)
            raise

    try:
        await dest.write(key, guarded(), spec, part_size=part_size)
    except BaseException:
        if failure:
            raise failure[0] from None
        raise


async def run_export(ctx: OpContext, keys: Sequence[str] | None = None) -> dict[str, object]:
    """Export the source blobs (all of them, or only ``keys``, one chunk of the engine's) into
    the destination (see the module). Totals are set when exporting everything; progress
    counts blobs and bytes. Returns ``exported``, ``bytes`` and ``skipped`` (blobs gone since
    they were listed). Raises access errors of the owner, provider errors (``BadGateway``,
    ``Forbidden``...), ``Invalid`` (``checksum_mismatch``) and ``OperationCancelled``; the
    blob being written when that happens is not created."""
    params, principal = ctx.params, ctx.principal()
    _, source = await open_bucket(
        ctx.state, principal, str(params["source_bucket_id"]), write=False
    )
    _, dest = await open_bucket(
        ctx.state, principal, str(params["destination_bucket_id"]), write=True
    )
    if not isinstance(dest, RemoteBackend):
        raise bad("destination", "is no longer an imported bucket", "invalid_destination")
    source_path, prefix = str(params["source_path"]), str(params["destination_prefix"])
    exported = moved = skipped = 0
    async for key in _selection(ctx, source, source_path, keys):
        await ctx.check()
        blob = await source.stat(key)
        try:
            if blob is not None:
                await _export_one(ctx, source, dest, blob, target_key(source_path, prefix, key))
        except ObjectMissingError:  # replaced or deleted since the stat
            blob = None
        if blob is None:
            skipped += 1
            continue
        exported += 1
        moved += blob.size
        ctx.add_progress(items=1)
    return {"exported": exported, "bytes": moved, "skipped": skipped}
