"""Sync a local folder with a bucket prefix: plan (a streaming sorted merge), then apply.

``plan_ops`` walks the local tree in key order (:mod:`bucketry.localwalk`) and the paged remote
listing side by side, like the merge step of merge sort, so memory stays constant however many
files there are (only the plan itself grows). Each key becomes one :class:`SyncOp`: upload,
download, delete or skip, with the reason. ``sync(..., dry_run=True)`` stops there and changes
nothing; otherwise :func:`apply_plan` carries the plan out (also a plan saved with
:meth:`SyncPlan.save` and reloaded with :meth:`SyncPlan.load`, through ``client.apply(plan)``).

Comparison (``compare=``):

* ``"mtime+size"``: equal sizes and modification times within the tolerance (2 s plus the
  measured clock skew with the server) mean identical. Otherwise the source is copied only when
  it is *newer*; a size difference alone never makes a side newer, so a destination that is newer
  is left alone and the reason says so.
* ``"size"``: copied when the sizes differ.
* ``"checksum"``: copied when the SHA-256 differs (the remote's comes from the listing; the local
  one is computed only for keys present on both sides with equal sizes).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from bucketry_api.models import BlobDeleteMany

from .errors import NotFoundError
from .localwalk import LocalEntry, ancestors_ignored, effective, walk_sorted, wanted
from .progress import NullReporter, Reporter, resolve_progress
from .resources._base import opt
from .resources.blobs import BlobInfo
from .syncplan import Compare, Direction, SyncOp, SyncOutcome, SyncPlan, SyncResult
from .transfer.checksums import sha256_file
from .transfer.context import TransferContext, TransferOptions
from .transfer.downloads import download_one
from .transfer.filters import IGNORE_FILE, IgnoreRules, PathFilter
from .transfer.folders import (
    LocalFile,
    UnsafeKeyError,
    failed,
    local_file,
    remote_one,
    run_all,
    safe_relative,
)
from .transfer.mtimes import MTIME_KEY, NS, parse_mtime, remote_mtime_ns, server_offset_ns
from .transfer.report import FileResult
from .transfer.tracking import TaskProgress
from .transfer.uploads import upload_files

__all__ = [
    "Compare",
    "Direction",
    "SyncOp",
    "SyncOutcome",
    "SyncPlan",
    "SyncResult",
    "apply_plan",
    "compute_plan",
    "plan_ops",
    "sync",
]

if TYPE_CHECKING:
    from .client import Client
    from .progress import ProgressCallback
    from .resources.buckets import Bucket

T = TypeVar("T")
DEFAULT_TOLERANCE = 2.0


# ---------------------------------------------------------------------------- planning


def normalize_prefix(prefix: str) -> str:
    """``"raw"`` and ``"raw/"`` both mean the folder ``raw/``; ``""`` the whole bucket."""
    prefix = prefix.lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def remote_mtime(info: BlobInfo, offset_ns: int = 0) -> float:
    """The blob's modification time in seconds on the local clock: the source mtime recorded
    by an SDK upload, else ``modified_at`` corrected by the server's clock offset."""
    ns = remote_mtime_ns(info, offset_ns)
    return 0.0 if ns is None else ns / NS


def _safe_rel(rel: str) -> bool:
    try:
        safe_relative(rel)
    except UnsafeKeyError:
        return False
    return True


class _Comparer:
    """Decides, for a key present on both sides, whether to transfer and why."""

    def __init__(self, direction: Direction, compare: Compare, client: Client | None) -> None:
        self.direction = direction
        self.compare = compare
        self.src_name, self.dst_name = (
            ("local", "remote") if direction == "upload" else ("remote", "local")
        )
        self.offset_ns = 0
        self.skew = 0.0
        if compare == "mtime+size" and client is not None:
            self.skew = abs(client.clock_offset())
            self.offset_ns = server_offset_ns(client)

    def remote_time(self, info: BlobInfo) -> tuple[float, float]:
        """The blob's mtime in seconds on the local clock, and the tolerance to compare it with:
        2 s, plus the measured clock skew when the time is the server's own (``modified_at``)
        rather than a source mtime recorded by an upload (same clock as ours)."""
        recorded = info.metadata.get(MTIME_KEY)
        if recorded is not None:
            ns = parse_mtime(recorded)
            if ns is not None:
                return ns / NS, DEFAULT_TOLERANCE
        return remote_mtime(info, self.offset_ns), DEFAULT_TOLERANCE + self.skew

    def decide(self, local: LocalEntry, remote: BlobInfo) -> tuple[bool, str]:
        if self.compare == "size":
            if local.size != remote.size:
                return True, "size differs"
            return False, "identical (same size)"
        if self.compare == "checksum":
            if local.size != remote.size:
                return True, "size differs"
            if remote.sha256 is None:
                return True, "remote checksum unknown"
            if sha256_file(local.path) != remote.sha256.lower():
                return True, "checksum differs"
            return False, "identical (sha256)"
        local_t = local.mtime_ns / NS
        remote_t, tolerance = self.remote_time(remote)
        src_t, dst_t = (local_t, remote_t) if self.direction == "upload" else (remote_t, local_t)
        delta = src_t - dst_t
        same_size = local.size == remote.size
        if abs(delta) <= tolerance:
            if same_size:
                return False, "identical"
            return False, (
                f"size differs but mtimes are within {tolerance:.0f} s — not overwritten "
                "(use compare='size' or 'checksum')"
            )
        if delta > 0:
            return True, f"{self.src_name} newer (mtime)" + ("" if same_size else ", size differs")
        if same_size:
            return False, f"{self.dst_name} newer — not overwritten"
        return False, f"size differs but {self.dst_name} is newer — not overwritten"


def _ordered(items: Iterable[T], side: str, key: Callable[[T], str]) -> Iterator[T]:
    """Pass items through, checking the merge's precondition (strictly increasing keys)."""
    last: str | None = None
    for item in items:
        k = key(item)
        if last is not None and k <= last:
            raise RuntimeError(f"{side} entries are not in key order ({last!r} then {k!r})")
        last = k
        yield item


def _filter(
    root: Path,
    include: Sequence[str] | str | None,
    exclude: Sequence[str] | str | None,
    ignore_file: str | None,
) -> PathFilter | None:
    """The transfer engine's filter for these options (``None`` when nothing is filtered)."""
    rules = None
    if ignore_file and (root / ignore_file).is_file():
        rules = IgnoreRules.read(root / ignore_file)
    if isinstance(include, str):
        include = [include]
    if isinstance(exclude, str):
        exclude = [exclude]
    return effective(PathFilter(include, exclude, rules))


def plan_ops(
    bucket: Bucket,
    local: Path,
    prefix: str = "",
    *,
    direction: Direction = "upload",
    delete: bool = False,
    compare: Compare = "mtime+size",
    include: Sequence[str] | str | None = None,
    exclude: Sequence[str] | str | None = None,
    ignore_file: str | None = IGNORE_FILE,
    page_size: int = 1000,
    _infos: dict[str, BlobInfo] | None = None,
) -> Iterator[SyncOp]:
    """Yield the operations one by one while merging the local walk with the remote listing.

    Lazy on both sides: the listing's next page is requested only when the merge reaches it.
    """
    if direction not in get_args(Direction):
        raise ValueError(f"direction must be 'upload' or 'download', not {direction!r}")
    if compare not in get_args(Compare):
        raise ValueError(f"compare must be one of {get_args(Compare)}, not {compare!r}")
    prefix = normalize_prefix(prefix)
    root = Path(local).absolute()
    if direction == "upload" and not root.is_dir():
        raise FileNotFoundError(f"no such folder: {root}")
    if direction == "download" and root.exists() and not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")
    return _merge(
        bucket,
        root,
        prefix,
        direction,
        delete,
        _Comparer(direction, compare, bucket.client),
        _filter(root, include, exclude, ignore_file),
        ignore_file,
        page_size,
        _infos,
    )


def _merge(
    bucket: Bucket,
    root: Path,
    prefix: str,
    direction: Direction,
    delete: bool,
    comparer: _Comparer,
    keep: PathFilter | None,
    ignore_file: str | None,
    page_size: int,
    infos: dict[str, BlobInfo] | None,
) -> Iterator[SyncOp]:
    upload = direction == "upload"
    # The ignore file itself is not synced (as with upload()).
    walk = (f for f in walk_sorted(root, keep) if f.rel != ignore_file)
    local_iter = _ordered(walk, "local", lambda f: f.rel)
    listing = bucket.list(prefix, recursive=True, page_size=page_size, prefetch=True)
    remote_iter = _ordered(iter(listing), "remote", lambda b: b.key)
    base = str(root) + os.sep

    def next_remote() -> tuple[str, BlobInfo] | None:
        for info in remote_iter:
            rel = info.key[len(prefix) :]
            if info.is_dir or not rel or rel.endswith("/") or rel == ignore_file:
                continue  # folder markers have no file
            if not wanted(keep, rel) or (keep is not None and ancestors_ignored(keep, rel)):
                continue
            return rel, info
        return None

    def path_of(rel: str) -> str:
        return base + rel.replace("/", os.sep)

    def download(info: BlobInfo, path: str, reason: str) -> SyncOp:
        if infos is not None:
            infos[info.key] = info
        return SyncOp("download", info.key, path, info.size, reason)

    loc = next(local_iter, None)
    rem = next_remote()
    while loc is not None or rem is not None:
        if rem is None or (loc is not None and loc.rel < rem[0]):  # only local
            assert loc is not None
            key, path = prefix + loc.rel, loc.path
            if upload:
                yield SyncOp("upload", key, path, loc.size, "missing on remote")
            elif delete:
                yield SyncOp("delete", key, path, loc.size, "extraneous (delete=True)")
            else:
                yield SyncOp("skip", key, path, loc.size, "only local (delete=False)")
            loc = next(local_iter, None)
        elif loc is None or rem[0] < loc.rel:  # only remote
            rel, info = rem
            if upload:
                if delete:
                    yield SyncOp(
                        "delete", info.key, path_of(rel), info.size, "extraneous (delete=True)"
                    )
                else:
                    yield SyncOp(
                        "skip", info.key, path_of(rel), info.size, "only on remote (delete=False)"
                    )
            elif not _safe_rel(rel):
                yield SyncOp("skip", info.key, "", info.size, "key cannot be a local file name")
            else:
                yield download(info, path_of(rel), "missing locally")
            rem = next_remote()
        else:  # on both sides
            rel, info = rem
            transfer, reason = comparer.decide(loc, info)
            if not transfer:
                yield SyncOp("skip", info.key, loc.path, loc.size, reason)
            elif upload:
                yield SyncOp("upload", info.key, loc.path, loc.size, reason)
            else:
                yield download(info, loc.path, reason)
            loc = next(local_iter, None)
            rem = next_remote()


