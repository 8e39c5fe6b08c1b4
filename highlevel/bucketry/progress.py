"""Progress reporting: tqdm bars for people, frozen event dataclasses for programs.

Bars are on by default when stderr is a TTY, off otherwise or with ``BUCKETRY_NO_PROGRESS=1``.
Pass ``progress=callback`` (anything accepting a :class:`ProgressEvent`) to receive events:
one ``ProgressStart`` per task (its ``total`` in ``unit``s when known), ``ProgressAdvance`` as
work is done (their amounts add up to what was moved), then ``ProgressFinish`` or
``ProgressFail``. Callbacks may be called from worker threads.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ProgressEvent:
    """What a ``progress=`` callback receives: ``task`` (``"upload"``,
    ``"download"``, ``"sync"``...) and ``name`` (the path, key or prefix worked on)."""

    task: str  # e.g. "upload", "download", "sync", "list"
    name: str  # what is being worked on (a path, a key, a prefix)


@dataclass(frozen=True)
class ProgressStart(ProgressEvent):
    """A task started; ``total`` in ``unit`` (``"B"`` or ``"file"``), if known."""

    total: int | None
    unit: str = "B"


@dataclass(frozen=True)
class ProgressAdvance(ProgressEvent):
    """``amount`` more ``unit`` done."""

    amount: int
    unit: str = "B"


@dataclass(frozen=True)
class ProgressFinish(ProgressEvent):
    """The task ended well."""

    pass


@dataclass(frozen=True)
class ProgressFail(ProgressEvent):
    """The task ended with ``error``."""

    error: str


ProgressCallback = Callable[[ProgressEvent], None]


class Reporter(Protocol):
    """Where the SDK reports progress: start, advance, then finish or fail per task."""

    def start(self, task: str, name: str, total: int | None, unit: str = "B") -> None: ...
    def advance(self, task: str, name: str, amount: int, unit: str = "B") -> None: ...
    def finish(self, task: str, name: str) -> None: ...
    def fail(self, task: str, name: str, error: str) -> None: ...


class NullReporter:
    """Reports nothing (progress off)."""

    def start(self, task: str, name: str, total: int | None, unit: str = "B") -> None:
        pass

    def advance(self, task: str, name: str, amount: int, unit: str = "B") -> None:
        pass

    def finish(self, task: str, name: str) -> None:
        pass

    def fail(self, task: str, name: str, error: str) -> None:
        pass


class CallbackReporter:
    """Turns reporter calls into frozen events for a user callback (serialised by a lock)."""

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback
        self._lock = threading.Lock()

    def _emit(self, event: ProgressEvent) -> None:
        with self._lock:
            self._callback(event)

    def start(self, task: str, name: str, total: int | None, unit: str = "B") -> None:
        self._emit(ProgressStart(task, name, total, unit))

    def advance(self, task: str, name: str, amount: int, unit: str = "B") -> None:
        self._emit(ProgressAdvance(task, name, amount, unit))

    def finish(self, task: str, name: str) -> None:
        self._emit(ProgressFinish(task, name))

    def fail(self, task: str, name: str, error: str) -> None:
        self._emit(ProgressFail(task, name, error))


class TqdmReporter:
    """One tqdm bar per started task, closed when it finishes or fails."""

    def __init__(self) -> None:
        self._bars: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def start(self, task: str, name: str, total: int | None, unit: str = "B") -> None:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=total,
            desc=f"{task} {name}".strip(),
            unit=unit,
            unit_scale=unit == "B",
            unit_divisor=1024 if unit == "B" else 1000,
            leave=False,
            dynamic_ncols=True,
        )
        with self._lock:
            self._bars[(task, name)] = bar

    def advance(self, task: str, name: str, amount: int, unit: str = "B") -> None:
        with self._lock:
            bar = self._bars.get((task, name))
        if bar is not None:
            bar.update(amount)

    def finish(self, task: str, name: str) -> None:
        """Close the task's bar, and first every bar opened after it (bars stack on the
        terminal; one closed under a bar still open leaves the cursor in the wrong line)."""
        with self._lock:
            keys = list(self._bars)
            if (task, name) not in self._bars:
                return
            later = keys[keys.index((task, name)) :]
            bars = [self._bars.pop(k) for k in reversed(later)]
        for bar in bars:
            bar.close()

    def fail(self, task: str, name: str, error: str) -> None:
        self.finish(task, name)


def progress_enabled_by_default() -> bool:
    """Progress bars by default only on a terminal (stderr is a TTY) and
    unless ``BUCKETRY_NO_PROGRESS`` is set to a true value."""
    if os.environ.get("BUCKETRY_NO_PROGRESS", "").strip() not in ("", "0", "false", "no"):
        return False
    return sys.stderr.isatty()


def resolve_progress(
    arg: bool | ProgressCallback | None, default: bool | ProgressCallback | None = None
) -> Reporter:
    """The reporter for a call: its own ``progress=`` argument, else the client's, else TTY."""
    choice = arg if arg is not None else default
    if choice is None:
        choice = progress_enabled_by_default()
    if choice is True:
        return TqdmReporter()
    if choice is False:
        return NullReporter()
    return CallbackReporter(choice)
