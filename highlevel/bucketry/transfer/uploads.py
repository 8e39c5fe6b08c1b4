"""``upload()``: a file or a folder into a bucket."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from ..progress import ProgressCallback, resolve_progress
from ..types import BlobInfo
from .batches import Item, plan_batches, send_batch
from .context import TransferContext
from .direct import put_direct
from .filters import IGNORE_FILE, PathFilter
from .folders import (
    LocalFile,
    Task,
    failed,
    local_file,
    remote_index,
    remote_one,
    run_tasks,
    walk,
)
from .mtimes import is_newer, remote_mtime_ns, server_offset_ns, skip_reason
from .multipart import upload_multipart
from .options import TransferOptions, TransferSettings, resolve_options
from .report import FileResult, TransferReport, conclude
from .single import put_file
from .tracking import PartCounter, TaskProgress

if TYPE_CHECKING:
    from .target import Target


def upload(
    bucket: Target,
    src: Path,
    dst: str = "",
    *,
    update: bool = False,
    continue_: bool = False,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    ignore_file: str | None = IGNORE_FILE,
    progress: bool | ProgressCallback | None = None,
    options: TransferOptions | None = None,
    **settings: Unpack[TransferSettings],
) -> TransferReport:
    """Upload a file to the key ``dst`` (or ``dst + name`` when ``dst`` is ``""`` or ends in
    ``/``), or a folder's files to ``dst`` + their relative POSIX paths.

    ``update``: only files newer (by mtime) than their blob. ``continue_``: skip files whose
    blob has the same size (an interrupted multipart upload is resumed in any case).
    ``include``/``exclude``: globs over relative paths; ``ignore_file``: gitignore-like file at
    the folder's root (``None`` to ignore it). ``options``/``settings``: a
    :class:`~bucketry.transfer.options.TransferOptions` and/or its fields as keywords: files
    above ``multipart_threshold`` go multipart, ``max_concurrency`` parts in flight in total,
    ``file_concurrency`` files at once; with ``batch`` (the default), a folder's files up to
    ``batch_threshold`` bytes go in tar batches of at most ``batch_files`` files /
    ``batch_bytes`` bytes, one request each; a server without batches gets one PUT per file.

    A folder upload returns a report with one result per file (a failure does not stop the
    others; ``report.raise_for_errors()``). A single file's failure is raised.
    """
    started = time.monotonic()
    options = resolve_options(options, settings)
    src = Path(src)
    folder = src.is_dir()
    files, prefix = _local_files(src, dst, include, exclude, ignore_file)
    results, jobs = _skip_or_send(bucket, files, prefix, folder, update, continue_)
    tracker = TaskProgress(
        resolve_progress(progress, bucket.client.progress),
        "upload",
        str(src),
        sum(lf.size for _, lf, _ in jobs),
        files=len(jobs) if folder else None,
    )
    with TransferContext(bucket, options, tracker) as ctx:
        try:
            done = upload_files(ctx, [(lf, key) for _, lf, key in jobs], prefix)
        except BaseException as exc:
            tracker.finish(error=f"{type(exc).__name__}: {exc}")
            raise
    for (slot, _, _), result in zip(jobs, done, strict=True):
        results[slot] = result
    return conclude("upload", results, started, tracker, folder=folder)


def _local_files(
    src: Path,
    dst: str,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    ignore_file: str | None,
) -> tuple[list[Item], str]:
    """The ``(file, key)`` pairs to upload and the prefix (the key, for a single file)."""
    if src.is_dir():
        prefix = dst if not dst or dst.endswith("/") else dst + "/"
        filters = PathFilter.for_folder(src, include, exclude, ignore_file)
        return [(lf, prefix + lf.rel) for lf in walk(src, filters) if lf.rel != ignore_file], prefix
    lf = local_file(src)  # FileNotFoundError / IsADirectoryError
    key = dst + src.name if not dst or dst.endswith("/") else dst
    return [(lf, key)], key


def _skip_or_send(
    bucket: Target, files: list[Item], prefix: str, folder: bool, update: bool, continue_: bool
) -> tuple[list[FileResult | None], list[tuple[int, LocalFile, str]]]:
    """Results with the skipped files filled in (``update``/``continue_``), and the jobs:
    ``(slot in the results, file, key)`` for the files to send."""
    remote: dict[str, BlobInfo] = {}
    offset_ns = 0
    if update or continue_:
        if folder:
            remote = remote_index(bucket, prefix)
        elif (info := remote_one(bucket, prefix)) is not None:
            remote = {info.key: info}
        if update:
            offset_ns = server_offset_ns(bucket.client)
    results: list[FileResult | None] = []
    jobs: list[tuple[int, LocalFile, str]] = []
    for lf, key in files:
        info = remote.get(key)
        reason = None
        if info is not None:
            if continue_ and info.size == lf.size:
                reason = "complete"
            elif update:
                dst_ns = remote_mtime_ns(info, offset_ns)
                if not is_newer(lf.mtime_ns, dst_ns):
                    reason = skip_reason(lf.mtime_ns, dst_ns)
        if reason is not None:
            results.append(FileResult(key, lf.path, "skipped", size=lf.size, reason=reason))
        else:
            jobs.append((len(results), lf, key))
            results.append(None)
    return results, jobs


def upload_files(ctx: TransferContext, items: Sequence[Item], prefix: str) -> list[FileResult]:
    """Upload ``(file, key)`` pairs, ``file_concurrency`` at a time: small files under
    ``prefix`` in tar batches (see ``batches``), the others one by one (single PUT or
    multipart); a batch the server cannot take is sent file by file. Results in item order."""
    results: list[FileResult | None] = [None] * len(items)

    def single(i: int) -> list[Task]:
        f, key = items[i]
        results[i] = upload_one(ctx, f, key)
        return []

    def batch(group: list[int]) -> list[Task]:
        outcome = send_batch(ctx, [items[i] for i in group], prefix)
        redo: list[Task] = []
        for i, result in zip(group, outcome, strict=True):
            if result is None:
                redo.append(partial(single, i))
            else:
                results[i] = result
        return redo

    groups, singles = plan_batches(ctx.options, items, prefix)
    planned = [(g[0], partial(batch, g)) for g in groups] + [
        (i, partial(single, i)) for i in singles
    ]
    planned.sort(key=lambda p: p[0])
    interrupted = run_tasks([task for _, task in planned], ctx.options.file_concurrency, ctx.cancel)
    done = [r for r in results if r is not None]
    if interrupted and (len(done) != len(items) or not all(r.ok for r in done)):
        raise KeyboardInterrupt  # Ctrl-C cost a file: report the interruption
    if len(done) != len(items):  # pragma: no cover - every task records its files
        raise RuntimeError("upload_files: a file has no result")
    return done


def upload_one(ctx: TransferContext, lf: LocalFile, key: str) -> FileResult:
    """Upload one local file to ``key`` (with ``direct``, one PUT to the provider when it
    can take it; else a single PUT, or multipart above the threshold, resuming an open upload
    of the same file); errors become a failed ``FileResult``."""
    started = time.monotonic()
    try:
        if ctx.options.direct and put_direct(ctx, lf, key, PartCounter(ctx.progress)):
            sent, resumed = lf.size, False
        elif lf.size > ctx.options.multipart_threshold:
            outcome = upload_multipart(ctx, lf, key)
            sent, resumed = outcome.sent, outcome.resumed
        else:
            put_file(ctx, lf, key, PartCounter(ctx.progress))
            sent, resumed = lf.size, False
    except Exception as exc:
        return failed(key, lf.path, lf.size, started, exc)
    if ctx.progress is not None:
        ctx.progress.file_done()
    return FileResult(
        key,
        lf.path,
        "uploaded",
        size=lf.size,
        bytes=sent,
        elapsed=time.monotonic() - started,
        resumed=resumed,
    )


def upload_pairs(
    bucket: Target,
    pairs: Sequence[tuple[Path, str]],
    *,
    progress: bool | ProgressCallback | None = None,
    options: TransferOptions | None = None,
) -> TransferReport:
    """Upload each local file of ``(path, key)`` to its key, ``file_concurrency`` files at
    once (single PUT or parallel multipart parts, always streamed from disk), and report one
    result per pair in order; a file that fails (or is missing) is reported, never raised.
    Used by ``project.assets.append`` for local files."""
    started = time.monotonic()
    options = options or TransferOptions()
    results: list[FileResult | None] = []
    jobs: list[tuple[int, LocalFile, str]] = []
    for path, key in pairs:
        try:
            lf = local_file(Path(path))
        except OSError as exc:
            results.append(FileResult(key, Path(path), "failed", reason="unreadable", error=exc))
            continue
        jobs.append((len(results), lf, key))
        results.append(None)
    tracker = TaskProgress(
        resolve_progress(progress, bucket.client.progress),
        "upload",
        f"{len(jobs)} files",
        sum(lf.size for _, lf, _ in jobs),
        files=len(jobs),
    )
    with TransferContext(bucket, options, tracker) as ctx:
        try:
            done = upload_files(ctx, [(lf, key) for _, lf, key in jobs], "")
        except BaseException as exc:
            tracker.finish(error=f"{type(exc).__name__}: {exc}")
            raise
    for (slot, _, _), result in zip(jobs, done, strict=True):
        results[slot] = result
    return conclude("upload", results, started, tracker, folder=True)