def compute_plan(
    bucket: Bucket,
    local: Path,
    prefix: str = "",
    *,
    direction: Direction = "upload",
    delete: bool = False,
    compare: Compare = "mtime+size",
    dry_run: bool = False,
    include: Sequence[str] | str | None = None,
    exclude: Sequence[str] | str | None = None,
    ignore_file: str | None = IGNORE_FILE,
    page_size: int = 1000,
) -> SyncPlan:
    """Build the whole :class:`SyncPlan` (no change anywhere)."""
    infos: dict[str, BlobInfo] = {}
    ops = plan_ops(
        bucket,
        local,
        prefix,
        direction=direction,
        delete=delete,
        compare=compare,
        include=include,
        exclude=exclude,
        ignore_file=ignore_file,
        page_size=page_size,
        _infos=infos,
    )
    plan = SyncPlan(
        bucket=bucket.ref,
        prefix=normalize_prefix(prefix),
        local=str(Path(local).absolute()),
        direction=direction,
        compare=compare,
        delete=delete,
        dry_run=dry_run,
        ops=list(ops),
    )
    plan._infos = infos
    return plan


def sync(
    bucket: Bucket,
    local: Path,
    prefix: str = "",
    *,
    direction: Direction = "upload",
    delete: bool = False,
    compare: Compare = "mtime+size",
    dry_run: bool = False,
    include: Sequence[str] | str | None = None,
    exclude: Sequence[str] | str | None = None,
    progress: bool | ProgressCallback | None = None,
    ignore_file: str | None = IGNORE_FILE,
    page_size: int = 1000,
    file_concurrency: int = 8,
    **transfer_options: Any,
) -> SyncPlan:
    """Plan, then (unless ``dry_run``) apply; returns the plan with ``results`` attached.

    A dry run makes no change at all: it only lists the bucket and reads the local folder.
    Deletions happen only with ``delete=True``. ``transfer_options`` (``part_size``,
    ``multipart_threshold``, ``max_concurrency``, ``batch``, ``batch_threshold``, ...) go to
    the transfer engine (small files are uploaded in tar batches unless ``batch=False``)."""
    plan = compute_plan(
        bucket,
        local,
        prefix,
        direction=direction,
        delete=delete,
        compare=compare,
        dry_run=dry_run,
        include=include,
        exclude=exclude,
        ignore_file=ignore_file,
        page_size=page_size,
    )
    if not dry_run:
        reporter = resolve_progress(progress, bucket.client.progress)
        apply_plan(
            bucket.client,
            plan,
            progress=reporter,
            file_concurrency=file_concurrency,
            **transfer_options,
        )
    return plan


# ---------------------------------------------------------------------------- applying


