"""Carrying out a sync plan: transfers through the transfer engine, then deletions."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from .errors import NotFoundError
from .progress import NullReporter, Reporter
from .syncplan import SyncOp, SyncOutcome, SyncPlan, SyncResult
from .transfer.context import TransferContext
from .transfer.deletes import delete_keys
from .transfer.downloads import download_one
from .transfer.folders import LocalFile, failed, local_file, remote_one, run_all
from .transfer.mtimes import server_offset_ns
from .transfer.options import TransferOptions, TransferSettings, resolve_options
from .transfer.report import FileResult
from .transfer.tracking import TaskProgress
from .transfer.uploads import upload_files

if TYPE_CHECKING:
    from .transfer.target import Target

Indexed = list[tuple[int, SyncOp]]


def apply_plan(
    target: Target,
    plan: SyncPlan,
    *,
    progress: Reporter | None = None,
    options: TransferOptions | None = None,
    **settings: Unpack[TransferSettings],
) -> SyncResult:
    """Carry out ``plan`` on ``target``: transfers first (``file_concurrency`` files at a
    time, through the transfer engine: ``upload_files`` (small files in tar batches, the rest
    single or multipart) or ``download_one``; checksums, recorded mtimes), then deletions.
    ``options``/keywords: :class:`~bucketry.TransferOptions` fields.

    Deletions are skipped when a transfer failed (a half-done mirror is never pruned). Every
    operation gets an outcome; errors are recorded, not raised. Progress: a ``sync`` task in
    bytes and one in files. Sets and returns ``plan.results``.
    """
    indexed = list(enumerate(plan.ops))
    moving = [(i, op) for i, op in indexed if op.action in ("upload", "download")]
    deleting = [(i, op) for i, op in indexed if op.action == "delete"]
    tracker = TaskProgress(
        progress or NullReporter(),
        "sync",
        f"bkt://{plan.bucket}/{plan.prefix}",
        sum(op.size for _, op in moving),
        files=len(moving) + len(deleting),
    )
    outcomes: dict[int, SyncOutcome] = {}
    try:
        results = _transfer(target, plan, [op for _, op in moving], tracker, options, settings)
    except BaseException as exc:
        tracker.finish(error=f"{type(exc).__name__}: {exc}")
        raise
    for (i, op), res in zip(moving, results, strict=True):
        outcomes[i] = SyncOutcome(op, "done") if res.ok else SyncOutcome(op, "failed", res.reason)
    _delete(target, plan, deleting, outcomes, tracker)
    for i, op in indexed:
        if op.action == "skip":
            outcomes[i] = SyncOutcome(op, "skipped")
    result = SyncResult([outcomes[i] for i, _ in indexed])
    tracker.finish(error=None if result.ok else f"{len(result.failed)} operation(s) failed")
    plan.results = result
    return result


def _transfer(
    target: Target,
    plan: SyncPlan,
    ops: list[SyncOp],
    tracker: TaskProgress,
    options: TransferOptions | None,
    settings: TransferSettings,
) -> list[FileResult]:
    """Upload or download ``ops`` (one result each, in order)."""
    opts = resolve_options(options, settings)
    with TransferContext(target, opts, tracker) as ctx:
        if plan.direction == "upload":
            return _upload_ops(ctx, ops, plan.prefix)
        offset_ns = server_offset_ns(target.client) if ops else 0
        jobs = [_download_job(ctx, plan, op, offset_ns) for op in ops]
        return run_all(jobs, opts.file_concurrency, ctx.cancel)


def _download_job(
    ctx: TransferContext, plan: SyncPlan, op: SyncOp, offset_ns: int
) -> Callable[[], FileResult]:
    def run() -> FileResult:
        started = time.monotonic()
        path = Path(op.path)
        try:
            info = plan._infos.get(op.key) or remote_one(ctx.target, op.key)
            if info is None:
                raise NotFoundError(
                    f"bkt://{plan.bucket}/{op.key}: no longer exists", status_code=404
                )
            if path.is_dir():
                raise IsADirectoryError(f"a folder is in the way: {path}")
            return download_one(ctx, info, path, False, False, offset_ns)
        except Exception as exc:
            return failed(op.key, path, op.size, started, exc)

    return run


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


def _delete(
    target: Target,
    plan: SyncPlan,
    deleting: Indexed,
    outcomes: dict[int, SyncOutcome],
    tracker: TaskProgress,
) -> None:
    """The deletions, unless a transfer failed (then each is skipped, saying why)."""
    failed_transfers = sum(1 for o in outcomes.values() if o.status == "failed")
    if failed_transfers:
        why = f"not deleted: {failed_transfers} transfer(s) failed"
        for i, op in deleting:
            outcomes[i] = SyncOutcome(op, "skipped", why)
        return
    if plan.direction == "upload":
        _delete_remote(target, deleting, outcomes)
    else:
        _delete_local(deleting, outcomes)
    for i, _ in deleting:
        if outcomes[i].status == "done":
            tracker.file_done()


def _delete_remote(target: Target, items: Indexed, outcomes: dict[int, SyncOutcome]) -> None:
    keys = [op.key for _, op in items]
    for (i, op), d in zip(items, delete_keys(target.client, target.ref, keys), strict=True):
        if d.ok:
            outcomes[i] = SyncOutcome(op, "done", None if d.deleted else "already gone")
        else:
            outcomes[i] = SyncOutcome(op, "failed", d.error)


def _delete_local(items: Indexed, outcomes: dict[int, SyncOutcome]) -> None:
    for i, op in items:
        try:
            os.unlink(op.path)
            outcomes[i] = SyncOutcome(op, "done")
        except FileNotFoundError:
            outcomes[i] = SyncOutcome(op, "done", "already gone")
        except OSError as exc:
            outcomes[i] = SyncOutcome(op, "failed", f"{type(exc).__name__}: {exc}")
