"""Sync a local folder with a bucket prefix: plan (a streaming sorted merge), then apply.

``plan_ops`` walks the local tree in key order (:mod:`bucketry.transfer.walk`) and the paged remote
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, Unpack, get_args

from .progress import resolve_progress
from .syncapply import apply_plan
from .synccompare import Comparer
from .syncplan import Compare, Direction, SyncOp, SyncOutcome, SyncPlan, SyncResult
from .transfer.filters import IGNORE_FILE, PathFilter
from .transfer.folders import (
    UnsafeKeyError,
    safe_relative,
)
from .transfer.mtimes import NS, remote_mtime_ns, server_offset_ns
from .transfer.options import TransferOptions, TransferSettings, resolve_options
from .transfer.walk import LocalEntry, ancestors_ignored, effective, walk_sorted, wanted
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
    """The comparer for these options, with the server's clock skew measured when times are
    compared (``"mtime+size"``, or ``update=True`` whatever the comparison)."""
    if compare != "mtime+size" and not update:
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
    return effective(PathFilter.for_folder(root, include, exclude, ignore_file))


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
    """The merge step: one :class:`SyncOp` per key, from both sides in key order."""
    # The ignore file itself is not synced (as with upload()).
    walk = (f for f in walk_sorted(root, keep) if f.rel != ignore_file)
    local_iter = _ordered(walk, "local", lambda f: f.rel)
    remote_iter = _remote_entries(bucket, prefix, keep, ignore_file, page_size)
    steps = _Steps(prefix, str(root) + os.sep, direction, delete, infos)
    loc = next(local_iter, None)
    rem = next(remote_iter, None)
    while loc is not None or rem is not None:
        if rem is None or (loc is not None and loc.rel < rem[0]):
            assert loc is not None
            yield steps.only_local(loc)
            loc = next(local_iter, None)
        elif loc is None or rem[0] < loc.rel:
            yield steps.only_remote(*rem)
            rem = next(remote_iter, None)
        else:
            yield steps.on_both(loc, rem[1], *comparer.decide(loc, rem[1]))
            loc = next(local_iter, None)
            rem = next(remote_iter, None)


def _remote_entries(
    bucket: Target, prefix: str, keep: PathFilter | None, ignore_file: str | None, page_size: int
) -> Iterator[tuple[str, BlobInfo]]:
    """``(relative key, info)`` of the blobs under ``prefix`` that take part, in key order:
    no folder markers, nothing the filters leave out, not the ignore file."""
    listing = bucket.list(prefix, recursive=True, page_size=page_size, prefetch=True)
    for info in _ordered(iter(listing), "remote", lambda b: b.key):
        rel = info.key[len(prefix) :]
        if info.is_dir or not rel or rel.endswith("/") or rel == ignore_file:
            continue  # folder markers have no file
        if not wanted(keep, rel) or (keep is not None and ancestors_ignored(keep, rel)):
            continue
        yield rel, info


class _Steps:
    """What each case of the merge becomes under these options."""

    def __init__(
        self,
        prefix: str,
        base: str,
        direction: Direction,
        delete: bool,
        infos: dict[str, BlobInfo] | None,
    ) -> None:
        self.prefix, self.base, self.delete, self.infos = prefix, base, delete, infos
        self.upload = direction == "upload"

    def path_of(self, rel: str) -> str:
        """The local path of a relative key."""
        return self.base + rel.replace("/", os.sep)

    def download(self, info: BlobInfo, path: str, reason: str) -> SyncOp:
        """A download step (remembering the listed info, so applying needs no HEAD)."""
        if self.infos is not None:
            self.infos[info.key] = info
        return SyncOp("download", info.key, path, info.size, reason)

    def only_local(self, loc: LocalEntry) -> SyncOp:
        """A file with no blob: upload it, or (downloading) delete it or leave it."""
        key, path = self.prefix + loc.rel, loc.path
        if self.upload:
            return SyncOp("upload", key, path, loc.size, "missing on remote")
        if self.delete:
            return SyncOp("delete", key, path, loc.size, "extraneous (delete=True)")
        return SyncOp("skip", key, path, loc.size, "only local (delete=False)")

    def only_remote(self, rel: str, info: BlobInfo) -> SyncOp:
        """A blob with no file: download it, or (uploading) delete it or leave it."""
        if self.upload:
            if self.delete:
                return SyncOp(
                    "delete", info.key, self.path_of(rel), info.size, "extraneous (delete=True)"
                )
            return SyncOp(
                "skip", info.key, self.path_of(rel), info.size, "only on remote (delete=False)"
            )
        if not _safe_rel(rel):
            return SyncOp("skip", info.key, "", info.size, "key cannot be a local file name")
        return self.download(info, self.path_of(rel), "missing locally")

    def on_both(self, loc: LocalEntry, info: BlobInfo, transfer: bool, reason: str) -> SyncOp:
        """A key on both sides, as the comparer decided."""
        if not transfer:
            return SyncOp("skip", info.key, loc.path, loc.size, reason)
        if self.upload:
            return SyncOp("upload", info.key, loc.path, loc.size, reason)
        return self.download(info, loc.path, reason)


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
    options: TransferOptions | None = None,
    **settings: Unpack[TransferSettings],
) -> SyncPlan:
    """Plan, then (unless ``dry_run``) apply; returns the plan with ``results`` attached.

    A dry run makes no change at all: it only lists the bucket and reads the local folder.
    Deletions happen only with ``delete=True``. ``update=True`` never overwrites a destination
    file that is newer than its source (rclone ``--update``). ``options`` and/or keywords: the
    fields of :class:`~bucketry.TransferOptions` (``file_concurrency``, ``part_size``,
    ``batch``...; small files are uploaded in tar batches unless ``batch=False``)."""
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
        apply_plan(bucket, plan, progress=reporter, options=resolve_options(options, settings))
    return plan