def apply_plan(
    client: Client,
    plan: SyncPlan,
    *,
    progress: Reporter | None = None,
    file_concurrency: int = 8,
    **transfer_options: Any,
) -> SyncResult:
    """Carry out ``plan``: transfers first (``file_concurrency`` files at a time, through the
    transfer engine: ``upload_files`` (small files in tar batches, the rest single or
    multipart) or ``download_one``; checksums, recorded mtimes), then deletions. ``transfer_options`` go to ``TransferOptions``
    (``part_size``, ``multipart_threshold``, ``max_concurrency``...).

    Deletions are skipped when a transfer failed (a half-done mirror is never pruned). Every
    operation gets an outcome; errors are recorded, not raised. Progress: a ``sync`` task in
    bytes and one in files. Sets and returns ``plan.results``.
    """
    reporter: Reporter = progress or NullReporter()
    bucket = client.bucket(plan.bucket)
    indexed = list(enumerate(plan.ops))
    moving = [(i, op) for i, op in indexed if op.action in ("upload", "download")]
    deleting = [(i, op) for i, op in indexed if op.action == "delete"]
    label = f"bkt://{plan.bucket}/{plan.prefix}"
    tracker = TaskProgress(
        reporter, "sync", label, sum(op.size for _, op in moving), files=len(moving) + len(deleting)
    )
    outcomes: dict[int, SyncOutcome] = {}
    offset_ns = server_offset_ns(client) if any(op.action == "download" for _, op in moving) else 0
    infos = plan._infos

    def job(op: SyncOp) -> Callable[[], FileResult]:
        def run() -> FileResult:
            started = time.monotonic()
            path = Path(op.path)
            try:
                info = infos.get(op.key) or remote_one(bucket, op.key)
                if info is None:
                    raise NotFoundError(f"blob {op.key!r} no longer exists", status_code=404)
                if path.is_dir():
                    raise IsADirectoryError(f"a folder is in the way: {path}")
                return download_one(ctx, info, path, False, False, offset_ns)
            except Exception as exc:
                return failed(op.key, path, op.size, started, exc)

        return run

    options = TransferOptions(file_concurrency=file_concurrency, **transfer_options)
    try:
        with TransferContext(bucket, options, tracker) as ctx:
            if plan.direction == "upload":
                results = _upload_ops(ctx, [op for _, op in moving], plan.prefix)
            else:
                results = run_all([job(op) for _, op in moving], file_concurrency, ctx.cancel)
    except BaseException as exc:
        tracker.finish(error=f"{type(exc).__name__}: {exc}")
        raise
    for (i, op), res in zip(moving, results, strict=True):
        outcomes[i] = (
            SyncOutcome(op, "failed", res.reason) if not res.ok else SyncOutcome(op, "done")
        )

    failed_transfers = sum(1 for o in outcomes.values() if o.status == "failed")
    if failed_transfers:
        why = f"not deleted: {failed_transfers} transfer(s) failed"
        for i, op in deleting:
            outcomes[i] = SyncOutcome(op, "skipped", why)
    elif plan.direction == "upload":
        _delete_remote(client, bucket, deleting, outcomes)
    else:
        for i, op in deleting:
            try:
                os.unlink(op.path)
                outcomes[i] = SyncOutcome(op, "done")
            except FileNotFoundError:
                outcomes[i] = SyncOutcome(op, "done", "already gone")
            except OSError as exc:
                outcomes[i] = SyncOutcome(op, "failed", _describe(exc))
    for i, _ in deleting:
        if outcomes[i].status == "done":
            tracker.file_done()

    for i, op in indexed:
        if op.action == "skip":
            outcomes[i] = SyncOutcome(op, "skipped")
    result = SyncResult([outcomes[i] for i, _ in indexed])
    tracker.finish(error=None if result.ok else f"{len(result.failed)} operation(s) failed")
    plan.results = result
    return result


def _upload_ops(ctx: TransferContext, ops: list[SyncOp], prefix: str) -> list[FileResult]:
    """The upload operations through ``upload_files``; a file gone since planning fails alone."""
    results: list[FileResult | None] = [None] * len(ops)
    items: list[tuple[LocalFile, str]] = []
    slots: list[int] = []
    for n, op in enumerate(ops):
        started = time.monotonic()
        try:
            items.append((local_file(Path(op.path)), op.key))
            slots.append(n)
        except Exception as exc:
            results[n] = failed(op.key, Path(op.path), op.size, started, exc)
    for n, result in zip(slots, upload_files(ctx, items, prefix), strict=True):
        results[n] = result
    return [r for r in results if r is not None]


def _delete_remote(
    client: Client,
    bucket: Bucket,
    items: list[tuple[int, SyncOp]],
    outcomes: dict[int, SyncOutcome],
) -> None:
    for start in range(0, len(items), 1000):
        batch = items[start : start + 1000]
        body = BlobDeleteMany(keys=[op.key for _, op in batch], dry_run=False)
        try:
            answer = client.call(client.api.blobs.delete_many, bucket.ref, body=body)
        except Exception as exc:
            for i, op in batch:
                outcomes[i] = SyncOutcome(op, "failed", _describe(exc))
            continue
        by_key = {r.key: r for r in answer.results}
        for i, op in batch:
            r = by_key.get(op.key)
            error = None if r is None else opt(r.error)
            if r is not None and not r.deleted and error not in (None, "not_found"):
                outcomes[i] = SyncOutcome(op, "failed", str(error))
            else:
                gone = "already gone" if error == "not_found" else None
                outcomes[i] = SyncOutcome(op, "done", gone)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
