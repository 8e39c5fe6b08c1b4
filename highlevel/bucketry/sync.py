"""Sync a local folder with a bucket prefix: plan (a streaming sorted merge), then apply.

``plan_ops`` walks the local tree in key order (:mod:`bucketry.localwalk`) and the paged remote
listing side by side, like the merge step of merge sort, so memory stays constant however many
files there are (only the plan itself grows). Each key becomes one :class:`SyncOp`: upload,
download, delete or skip, with the reason. ``sync(..., dry_run=True)`` stops there and changes
nothing; otherwise :func:`apply_plan` carries the plan out (also a plan saved with
:meth:`SyncPlan.save` and reloaded with :meth:`SyncPlan.load`, through ``client.apply(plan)``).

Comparison (``compare=``, ``update=``): see :mod:`bucketry.synccompare`. ``sync`` mirrors: the
destination ends equal to the source, a newer destination included, unless ``update=True``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from .errors import NotFoundError
from .localwalk import ancestors_ignored, effective, walk_sorted, wanted
from .progress import NullReporter, Reporter, resolve_progress
from .synccompare import Comparer
from .syncplan import Compare, Direction, SyncOp, SyncOutcome, SyncPlan, SyncResult
from .transfer.context import TransferContext, TransferOptions
from .transfer.deletes import delete_keys
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
from .transfer.mtimes import NS, remote_mtime_ns, server_offset_ns
from .transfer.report import FileResult
from .transfer.tracking import TaskProgress
from .transfer.uploads import upload_files
from .types import BlobInfo

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
    from .progress import ProgressCallback
    from .transfer.target import Target

T = TypeVar("T")


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


def _comparer(bucket: Target, direction: Direction, compare: Compare, update: bool) -> Comparer:
    """The comparer for these options, with the server's clock skew measured when needed."""
    if compare != "mtime+size":
        return Comparer(direction, compare, update=update)
    client = bucket.client
    return Comparer(
        direction,
        compare,
        update=update,
        skew=client.clock_offset(),
        offset_ns=server_offset_ns(client),
    )


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
    bucket: Target,
    local: Path,
    prefix: str = "",
    *,
    direction: Direction = "upload",
    delete: bool = False,
    compare: Compare = "mtime+size",
    update: bool = False,
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
        _comparer(bucket, direction, compare, update),
        _filter(root, include, exclude, ignore_file),
        ignore_file,
        page_size,
        _infos,
    )


def _merge(
    bucket: Target,
    root: Path,
    prefix: str,
    direction: Direction,
    delete: bool,
    comparer: Comparer,
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
    bucket: Target,
    local: Path,
    prefix: str = "",
    *,
    direction: Direction = "upload",
    delete: bool = False,
    compare: Compare = "mtime+size",
    update: bool = False,
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
        update=update,
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
        update=update,
        ops=list(ops),
    )
    plan._infos = infos
    return plan


def sync(
    bucket: Target,
    local: Path,
    prefix: str = "",
    *,
    direction: Direction = "upload",
    delete: bool = False,
    compare: Compare = "mtime+size",
    update: bool = False,
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
    Deletions happen only with ``delete=True``. ``update=True`` never overwrites a destination
    file that is newer than its source (rclone ``--update``). ``transfer_options`` (``part_size``,
    ``multipart_threshold``, ``max_concurrency``, ``batch``, ``batch_threshold``, ...) go to
    the transfer engine (small files are uploaded in tar batches unless ``batch=False``)."""
    plan = compute_plan(
        bucket,
        local,
        prefix,
        direction=direction,
        delete=delete,
        compare=compare,
        update=update,
        dry_run=dry_run,
        include=include,
        exclude=exclude,
        ignore_file=ignore_file,
        page_size=page_size,
    )
    if not dry_run:
        reporter = resolve_progress(progress, bucket.client.progress)
        apply_plan(
            bucket,
            plan,
            progress=reporter,
            file_concurrency=file_concurrency,
            **transfer_options,
        )
    return plan


# ---------------------------------------------------------------------------- applying


def apply_plan(
    target: Target,
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
    client = target.client
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
                info = infos.get(op.key) or remote_one(target, op.key)
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
        with TransferContext(target, options, tracker) as ctx:
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
        _delete_remote(target, deleting, outcomes)
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
    target: Target, items: list[tuple[int, SyncOp]], outcomes: dict[int, SyncOutcome]
) -> None:
    keys = [op.key for _, op in items]
    for (i, op), d in zip(items, delete_keys(target.client, target.ref, keys), strict=True):
        if d.ok:
            outcomes[i] = SyncOutcome(op, "done", None if d.deleted else "already gone")
        else:
            outcomes[i] = SyncOutcome(op, "failed", d.error)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
