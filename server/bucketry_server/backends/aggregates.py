"""Folder aggregates of a listing with a delimiter (``BlobPage.folders``): what lies below one
folder (blob count, total size, latest time, whether every blob was counted) and its JSON.
Shared by managed buckets (:mod:`.managed.folders`, SQL aggregates) and imported ones
(:mod:`.remote.folder_listing`, summed while the provider's listing is scanned)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as json_str
from typing import Any

from ..timeutil import iso

#: Rows (listed objects) each folder of a by-name page may read to sum it even once the
#: page's budget is spent.
MIN_FOLDER_ROWS = 100


@dataclass(frozen=True)
class Aggregate:
    """What lies below one entry: blob count, total size, latest creation time and whether
    every row was counted."""

    count: int
    size: int
    latest: datetime | None
    complete: bool = True


class Accumulator:
    """An :class:`Aggregate` being summed one blob at a time."""

    def __init__(self) -> None:
        self.count = 0
        self.size = 0
        self.latest: datetime | None = None

    def add(self, size: int, when: datetime | None) -> None:
        """Count one blob of ``size`` bytes made at ``when`` (naive UTC, None: unknown)."""
        self.count += 1
        self.size += size
        if when is not None and (self.latest is None or when > self.latest):
            self.latest = when

    def total(self, complete: bool = True) -> Aggregate:
        """The sum so far (``complete=False``: some blobs were not counted)."""
        return Aggregate(self.count, self.size, self.latest, complete)


def naive_time(value: Any) -> datetime | None:
    """A stored time (datetime or SQLite text) as naive UTC; None stays None. Raises
    ``TypeError`` for anything else."""
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise TypeError(f"not a stored time: {value!r}")
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo is not None else when


def folder_json(folder: str, agg: Aggregate) -> str:
    """One ``FolderEntry`` as JSON text."""
    latest = "null" if agg.latest is None else f'"{iso(agg.latest)}"'
    return (
        f'{{"prefix":{json_str(folder)},"size":{agg.size},"count":{agg.count},'
        f'"latest_at":{latest},"complete":{"true" if agg.complete else "false"}}}'
    )
