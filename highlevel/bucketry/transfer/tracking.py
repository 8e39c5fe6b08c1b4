"""Progress of one transfer task: a bytes counter (and a files counter for folders) fed from
worker threads. Retried attempts never count a byte twice (a high-water mark per part)."""

from __future__ import annotations

import threading

from ..progress import Reporter


class TaskProgress:
    """One ``upload``/``download`` task: ``ProgressStart(total bytes)``, advances as bytes
    move, then finish or fail. With ``files`` set, a second task counts whole files."""

    def __init__(
        self, reporter: Reporter, task: str, name: str, total: int, files: int | None = None
    ) -> None:
        self.reporter = reporter
        self.task = task
        self.name = name
        self.files_name = f"{name} (files)"
        self.count_files = files is not None
        self._lock = threading.Lock()
        self.moved = 0
        reporter.start(task, name, total, "B")
        if files is not None:
            reporter.start(task, self.files_name, files, "file")

    def advance(self, amount: int) -> None:
        """Report ``amount`` more bytes done (thread-safe)."""
        if amount <= 0:
            return
        with self._lock:
            self.moved += amount
        self.reporter.advance(self.task, self.name, amount, "B")

    def file_done(self) -> None:
        """Report one more file done (when files are counted)."""
        if self.count_files:
            self.reporter.advance(self.task, self.files_name, 1, "file")

    def finish(self, error: str | None = None) -> None:
        """End both tasks, the files counter first: bars stack on a terminal, so they close in
        the reverse order of opening (closing the upper one first left the lower one where the
        summary line is printed next, garbling it)."""
        names = ([self.files_name] if self.count_files else []) + [self.name]
        for name in names:
            if error is None:
                self.reporter.finish(self.task, name)
            else:
                self.reporter.fail(self.task, name, error)


class PartCounter:
    """Counts the bytes of one part (or one file) across attempts: each attempt restarts at 0
    and only bytes beyond the best earlier attempt are reported."""

    def __init__(self, progress: TaskProgress | None) -> None:
        self._progress = progress
        self.reported = 0
        self._sent = 0

    def new_attempt(self) -> None:
        """A retry starts: count its bytes from 0 again (only bytes beyond the
        best earlier attempt are reported)."""
        self._sent = 0

    def __call__(self, amount: int) -> None:
        self._sent += amount
        if self._sent > self.reported:
            extra = self._sent - self.reported
            self.reported = self._sent
            if self._progress is not None:
                self._progress.advance(extra)

    def complete(self, total: int) -> None:
        """Account for the whole part (e.g. a part found already on the server)."""
        if total > self.reported:
            extra = total - self.reported
            self.reported = total
            if self._progress is not None:
                self._progress.advance(extra)
