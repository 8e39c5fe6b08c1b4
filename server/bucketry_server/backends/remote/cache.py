"""Short-lived per-bucket state of imported buckets, kept in ``AppState.remote``: the open
client of each bucket version, the last probe and the last usage (each with its time)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ...state import AppState

#: A probe answer is reused this long (seconds) before the provider is asked again.
PROBE_TTL = 30.0
#: A computed usage is reused this long (seconds).
USAGE_TTL = 300.0

T = TypeVar("T")


@dataclass
class Entry:
    """One cached value and when (``time.monotonic``) it was made."""

    value: Any
    at: float

    def age(self) -> float:
        """Seconds since the value was made."""
        return time.monotonic() - self.at


def get(state: AppState, kind: str, bucket_id: str, ttl: float | None = None) -> Entry | None:
    """The cached ``kind`` value of a bucket if younger than ``ttl`` (None: any age)."""
    entry: Entry | None = state.remote.get((kind, bucket_id))
    if entry is None or (ttl is not None and entry.age() > ttl):
        return None
    return entry


def put(state: AppState, kind: str, bucket_id: str, value: Any) -> Entry:
    """Cache ``value`` as the bucket's ``kind`` value now."""
    entry = Entry(value, time.monotonic())
    state.remote[(kind, bucket_id)] = entry
    return entry


def forget(state: AppState, bucket_id: str) -> None:
    """Drop everything cached for a bucket (its settings or credentials changed)."""
    for kind in ("probe", "usage", "client"):
        entry = state.remote.pop((kind, bucket_id), None)
        if kind == "client" and entry is not None:
            with contextlib.suppress(Exception):
                entry.value[1].close()


def client(state: AppState, bucket_id: str, version: object, opener: Callable[[], T]) -> T:
    """The open client of a bucket for its settings ``version`` (opened by ``opener`` when
    missing or when the bucket changed since; the stale one is closed)."""
    entry = state.remote.get(("client", bucket_id))
    if entry is not None and entry.value[0] == version:
        found: T = entry.value[1]
        return found
    opened = opener()
    if entry is not None:
        with contextlib.suppress(Exception):
            entry.value[1].close()
    put(state, "client", bucket_id, (version, opened))
    return opened


def forget_usage(state: AppState, bucket_id: str) -> None:
    """Drop a bucket's cached usage (a write changed it)."""
    state.remote.pop(("usage", bucket_id), None)
