"""Uploads this process saw live a moment ago, so that a part can skip the worker-thread hop
that checks its upload before the body is read.

A part's body is only stored after that check, and its record is written in a transaction that
takes the upload's lock and answers 404 when the upload is no longer live (completed, aborted,
expired or being completed); the check before the body exists only to refuse early. So a hint
here may be stale without harm: at worst a part for an upload that another process has just
ended is read and stored, then refused by its commit and its object deleted, as it is today when
the end comes while the body arrives. An entry is dropped at once when this process ends the
upload, and lives :data:`TTL` seconds at most.

Only uploads whose parts the server stores are kept (an upload on the provider's own multipart
sends its parts elsewhere and needs the row).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

#: Seconds a hint may be used.
TTL = 2.0
#: Hints kept at most (all are dropped when full).
SIZE = 4096


@dataclass(frozen=True)
class LiveUpload:
    """What a part needs to know of its upload before its body is read."""

    bucket_id: str
    expires_at: datetime


class LiveUploads:
    """Thread-safe map upload id -> :class:`LiveUpload`, each entry for :data:`TTL` seconds."""

    def __init__(self, ttl: float = TTL, size: int = SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, LiveUpload]] = {}
        self._lock = threading.Lock()

    def get(self, upload_id: str, bucket_id: str, now: datetime) -> LiveUpload | None:
        """The hint of ``upload_id`` if it is fresh, of bucket ``bucket_id`` and not expired
        at ``now``."""
        with self._lock:
            hit = self._entries.get(upload_id)
        if hit is None or hit[0] < time.monotonic():
            return None
        live = hit[1]
        if live.bucket_id != bucket_id or live.expires_at <= now:
            return None
        return live

    def put(self, upload_id: str, live: LiveUpload) -> None:
        """Remember that ``upload_id`` is live (just created or checked)."""
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[upload_id] = (time.monotonic() + self.ttl, live)

    def forget(self, upload_id: str) -> None:
        """Drop the hint of an upload this process ends (completion, abort)."""
        with self._lock:
            self._entries.pop(upload_id, None)

    def clear(self) -> None:
        """Drop every hint."""
        with self._lock:
            self._entries.clear()


LIVE = LiveUploads()
