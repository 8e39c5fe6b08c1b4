"""Folders on both sides: walking a local tree through the filters, listing a remote prefix
once, mapping keys to local paths safely, and running per-file work on a bounded pool."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeAlias

from ..types import BlobInfo
from .filters import PathFilter
from .report import FileResult
from .walk import walk_sorted

if TYPE_CHECKING:
    from .target import Target


@dataclass(frozen=True)
class LocalFile:
    """A regular file to upload: its path, its key relative to the folder walked, and
    its size and mtime at the time of the ``stat``."""

    path: Path
    rel: str  # POSIX path relative to the walked folder ("" for a lone file)
    size: int
    mtime_ns: int


def local_file(path: Path, rel: str = "") -> LocalFile:
    """The :class:`LocalFile` of ``path`` (stat now). Raises ``FileNotFoundError`` when
    it is missing, ``IsADirectoryError`` naming it when it is not a regular file."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise IsADirectoryError(f"not a regular file: {path}")
    return LocalFile(path, rel, st.st_size, st.st_mtime_ns)


def walk(root: Path, filters: PathFilter) -> Iterator[LocalFile]:
    r"""Regular files below ``root`` that ``filters`` takes, in the order of a key listing
    (the one walker, :func:`~bucketry.transfer.walk.walk_sorted`, as ``LocalFile``\ s)."""
    for entry in walk_sorted(root, filters):
        yield LocalFile(Path(entry.path), entry.rel, entry.size, entry.mtime_ns)


def remote_index(bucket: Target, prefix: str) -> dict[str, BlobInfo]:
    """Every blob under ``prefix``, from one (paged) listing."""
    return {info.key: info for info in bucket.list(prefix, recursive=True) if not info.is_dir}


def remote_one(bucket: Target, key: str) -> BlobInfo | None:
    """The blob at ``key`` with full-resolution times and metadata, via a one-item listing
    (the exact key sorts first among keys it prefixes)."""
    for info in bucket.list(key, recursive=True, page_size=1, first=1):
        return info if info.key == key and not info.is_dir else None
    return None


class UnsafeKeyError(ValueError):
    """A key that cannot be a path below the destination folder."""


def safe_relative(rel: str) -> PurePosixPath:
    """A key's part below the prefix as a relative path, refusing anything that could land
    outside the destination (``..``, absolute paths, empty or ``.`` segments, NUL; on
    Windows also ``\\`` and drive letters)."""
    if not rel or rel.startswith("/") or "\x00" in rel:
        raise UnsafeKeyError(f"unsafe key for a local path: {rel!r}")
    if os.sep == "\\" and ("\\" in rel or ":" in rel):  # pragma: no cover - Windows
        raise UnsafeKeyError(f"unsafe key for a local path: {rel!r}")
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UnsafeKeyError(f"unsafe key for a local path: {rel!r}")
    return PurePosixPath(*parts)


def local_path_for(root: Path, rel: str) -> Path:
    """The local path of the relative key ``rel`` under ``root``. Raises
    ``UnsafeKeyError`` for a key that would leave ``root`` (``..``, absolute, drive letters)."""
    path = root.joinpath(*safe_relative(rel).parts)
    root_abs = os.path.abspath(root)
    if os.path.commonpath([root_abs, os.path.abspath(path)]) != root_abs:  # pragma: no cover
        raise UnsafeKeyError(f"unsafe key for a local path: {rel!r}")
    return path


# --------------------------------------------------------------------------- running files


def failed(
    key: str, path: Path | None, size: int, started: float, exc: BaseException
) -> FileResult:
    """A failed :class:`FileResult` for ``key`` (the reason is the exception's type and
    message; the exception is kept as ``error``)."""
    return FileResult(
        key=key,
        path=path,
        status="failed",
        size=size,
        elapsed=time.monotonic() - started,
        reason=f"{type(exc).__name__}: {exc}",
        error=exc,
    )


def run_all(
    jobs: list[Callable[[], FileResult]],
    concurrency: int,
    cancel: threading.Event,
) -> list[FileResult]:
    """Run per-file jobs on a pool of ``concurrency`` threads; results in job order. Each job
    reports its own failure as a ``FileResult``; an exception escaping a job (e.g.
    ``KeyboardInterrupt`` in the caller) cancels the rest and propagates, except an interrupt
    that arrives when every job has finished well anyway (Ctrl-C during the last request of a
    transfer that completed): then the results are returned. Jobs always run on the pool
    (also one job, or ``concurrency`` 1), so the interrupt lands in this waiting thread and
    never in the middle of a job's last request."""
    if not jobs:
        return []
    pool = ThreadPoolExecutor(
        max_workers=max(1, min(concurrency, len(jobs))), thread_name_prefix="bucketry-file"
    )
    futures: list[Future[FileResult]] = []
    try:
        futures = [pool.submit(job) for job in jobs]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for f in done:
            if f.exception() is not None:
                raise f.exception()  # type: ignore[misc]
        return [f.result() for f in futures]
    except KeyboardInterrupt:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if _all_finished(futures, len(jobs)) and all(f.result().ok for f in futures):
            return [f.result() for f in futures]
        raise
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _all_finished(futures: Sequence[Future[Any]], expected: int) -> bool:
    """Every one of ``expected`` submitted futures ran to a normal end."""
    return len(futures) == expected and all(
        f.done() and not f.cancelled() and f.exception() is None for f in futures
    )


#: A unit of work that may hand back more work (e.g. a batch the server refused, to be sent
#: file by file) for the same pool.
Task: TypeAlias = Callable[[], "list[Task]"]


def run_tasks(tasks: list[Task], concurrency: int, cancel: threading.Event) -> bool:
    """Run ``tasks`` and the follow-up tasks they return on a pool of ``concurrency`` threads.
    Tasks record their own results; an exception escaping one cancels the rest and
    propagates. A ``KeyboardInterrupt`` that arrives when every task has finished anyway
    (Ctrl-C during the last request) is absorbed and ``True`` returned: the caller re-raises
    it unless every file succeeded. Tasks always run on the pool (also with ``concurrency``
    1), so the interrupt lands in this waiting thread, never inside a task's last request."""
    if not tasks:
        return False
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="bucketry-file")
    submitted: list[Future[list[Task]]] = []

    def submit(task: Task) -> Future[list[Task]]:
        future = pool.submit(task)
        submitted.append(future)
        return future

    try:
        pending = {submit(task) for task in tasks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.update(submit(task) for task in future.result())
    except KeyboardInterrupt:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if _all_finished(submitted, len(submitted)) and not any(f.result() for f in submitted):
            return True
        raise
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return False
