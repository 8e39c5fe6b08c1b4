"""Spools: bytes the server holds for a while before sending them to an object store, under
one budget per process.

Three write paths hold a body before sending it on: the S3 store's blobs (the declared
checksum is verified before anything becomes visible: in memory up to 8 MiB, then on disk), a
tar batch into an imported bucket (members written one by one at commit) and a part of an
imported S3 bucket sent without a CRC32C (S3 needs the length and checksum up front: in
memory up to 16 MiB, then on disk). Each on its own is bounded by its request's limits, but
nothing bounded them together: many concurrent uploads could fill the disk (or the memory),
and a part's overflow went to the system's temporary folder.

A :class:`Spool` keeps a body in memory up to a size, then in an unnamed temporary file (mode
0600, already unlinked: a crash leaves nothing) in the process's spool folder
(``DATA_DIR/spool``). Every byte it holds, in memory or on disk, is taken from the process's
:class:`SpoolBudget` (``BUCKETRY_SPOOL_MAX_BYTES``, default 2 GiB) *before* it is written, and
given back when the spool closes. A write over the budget writes nothing and raises
:class:`SpoolFull`: 503 ``busy`` with ``Retry-After`` (the request is refused and stores
nothing; a retry once other uploads went through succeeds), unless the body alone is larger
than the whole budget: then ``TooLarge`` (413), since no retry could succeed.
:func:`configure` sets the budget and folder at start-up.
"""

from __future__ import annotations

import io
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from .errors import TooLarge, Unavailable

#: Default bytes one process may hold in spools (memory and disk) at once.
DEFAULT_MAX_BYTES = 2 << 30
#: Seconds a client refused for a full budget is told to wait before retrying.
RETRY_AFTER_SECONDS = 5


class SpoolFull(Unavailable):
    """The process's spool budget cannot hold the bytes (503 ``busy``)."""


class SpoolBudget:
    """Bytes the spools of one process may hold together, in memory or on disk
    (thread-safe), and the folder they are created in (None: the system's temporary
    folder)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, folder: Path | None = None) -> None:
        self.max_bytes = max_bytes
        self.folder = folder
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        """Bytes taken now."""
        return self._used

    def take(self, size: int) -> None:
        """Take ``size`` bytes; raises :class:`SpoolFull` (taking nothing) when the budget
        cannot hold them."""
        with self._lock:
            if self._used + size > self.max_bytes:
                raise SpoolFull(
                    "busy",
                    f"the server is busy: uploads in progress hold its spool budget of "
                    f"{self.max_bytes} bytes; retry later",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            self._used += size

    def give(self, size: int) -> None:
        """Give back ``size`` bytes taken before."""
        with self._lock:
            self._used = max(0, self._used - size)


#: The budget and folder of this process's spools (:func:`configure`).
BUDGET = SpoolBudget()


def configure(max_bytes: int, folder: Path | None) -> None:
    """Set this process's spool budget (bytes held at once) and folder (None: the system's
    temporary folder), at start-up."""
    BUDGET.max_bytes = max_bytes
    BUDGET.folder = folder


def _temporary_file(folder: Path | str | None) -> IO[bytes]:
    """An unnamed temporary file in ``folder``, created (0700) if it is gone."""
    try:
        return tempfile.TemporaryFile(dir=folder)
    except FileNotFoundError:
        if folder is None:
            raise
        Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        return tempfile.TemporaryFile(dir=folder)


class Spool:
    """A temporary file for one body: the first ``in_memory`` bytes are kept in memory, the
    rest goes to an unnamed file in the budget's folder (``folder`` overrides it); each
    write's bytes, in memory or not, are taken from ``budget`` (default: the process's)
    first. Write, then :meth:`reader`;
    :meth:`close` (or leaving the ``with`` block) gives the bytes back."""

    def __init__(
        self,
        *,
        in_memory: int = 0,
        budget: SpoolBudget | None = None,
        folder: Path | str | None = None,
    ) -> None:
        self.budget = budget or BUDGET
        self.in_memory = in_memory
        self.folder = folder if folder is not None else self.budget.folder
        self._memory: io.BytesIO | None = io.BytesIO() if in_memory > 0 else None
        self._file: IO[bytes] | None = None
        self._taken = 0
        self.size = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append ``data``; raises :class:`SpoolFull` (writing nothing) when the budget
        cannot hold it now, ``TooLarge`` (413) when the body would be larger than the whole
        budget (no retry can succeed: a 503 would have the client send it again for ever),
        ``OSError`` if the disk write fails."""
        n = len(data)
        if self._taken + n > self.budget.max_bytes:
            raise TooLarge(
                "payload_too_large",
                f"this body is larger than the {self.budget.max_bytes} bytes the server may "
                f"hold before storing it (BUCKETRY_SPOOL_MAX_BYTES); send it in smaller "
                f"pieces (a multipart upload with smaller parts)",
            )
        self.budget.take(n)
        self._taken += n
        if self._file is None and self._memory is not None:
            if self.size + n <= self.in_memory:
                self._memory.write(data)
                self.size += n
                return n
        if self._file is None:
            self._file = _temporary_file(self.folder)
            if self._memory is not None:
                self._file.write(self._memory.getbuffer())
                self._memory = None
        self._file.write(data)
        self.size += n
        return n

    @property
    def on_disk(self) -> bool:
        """Whether the bytes went to a file (else they are all in memory)."""
        return self._file is not None

    def fileno(self) -> int:
        """The file's descriptor (the spool must be on disk: ``in_memory=0`` and written)."""
        assert self._file is not None, "nothing spooled to disk"
        return self._file.fileno()

    def flush(self) -> None:
        """Flush the file's buffer (for reads by descriptor)."""
        if self._file is not None:
            self._file.flush()

    def reader(self) -> IO[bytes]:
        """The spooled bytes as a readable, seekable file, positioned at the start."""
        body: IO[bytes] = self._file if self._file is not None else self._memory or io.BytesIO()
        body.flush()
        body.seek(0)
        return body

    def close(self) -> None:
        """Drop the bytes and give the budget back (idempotent)."""
        try:
            if self._file is not None:
                self._file.close()
        finally:
            self._file = self._memory = None
            self.closed = True
            self.budget.give(self._taken)
            self._taken = 0

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()
