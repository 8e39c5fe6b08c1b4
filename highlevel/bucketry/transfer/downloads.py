"""``download()``: a key to a file, or a prefix to a folder.

Each blob streams (``iter_raw``) into ``.<name>.bucketry-partial`` next to its destination
(its blocks reserved first where the file system can, see :mod:`.prealloc`), pinned to the
listed ETag with ``If-Match``; a dropped connection resumes at the byte reached (``Range``).
The bytes are hashed as they arrive and checked against the blob's CRC32C (its SHA-256 for
blobs stored without one; see :mod:`.verify`), then given the blob's mtime and renamed over
the destination (fsynced first, with the folder after the rename, only with
``durable=True``): a file under its final name is always complete. ``continue_=True`` resumes from an existing partial file (and keeps the
partial after a retryable failure for the next run); otherwise a failed download deletes its
partial. A blob replaced mid-download (412) starts over once from its new version.

One stream per file, by measurement: the SDK's connections read up to 1 MiB per socket read
(:mod:`bucketry._wide_reads`), so a 1 GiB loopback download costs the client no more CPU
than curl or a bare httpx loop, CRC32C included (``scripts/bench/download_bench.py``). Ranged
parallel GETs of one file (2 x 64 MiB or 4 x 16 MiB ranges of the pinned ETag written with
``pwrite``, CRC32C combined from the ranges; a variant of that benchmark), timed beside one
stream on a busy 2-core machine, spent more CPU on both ends (client 1.00 / 1.10 s and
server 0.46 / 0.73 s per GiB, against 0.59 and 0.34 s for one stream) and were no faster:
on loopback the CPU, not the connection, is the limit. So the part settings of
:class:`.TransferOptions` stay upload-only.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Unpack

import httpx

from ..errors import (
    IntegrityError,
    NotFoundError,
    PreconditionFailedError,
)
from ..progress import ProgressCallback, resolve_progress
from ..types import BlobInfo, arg
from .bodies import TransferCancelled
from .context import TransferContext
from .direct import open_direct
from .filters import PARTIAL_SUFFIX, PathFilter
from .folders import UnsafeKeyError, failed, local_path_for, remote_index, remote_one, run_all
from .mtimes import is_newer, remote_mtime_ns, server_offset_ns, skip_reason
from .options import TransferOptions, TransferSettings, resolve_options
from .prealloc import reserve
from .report import FileResult, TransferReport, conclude
from .retry import is_retryable
from .tracking import PartCounter, TaskProgress
from .verify import DownloadCheck, new_check

if TYPE_CHECKING:
    from ..types import Session
    from .target import Target

READ_CHUNK = 1024 * 1024


def partial_path(path: Path) -> Path:
    """Where ``path`` is downloaded to before it is complete:
    ``.<name>.bucketry-partial`` next to it."""
    return path.with_name(f".{path.name}{PARTIAL_SUFFIX}")


@contextlib.contextmanager
def open_stream(
    client: Session, ref: str, key: str, offset: int, etag: str | None, *, direct: bool = False
) -> Iterator[httpx.Response]:
    """``GET`` the blob from ``offset``, with SDK errors (also for a connection lost while
    reading the body). ``direct``: from the provider of an imported bucket when the server
    redirects there (see :mod:`.direct`; not pinned to ``etag`` then)."""
    if direct:
        with open_direct(client, ref, key, offset) as response:
            yield response
        return
    with client.stream(
        client.api.blobs.get_stream,
        ref,
        key=key,
        range_=arg(f"bytes={offset}-" if offset else None),
        if_match=arg(etag),
    ) as response:
        yield response


def _restart(
    old: DownloadCheck | None, preferred: str | None, info: BlobInfo
) -> DownloadCheck | None:
    """A fresh check for a download that starts over (the old worker is stopped)."""
    if old is not None:
        old.close()
    return new_check(preferred, info)


@dataclass
class _Fetch:
    """Where one blob's download stands: the version fetched, the bytes in the partial file,
    the bytes this run moved, and the running hash (``None``: not verified)."""

    info: BlobInfo
    offset: int
    fetched: int = 0
    hasher: DownloadCheck | None = None


def fetch_blob(
    ctx: TransferContext,
    info: BlobInfo,
    path: Path,
    *,
    resume: bool,
    keep_partial: bool,
    counter: PartCounter,
    offset_ns: int,
) -> int:
    """Download one blob to ``path`` through its partial file; returns the bytes fetched by
    this run. ``resume``: continue an existing partial file; ``keep_partial``: keep it after
    an interruption or a retryable failure. A dropped connection resumes from the byte
    reached (at most ``max_retries`` times per blob, like rclone's low-level retries); a blob
    replaced meanwhile (412) starts over once. Raises the last error, or
    ``IntegrityError`` when the bytes do not match the blob's size or SHA-256."""
    part = partial_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    offset = part.stat().st_size if resume and part.is_file() else 0
    state = _Fetch(info, offset if offset <= info.size else 0)
    f = part.open("r+b" if state.offset else "wb")
    try:
        f.truncate(state.offset)
        reserve(f.fileno(), state.offset, state.info.size - state.offset)  # cheaper writes
        state.hasher = new_check(ctx.options.algorithm, info, f.fileno(), state.offset)
        f.seek(state.offset)
        _fetch_all(ctx, state, f, counter)
        _commit(ctx, f, part, path, state.info, state.offset, state.hasher, offset_ns)
    except BaseException as exc:
        if state.hasher is not None:
            state.hasher.close()
        f.close()
        keep = keep_partial and (
            isinstance(exc, KeyboardInterrupt | TransferCancelled) or is_retryable(exc)
        )
        if not keep:
            part.unlink(missing_ok=True)
        raise
    return state.fetched


def _fetch_all(ctx: TransferContext, state: _Fetch, f: BinaryIO, counter: PartCounter) -> None:
    """Request the rest of the blob until the partial file holds all of it (retrying dropped
    connections, starting over once from a version that replaced the listed one)."""
    policy = ctx.client.retry_policy
    restarted = False
    retries = 0
    while state.offset < state.info.size:
        try:
            _receive(ctx, state, f, counter)
        except PreconditionFailedError:
            if restarted:
                raise
            restarted = True  # replaced since it was listed: start over from the new one
            _start_over(ctx, state, f)
            counter.new_attempt()
        except Exception as exc:
            if not is_retryable(exc) or retries >= policy.max_retries:
                raise
            time.sleep(policy.delay(retries))
            retries += 1


def _receive(ctx: TransferContext, state: _Fetch, f: BinaryIO, counter: PartCounter) -> None:
    """One GET from ``state.offset`` (pinned by If-Match) into ``f``; ``state`` counts every
    byte written even when the connection drops midway. Raises ``IntegrityError`` when the
    body ends early."""
    info = state.info
    with open_stream(
        ctx.client, ctx.ref, info.key, state.offset, info.etag, direct=ctx.options.direct
    ) as response:
        if state.offset and response.status_code == 200:  # the server ignored Range
            state.offset = 0
            f.seek(0)
            f.truncate()
            if state.hasher is not None:
                state.hasher = _restart(state.hasher, ctx.options.algorithm, info)
        moved = [0]
        try:
            _copy_body(ctx, response, f, state.hasher, counter, moved)
        finally:  # also when the connection drops midway: resume from there
            state.offset += moved[0]
            state.fetched += moved[0]
    if state.offset < info.size:
        raise IntegrityError(
            f"bkt://{ctx.ref}/{info.key}: the body ended at {state.offset} of {info.size} bytes"
        )


def _start_over(ctx: TransferContext, state: _Fetch, f: BinaryIO) -> None:
    """The blob was replaced: fetch its new version from byte 0 (``NotFoundError`` naming
    ``bkt://bucket/key`` when it was deleted instead)."""
    fresh = remote_one(ctx.target, state.info.key)
    if fresh is None:
        raise NotFoundError(
            f"bkt://{ctx.ref}/{state.info.key}: deleted during the download", status_code=404
        ) from None
    state.info, state.offset = fresh, 0
    f.seek(0)
    f.truncate()  # also frees blocks reserved beyond the end for the old version
    reserve(f.fileno(), 0, fresh.size)
    state.hasher = _restart(state.hasher, ctx.options.algorithm, fresh)


def _copy_body(
    ctx: TransferContext,
    response: httpx.Response,
    f: BinaryIO,
    hasher: DownloadCheck | None,
    counter: PartCounter,
    moved: list[int],
) -> None:
    """Write the response body to ``f`` as it arrives (hashed, counted, cancellable),
    adding each chunk's length to ``moved[0]`` as soon as it is written (so a caller that
    sees the connection drop midway knows how far it got)."""
    for chunk in response.iter_raw():
        if ctx.cancel.is_set():
            raise TransferCancelled("transfer cancelled")
        f.write(chunk)
        if hasher is not None:
            hasher.update(chunk)
        moved[0] += len(chunk)
        counter(len(chunk))


def _commit(
    ctx: TransferContext,
    f: BinaryIO,
    part: Path,
    path: Path,
    info: BlobInfo,
    offset: int,
    hasher: DownloadCheck | None,
    offset_ns: int,
) -> None:
    """Check the partial file (size, checksum), give it the blob's mtime and rename it over
    ``path``: a file under its final name is always complete. With ``durable`` the file is
    fsynced before the rename and its folder after it."""
    f.flush()
    if ctx.options.durable:
        os.fsync(f.fileno())
    f.close()
    where = f"bkt://{ctx.ref}/{info.key}"
    if offset != info.size:
        raise IntegrityError(f"{where}: got {offset} bytes, the blob has {info.size}")
    problem = hasher.mismatch() if hasher is not None else None
    if problem is not None:
        raise IntegrityError(f"{where}: {problem}")
    mtime_ns = remote_mtime_ns(info, offset_ns)
    if mtime_ns is not None:
        os.utime(part, ns=(time.time_ns(), mtime_ns))
    os.replace(part, path)
    if ctx.options.durable:
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Persist a rename in ``folder`` (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def download(
    bucket: Target,
    src: str,
    dst: Path,
    *,
    update: bool = False,
    continue_: bool = False,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    progress: bool | ProgressCallback | None = None,
    options: TransferOptions | None = None,
    **settings: Unpack[TransferSettings],
) -> TransferReport:
    """Download the key ``src`` to ``dst`` (into it when ``dst`` is a folder), or every blob
    under the prefix ``src`` (ending in ``/``, or a key that does not exist but has children)
    to the folder ``dst``, keys mapped to relative paths (keys that would escape ``dst`` are
    refused and reported).

    ``update``: only blobs newer (by mtime, clock-skew aware) than the local file.
    ``continue_``: skip files of the same size, resume partial files. ``options``/``settings``
    (:class:`~bucketry.transfer.options.TransferOptions`): ``file_concurrency`` files at once,
    ``checksum`` verification; the upload-only fields are accepted and unused (one stream per
    file already runs at disk/loopback speed). A single key's failure is raised; a folder
    returns a report per file.
    """
    started = time.monotonic()
    options = resolve_options(options, settings)
    targets, folder = _targets(bucket, src, Path(dst), include, exclude)
    offset_ns = server_offset_ns(bucket.client) if update else 0
    results, jobs, to_fetch = _skip_or_fetch(targets, update, continue_, offset_ns)
    tracker = TaskProgress(
        resolve_progress(progress, bucket.client.progress),
        "download",
        src or "/",
        to_fetch,
        files=len(jobs) if folder else None,
    )
    with TransferContext(bucket, options, tracker) as ctx:
        work: list[Callable[[], FileResult]] = [
            partial(download_one, ctx, info, path, resume, continue_, offset_ns)
            for _, info, path, resume in jobs
        ]
        try:
            done = run_all(work, options.file_concurrency, ctx.cancel)
        except BaseException as exc:
            tracker.finish(error=f"{type(exc).__name__}: {exc}")
            raise
    for (slot, *_), result in zip(jobs, done, strict=True):
        results[slot] = result
    return conclude("download", results, started, tracker, folder=folder)


Targets = list[tuple[BlobInfo, Path | None, Exception | None]]
Jobs = list[tuple[int, BlobInfo, Path, bool]]


def _targets(
    bucket: Target,
    src: str,
    dst: Path,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
) -> tuple[Targets, bool]:
    """``(blob, local path or None, why not)`` for each blob to download, and whether ``src``
    is a folder (a prefix) rather than one key."""
    single = None if not src or src.endswith("/") else remote_one(bucket, src)
    if single is not None:
        return [(single, dst / src.rsplit("/", 1)[-1] if dst.is_dir() else dst, None)], False
    prefix = src if not src or src.endswith("/") else src + "/"
    filters = PathFilter(include, exclude)
    listed = list(remote_index(bucket, prefix).values())
    if not listed and src and not src.endswith("/"):
        raise NotFoundError(
            f"bkt://{bucket.ref}/{src}: no such blob, and nothing under {prefix!r}",
            status_code=404,
        )
    targets: Targets = []
    for info in listed:
        rel = info.key[len(prefix) :]
        if (rel.endswith("/") and info.size == 0) or not filters.wants(rel):
            continue  # a folder marker, or filtered out
        try:
            targets.append((info, local_path_for(dst, rel), None))
        except UnsafeKeyError as exc:
            targets.append((info, None, exc))
    return targets, True


def _skip_or_fetch(
    targets: Targets, update: bool, continue_: bool, offset_ns: int
) -> tuple[list[FileResult | None], Jobs, int]:
    """Results with refusals and skips filled in, the jobs ``(slot, blob, path, resume)``,
    and the bytes left to fetch."""
    results: list[FileResult | None] = []
    jobs: Jobs = []
    to_fetch = 0
    for info, path, error in targets:
        if path is None:
            assert error is not None
            results.append(failed(info.key, None, info.size, time.monotonic(), error))
            continue
        reason = _skip_reason(info, path, update, continue_, offset_ns)
        if reason is not None:
            results.append(FileResult(info.key, path, "skipped", size=info.size, reason=reason))
            continue
        resume, done_already = False, 0
        if continue_:
            with contextlib.suppress(FileNotFoundError):
                size = partial_path(path).stat().st_size
                if size <= info.size:
                    resume, done_already = True, size
        jobs.append((len(results), info, path, resume))
        results.append(None)
        to_fetch += info.size - done_already
    return results, jobs, to_fetch


def _skip_reason(
    info: BlobInfo, path: Path, update: bool, continue_: bool, offset_ns: int
) -> str | None:
    """Why the existing local file at ``path`` is kept (``None``: download it)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if continue_ and st.st_size == info.size:
        return "complete"
    if update:
        src_ns = remote_mtime_ns(info, offset_ns)
        if not is_newer(src_ns, st.st_mtime_ns):
            return skip_reason(src_ns, st.st_mtime_ns)
    return None


def download_one(
    ctx: TransferContext,
    info: BlobInfo,
    path: Path,
    resume: bool,
    keep_partial: bool,
    offset_ns: int,
) -> FileResult:
    """Download ``info`` to ``path`` (``resume``: from its partial file;
    ``keep_partial``: keep that after an interruption or retryable failure; ``offset_ns``: the
    server's clock offset for the mtime). Errors become a failed ``FileResult``; an interrupt
    or cancellation propagates."""
    started = time.monotonic()
    counter = PartCounter(ctx.progress)
    try:
        try:
            fetched = fetch_blob(
                ctx,
                info,
                path,
                resume=resume,
                keep_partial=keep_partial,
                counter=counter,
                offset_ns=offset_ns,
            )
        except IntegrityError:
            if not resume:
                raise
            # The partial file came from another version of the blob: start over once.
            counter.new_attempt()
            fetched = fetch_blob(
                ctx,
                info,
                path,
                resume=False,
                keep_partial=keep_partial,
                counter=counter,
                offset_ns=offset_ns,
            )
            resume = False
    except Exception as exc:
        return failed(info.key, path, info.size, started, exc)
    if ctx.progress is not None:
        ctx.progress.file_done()
    return FileResult(
        info.key,
        path,
        "downloaded",
        size=info.size,
        bytes=fetched,
        elapsed=time.monotonic() - started,
        resumed=resume,
    )
