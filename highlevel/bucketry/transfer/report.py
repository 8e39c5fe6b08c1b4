"""What a transfer did, file by file: ``TransferReport`` of ``FileResult``s."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import BucketryError

if TYPE_CHECKING:
    from .tracking import TaskProgress

Status = Literal["uploaded", "downloaded", "skipped", "failed"]


@dataclass(frozen=True)
class FileResult:
    """One file: what happened (``status``), why (``reason`` for skips and failures), the
    error of a failure, the bytes moved by this run (resumed parts are not counted), the
    file's size and the seconds it took."""

    key: str
    path: Path | None
    status: Status
    size: int = 0
    bytes: int = 0
    elapsed: float = 0.0
    reason: str | None = None
    error: BaseException | None = None
    resumed: bool = False

    @property
    def ok(self) -> bool:
        """The file was transferred or skipped on purpose (not failed)."""
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the error as its text)."""
        return {
            "key": self.key,
            "path": None if self.path is None else str(self.path),
            "status": self.status,
            "size": self.size,
            "bytes": self.bytes,
            "elapsed": round(self.elapsed, 6),
            "reason": self.reason,
            "resumed": self.resumed,
        }


class TransferError(BucketryError):
    """Some files of a transfer failed; ``.results`` lists them, the cause is the first."""

    def __init__(self, message: str, results: list[FileResult]) -> None:
        super().__init__(message)
        self.results = results

    def __reduce__(self) -> tuple[type[TransferError], tuple[str, list[FileResult]]]:
        return (type(self), (str(self), self.results))


@dataclass
class TransferReport:
    """Per-file results of ``upload``/``download`` (the order files were planned in)."""

    direction: Literal["upload", "download"]
    results: list[FileResult] = field(default_factory=list)
    elapsed: float = 0.0

    def __iter__(self) -> Iterator[FileResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    @property
    def failed(self) -> list[FileResult]:
        """The files that failed, in order."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def transferred(self) -> list[FileResult]:
        """The files uploaded or downloaded, in order."""
        return [r for r in self.results if r.status in ("uploaded", "downloaded")]

    @property
    def skipped(self) -> list[FileResult]:
        """The files skipped (``update``, ``continue_``), in order."""
        return [r for r in self.results if r.status == "skipped"]

    @property
    def bytes(self) -> int:
        """Bytes moved by this run."""
        return sum(r.bytes for r in self.results)

    def raise_for_errors(self) -> TransferReport:
        """Raise the error of the only failure, or a ``TransferError`` listing several."""
        failed = self.failed
        if not failed:
            return self
        if len(failed) == 1 and failed[0].error is not None:
            raise failed[0].error
        first = failed[0]
        raise TransferError(
            f"{len(failed)} of {len(self.results)} files failed; first: "
            f"{first.key}: {first.reason}",
            failed,
        ) from first.error

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: counts, bytes, seconds and one entry per file."""
        return {
            "direction": self.direction,
            "ok": self.ok,
            "transferred": len(self.transferred),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "bytes": self.bytes,
            "elapsed": round(self.elapsed, 6),
            "files": [r.to_dict() for r in self.results],
        }

    def summary(self) -> str:
        """One line: counts per outcome, the bytes moved, the time and the rate."""
        verb = "uploaded" if self.direction == "upload" else "downloaded"
        moved = self.bytes
        rate = moved / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"{len(self.transferred)} {verb}, {len(self.skipped)} skipped, "
            f"{len(self.failed)} failed; {_size(moved)} in {self.elapsed:.2f} s"
            + (f" ({_size(int(rate))}/s)" if moved else "")
        )


def conclude(
    direction: Literal["upload", "download"],
    results: Sequence[FileResult | None],
    started: float,
    tracker: TaskProgress,
    *,
    folder: bool,
) -> TransferReport:
    """The report of a finished transfer (``started``: its ``time.monotonic()``), after telling
    ``tracker`` how it ended. A single file's failure is raised rather than reported."""
    report = TransferReport(
        direction, [r for r in results if r is not None], time.monotonic() - started
    )
    failures = report.failed
    tracker.finish(error=f"{len(failures)} failed" if failures else None)
    if not folder and failures and failures[0].error is not None:
        raise failures[0].error
    return report


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover
