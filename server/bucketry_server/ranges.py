"""HTTP byte ranges (RFC 9110 §14) and HTTP dates for blob downloads.

One range per request: ``bytes=a-b``, ``bytes=a-`` and ``bytes=-n``. A header we cannot parse,
or one asking for several ranges, is ignored and the whole blob is served (RFC 9110 allows a
server to ignore ``Range``); a well-formed range outside the blob is unsatisfiable (416).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime

from .errors import DomainError, RangeNotSatisfiable

_ONE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def unsatisfiable(size: int) -> DomainError:
    return RangeNotSatisfiable(
        "range_not_satisfiable",
        f"the requested range lies outside the blob ({size} bytes)",
        headers={"Content-Range": f"bytes */{size}"},
    )


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive ``(start, end)`` to serve, None for the whole blob; 416 if unsatisfiable."""
    if not header:
        return None
    m = _ONE_RANGE.match(header)
    if m is None:  # several ranges, another unit, or garbage: serve everything
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            raise unsatisfiable(size)
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last != "" else size - 1
    if last != "" and end < start:  # invalid syntax per RFC 9110: ignore the header
        return None
    if start >= size:
        raise unsatisfiable(size)
    return start, min(end, size - 1)


def http_date(value: datetime) -> str:
    """An IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``) from a naive-UTC or aware datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(UTC), usegmt=True)
