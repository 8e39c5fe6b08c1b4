"""Modification times across two clocks.

Uploads record the local file's mtime in the blob's metadata (``mtime``: seconds with
nanoseconds, the form rclone uses), so a later comparison is on the *same* clock and exact.
Blobs written by other tools only have the server's ``modified_at``; those are compared after
converting by the server's clock offset, measured from the ``Date`` header (1 s resolution,
so offsets under a second are treated as 0). Downloads set the local mtime to the recorded
mtime, else to ``modified_at`` on the local clock, so a round trip compares equal.

``is_newer`` is the ``update=True`` rule: strictly newer by mtime. Size is never consulted: a
file of another size that is older is "destination newer" and skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ..types import BlobInfo

if TYPE_CHECKING:
    from ..types import Session

MTIME_KEY = "mtime"
NS = 1_000_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_mtime(mtime_ns: int) -> str:
    """``ns`` as the stored form: seconds, a dot, nine digits of nanoseconds."""
    return f"{mtime_ns // NS}.{mtime_ns % NS:09d}"


def parse_mtime(value: str) -> int | None:
    """``"1700000000.123456789"`` → ns; ``None`` if it is not such a number."""
    value = value.strip()
    whole, _, frac = value.partition(".")
    if not whole.lstrip("-").isdigit() or (frac and not frac.isdigit()):
        return None
    return int(whole) * NS + int((frac + "000000000")[:9]) if frac else int(whole) * NS


def server_offset_ns(client: Session) -> int:
    """How far the server's clock is ahead of ours, in ns (0 when under a second: the
    ``Date`` header cannot resolve less)."""
    measured = client.clock_offset()  # server whole second - our time: in (true - 1, true]
    estimate = measured + 0.5
    return 0 if abs(estimate) < 1.0 else int(estimate * NS)


def remote_mtime_ns(info: BlobInfo, offset_ns: int) -> int | None:
    """The blob's mtime on the *local* clock: the recorded source mtime if any, else
    ``modified_at`` minus the server's clock offset."""
    recorded = info.metadata.get(MTIME_KEY)
    if recorded is not None:
        parsed = parse_mtime(recorded)
        if parsed is not None:
            return parsed
    if info.modified_at is None:
        return None
    return datetime_ns(info.modified_at) - offset_ns


def datetime_ns(ts: datetime) -> int:
    """Exact ns since the epoch (a naive datetime is taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ((ts - EPOCH) // timedelta(microseconds=1)) * 1000


def is_newer(src_ns: int | None, dst_ns: int | None) -> bool:
    """``update`` semantics: transfer only when the source is strictly newer (an unknown
    destination time counts as older, an unknown source time as not newer)."""
    if src_ns is None:
        return False
    if dst_ns is None:
        return True
    return src_ns > dst_ns


def skip_reason(src_ns: int | None, dst_ns: int | None) -> str:
    """Why ``is_newer`` said no."""
    if src_ns is not None and dst_ns is not None and src_ns == dst_ns:
        return "up to date"
    return "destination newer"
