"""The skip-scan: one page of a key-ordered listing with folders, over any key-ordered row
source (the catalogue's index, a provider's listing, a manifest held in memory).

Ordered by name, a delimiter turns each key below the next delimiter into its folder; after
emitting a folder the scan jumps past it (to the successor of the folder prefix), so a folder
holding a million keys costs one fetch. Positions are ``["gt", key]`` / ``["ge", key]``
(ascending) or ``["lt", key]`` (descending); a page examines at most :data:`MAX_SCAN_ROWS`
rows (with a glob, a long key counts as several: :func:`scan_cost`) and then reports where to
resume.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import Invalid
from ..globbing import Glob, GlobError, compile_glob, literal_prefix
from .base import ListQuery

MAX_SCAN_ROWS = 20_000
# One more than the largest page: a full page plus the row that proves there is a next one
# comes from a single query.
MAX_BATCH = 1001

#: ``fetch(after, limit)``: up to ``limit`` rows after position ``after``, in scan order.
Fetch = Callable[[list[Any] | None, int], Sequence[Any]]


def key_successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (None: no such bound).

    Keys sort by code point (UTF-8 bytes) everywhere, so ``prefix <= k < successor`` is exactly
    "``k`` starts with ``prefix``", and that range is one index scan.
    """
    chars = list(prefix)
    while chars:
        cp = ord(chars[-1]) + 1
        if 0xD800 <= cp <= 0xDFFF:
            cp = 0xE000
        if cp <= 0x10FFFF:
            chars[-1] = chr(cp)
            return "".join(chars)
        chars.pop()
    return None


def glob_scope(prefix: str, glob: str | None) -> str | None:
    """The literal prefix every key a listing of ``prefix`` filtered by ``glob`` can show has
    (the longer of the two when one extends the other); None when nothing can match."""
    if glob is None:
        return prefix
    lit = literal_prefix(glob)
    if lit.startswith(prefix):
        return lit
    return prefix if prefix.startswith(lit) else None


def compile_glob_param(glob: str | None) -> Glob | None:
    """The compiled ``glob`` query parameter (None without one). Raises ``Invalid``
    (``invalid_parameter``, naming ``glob``) if it is not a valid glob."""
    if glob is None:
        return None
    try:
        return compile_glob(glob)
    except GlobError as exc:
        raise Invalid(
            "invalid_parameter",
            f"glob: {exc}",
            errors=[{"loc": ["query", "glob"], "msg": str(exc), "type": "value_error"}],
        ) from exc


