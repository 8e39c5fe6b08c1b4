"""Settings and shared state of one ``upload``/``download`` call."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .tracking import TaskProgress

if TYPE_CHECKING:
    from ..types import Session
    from .target import Target

MiB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MiB
DEFAULT_THRESHOLD = 8 * MiB
#: Files up to this size are read whole into memory for one replayable PUT (cheapest per file).
SMALL_FILE = 1 * MiB
#: Folder uploads send files up to this size in tar batches (``blobs_put_batch``)...
DEFAULT_BATCH_THRESHOLD = 1 * MiB
#: ...of at most this many files and bytes per request.
DEFAULT_BATCH_FILES = 1000
DEFAULT_BATCH_BYTES = 64 * MiB
#: The server's limits for one batch: members, bytes per member.
MAX_BATCH_FILES = 10_000
MAX_BATCH_MEMBER = 16 * MiB


@dataclass(frozen=True)
class TransferOptions:
    part_size: int = DEFAULT_PART_SIZE
    multipart_threshold: int = DEFAULT_THRESHOLD
    max_concurrency: int = 8  # parts in flight
    file_concurrency: int = 8  # files in flight
    checksum: bool = True  # send X-Checksum-SHA256 / verify downloads
    content_type: str | None = None
    metadata: dict[str, str] | None = None
    if_none_match: str | None = None
    batch: bool = True  # small files of a folder go in tar batches
    batch_threshold: int = DEFAULT_BATCH_THRESHOLD
    batch_files: int = DEFAULT_BATCH_FILES
    batch_bytes: int = DEFAULT_BATCH_BYTES

    def __post_init__(self) -> None:
        if self.part_size < 1 or self.multipart_threshold < 0:
            raise ValueError("part_size must be positive and multipart_threshold >= 0")
        if self.max_concurrency < 1 or self.file_concurrency < 1:
            raise ValueError("max_concurrency and file_concurrency must be at least 1")
        if not 0 <= self.batch_threshold <= MAX_BATCH_MEMBER:
            raise ValueError(f"batch_threshold must be between 0 and {MAX_BATCH_MEMBER}")
        if not 1 <= self.batch_files <= MAX_BATCH_FILES or self.batch_bytes < 1:
            raise ValueError(f"batch_files must be 1..{MAX_BATCH_FILES}, batch_bytes positive")


@dataclass
class TransferContext:
    """One call's client, bucket, options, progress, cancellation flag and part pool (the
    pool is shared by every file of a folder so at most ``max_concurrency`` parts are in
    flight in total)."""

    target: Target
    options: TransferOptions
    progress: TaskProgress | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    _pool: ThreadPoolExecutor | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def client(self) -> Session:
        return self.target.client

    @property
    def ref(self) -> str:
        return self.target.ref

    def part_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.options.max_concurrency, thread_name_prefix="bucketry-part"
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> TransferContext:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.cancel.set()
        self.close()
