"""Listing rows a provider sent beyond what one ``list_page`` call asked for, kept briefly for
the call that continues the same listing.

A listing page of an imported bucket asks its client for one row more than the page holds (the
row that proves a next page exists). A provider that pages by 1000 keys would answer that with
a second request for a single key on every page; instead the client asks for a whole provider
page, returns what was wanted and keeps the rest here with the provider's continuation token,
so the next page starts from memory and each page costs one provider request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .client import ObjectInfo

#: Seconds a kept segment stays usable (a listing that pauses longer asks the provider again).
TTL = 30.0
#: Segments kept per client (concurrent listings); the oldest goes first.
MAX_SEGMENTS = 16


@dataclass(frozen=True)
class Segment:
    """Every object of ``prefix`` with ``lower < key <= rows[-1].key`` (``lower``: the key
    they were listed after, ``""`` from the start), and the token that lists on after
    ``rows[-1]`` (None: the listing ended there)."""

    prefix: str
    lower: str
    rows: tuple[ObjectInfo, ...]
    token: str | None
    at: float


class Lookahead:
    """A few :class:`Segment` of one client, thread-safe; writes through the client
    :meth:`clear` it so a kept segment never hides them. Only writes through this process can
    clear it, so a server of several worker processes builds it with ``enabled=False``
    (nothing kept, every continuation asks the provider)."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._segments: list[Segment] = []

    def keep(self, prefix: str, lower: str, rows: Sequence[ObjectInfo], token: str | None) -> None:
        """Remember ``rows`` (every key of ``prefix`` after ``lower`` up to the last row) and the
        ``token`` that continues after them (nothing when the lookahead is disabled)."""
        if not rows or not self.enabled:
            return
        segment = Segment(prefix, lower, tuple(rows), token, time.monotonic())
        with self._lock:
            self._segments.append(segment)
            del self._segments[:-MAX_SEGMENTS]

    def take(self, prefix: str, after: str) -> tuple[list[ObjectInfo], str | None] | None:
        """The kept rows of ``prefix`` after the key ``after`` and the token that continues
        them, if a fresh segment covers that position (it is then dropped); else None."""
        now = time.monotonic()
        with self._lock:
            self._segments = [s for s in self._segments if now - s.at < TTL]
            for i, s in enumerate(self._segments):
                if s.prefix == prefix and s.lower <= after <= s.rows[-1].key:
                    del self._segments[i]
                    return [r for r in s.rows if r.key > after], s.token
        return None

    def clear(self) -> None:
        """Forget every segment (the bucket changed through this client)."""
        with self._lock:
            self._segments.clear()