class Page:
    """One page being filled in scan order: blob rows and folders (``entries`` keeps their
    interleaved order), and where the page ends."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.blobs: list[Any] = []  # rows, as the source gave them
        self.prefixes: list[str] = []
        self.entries: list[tuple[bool, Any]] = []  # (is a folder, folder or row) in order
        self.count = 0
        self.last_after: list[Any] | None = None  # position after the last entry on the page
        self.more = False  # an entry beyond the page exists

    @property
    def full(self) -> bool:
        return self.count >= self.page_size

    def add_blob(self, blob: Any, after: list[Any]) -> None:
        if self.full:
            self.more = True
            return
        self.blobs.append(blob)
        self.entries.append((False, blob))
        self.count += 1
        self.last_after = after

    def add_prefix(self, folder: str, after: list[Any]) -> None:
        if self.full:
            self.more = True
            return
        self.prefixes.append(folder)
        self.entries.append((True, folder))
        self.count += 1
        self.last_after = after


def scan_cost(key: str, pattern: Glob | None) -> int:
    """What examining ``key`` costs of a page's scan budget: one row, and with a glob one more
    per 64 characters matched, so a page of long keys cannot hold a worker for long."""
    return 1 if pattern is None else 1 + (len(key) >> 6)


class ScanBudget:
    """What one page's scan may spend, for every scan (by name here, by size or time in the
    catalogue): :data:`MAX_SCAN_ROWS` rows examined (charged by :func:`scan_cost`), fetched in
    batches of ``batch`` rows that start at one page (at most 64 rows when rows are filtered)
    and double up to :data:`MAX_BATCH`. The one place that reads those limits. ``rows``
    replaces the row budget for a scan that must see a whole range (an imported bucket's
    listing sorted by size or time: the server's sort limit)."""

    def __init__(self, page_size: int, filtered: bool, rows: int | None = None) -> None:
        self.left = MAX_SCAN_ROWS if rows is None else rows  # read now: settings/tests change it
        self.batch = min(page_size + 1, 64 if filtered else MAX_BATCH, MAX_BATCH)

    @property
    def spent(self) -> bool:
        """Whether the page may examine no more rows."""
        return self.left <= 0

    def charge(self, key: str, pattern: Glob | None) -> None:
        """Count the examination of ``key`` against the budget."""
        self.left -= scan_cost(key, pattern)

    def grow(self) -> None:
        """Double the next batch (up to :data:`MAX_BATCH`): the last one was used up."""
        self.batch = min(self.batch * 2, MAX_BATCH)


def name_position_ok(pos: list[Any] | None, descending: bool) -> bool:
    """Whether a decoded cursor is a position of a by-name scan in that direction."""
    return pos is None or (
        isinstance(pos[1], str) and pos[0] in (("lt",) if descending else ("gt", "ge"))
    )


def scan_by_name(
    fetch: Fetch,
    q: ListQuery,
    scope: str,
    pattern: Glob | None,
    page: Page,
    pos: list[Any] | None,
) -> list[Any] | None:
    """Fill ``page`` in key order from ``pos`` on (None: the start of ``scope``): blobs, and
    with a delimiter each folder once (its keys skipped with one seek). ``fetch(after, limit)``
    yields rows (with ``.key``) of ``scope``'s range after the position ``after``, in the
    scan's order. The budget is checked per row (not per batch). Returns where to resume if
    the scan budget ran out, else None."""
    desc = q.descending
    plain = pattern is None and not q.delimiter
    budget = ScanBudget(q.page_size, filtered=not plain)
    while not budget.spent:
        rows = fetch(pos, budget.batch)
        jumped = False
        for blob in rows:
            if budget.spent:
                return pos
            key = blob.key
            budget.charge(key, pattern)
            pos = ["lt" if desc else "gt", key]
            if pattern is not None and not pattern.matches(key):
                continue
            if q.delimiter:
                cut = key.find(q.delimiter, len(q.prefix))
                if cut != -1:
                    folder = key[: cut + 1]
                    if desc:
                        after: list[Any] | None = ["lt", folder]
                    else:
                        upper = key_successor(folder)
                        after = None if upper is None else ["ge", upper]
                    page.add_prefix(folder, after or ["ge", folder])
                    if page.more:
                        return None
                    if after is None:  # nothing can sort after this folder
                        return None
                    pos = after
                    jumped = True
                    break
            page.add_blob(blob, list(pos))
            if page.more:
                return None
        if jumped:
            continue
        if len(rows) < budget.batch:
            return None  # end of the range
        budget.grow()
    return pos


@dataclass(frozen=True)
class KeyRow:
    """A row of a key-only source (a manifest)."""

    key: str


def list_fetch(keys: Sequence[str], scope: str) -> Fetch:
    """A :data:`Fetch` over sorted in-memory ``keys`` restricted to those starting with
    ``scope`` (ascending scans only)."""
    upper = key_successor(scope) if scope else None

    def fetch(after: list[Any] | None, limit: int) -> list[Any]:
        i = bisect.bisect_left(keys, scope)
        if after is not None:
            j = (bisect.bisect_right if after[0] == "gt" else bisect.bisect_left)(keys, after[1])
            i = max(i, j)
        out: list[Any] = []
        for key in keys[i : i + limit]:
            if upper is not None and key >= upper:
                break
            out.append(KeyRow(key))
        return out

    return fetch
