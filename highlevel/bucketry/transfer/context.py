"""Settings and shared state of one ``upload``/``download`` call."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from .options import (  # noqa: F401 - re-exported for the engine's modules
    DEFAULT_BATCH_BYTES,
    DEFAULT_BATCH_FILES,
    DEFAULT_BATCH_THRESHOLD,
    DEFAULT_PART_SIZE,
    DEFAULT_THRESHOLD,
    MAX_BATCH_FILES,
    MAX_BATCH_MEMBER,
    SMALL_FILE,
    MiB,
    TransferOptions,
)
from .tracking import TaskProgress

if TYPE_CHECKING:
    from ..types import Session
    from .target import Target


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
    #: The server answered the batch route with "no such route": every file goes by itself.
    batch_unsupported: bool = False

    @property
    def client(self) -> Session:
        """The session of the target bucket."""
        return self.target.client

    @property
    def ref(self) -> str:
        """The target bucket's id or name, as requests address it."""
        return self.target.ref

    def part_pool(self) -> ThreadPoolExecutor:
        """The one pool for parts of every file of this transfer
        (``max_concurrency`` threads, made on first use)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.options.max_concurrency, thread_name_prefix="bucketry-part"
                )
            return self._pool

    def close(self) -> None:
        """Shut the part pool down (waiting for running parts)."""
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
