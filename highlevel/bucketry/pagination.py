"""Lazy iteration over cursor pages: nothing is fetched until you iterate, and never a page
more than ``first``/``skip`` need."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import pandas

T = TypeVar("T")
MAX_PAGE_SIZE = 1000

#: fetch(cursor, page_size) -> (items, next_cursor)
Fetch = Callable[[str | None, int], tuple[list[T], str | None]]


class Pager(Generic[T]):
    """An iterable listing. ``first`` caps how many items are yielded, ``skip`` drops the first
    ones (fetched in large pages, since cursors cannot jump), ``page_size`` sets the request
    size. Iterate it, or call ``to_list()`` / ``to_pandas()`` / ``pages()``. ``prefetch``
    requests the next page while the caller works through one (listings without
    ``first``/``skip``); then ``first_page_size`` (default ``page_size``) sizes the first
    request only, so the first items arrive after a small page while the later, full pages
    stream behind it."""

    def __init__(
        self,
        fetch: Fetch[T],
        *,
        page_size: int = 100,
        first: int | None = None,
        skip: int = 0,
        count: Callable[[], int] | None = None,
        to_record: Callable[[T], dict[str, Any]] | None = None,
        prefetch: bool = False,
        first_page_size: int | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if first_page_size is not None and not 1 <= first_page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"first_page_size must be between 1 and {MAX_PAGE_SIZE}")
        if first is not None and first < 0:
            raise ValueError("first must be >= 0")
        if skip < 0:
            raise ValueError("skip must be >= 0")
        self._fetch = fetch
        self.page_size = page_size
        self.first = first
        self.skip = skip
        self._count = count
        self._to_record = to_record
        self.prefetch = prefetch
        self.first_page_size = first_page_size or page_size

    def pages(self) -> Iterator[list[T]]:
        """Yield lists of items, one per request (after ``skip``, up to ``first``)."""
        if self.prefetch and self.first is None and not self.skip:
            yield from self._prefetched_pages()
            return
        to_skip, left = self.skip, self.first
        cursor: str | None = None
        while left is None or left > 0:
            if to_skip:  # cursors cannot jump: fetch what is skipped in one big page
                wanted = left if left is not None else self.page_size
                size = min(MAX_PAGE_SIZE, to_skip + wanted)
            elif left is not None:
                size = min(self.page_size, left)
            else:
                size = self.page_size
            items, cursor = self._fetch(cursor, max(1, size))
            if to_skip:
                dropped = min(to_skip, len(items))
                items, to_skip = items[dropped:], to_skip - dropped
            if left is not None:
                items = items[:left]
                left -= len(items)
            if items:
                yield items
            if cursor is None:
                return

    def _prefetched_pages(self) -> Iterator[list[T]]:
        """While the caller works through one page, the next is already being fetched (one
        request ahead, in a worker thread), so a long scan costs max(server, caller) per page
        instead of their sum. The first request asks for ``first_page_size`` items."""
        with ThreadPoolExecutor(1, thread_name_prefix="bucketry-prefetch") as pool:
            pending = pool.submit(self._fetch, None, self.first_page_size)
            while True:
                items, cursor = pending.result()
                if cursor is not None:
                    pending = pool.submit(self._fetch, cursor, self.page_size)
                if items:
                    yield items
                if cursor is None:
                    return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page

    def to_list(self) -> list[T]:
        """Every item (all pages requested now)."""
        return list(self)

    def count(self) -> int:
        """Total matching items on the server (one request), ignoring ``first``/``skip``."""
        if self._count is None:
            return sum(1 for _ in Pager(self._fetch, page_size=MAX_PAGE_SIZE))
        return self._count()

    def to_pandas(self) -> pandas.DataFrame:
        """A DataFrame of the items (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'bucketry[pandas]'") from exc
        convert = self._to_record or _default_record
        return pd.DataFrame.from_records([convert(item) for item in self])


def _default_record(item: Any) -> dict[str, Any]:
    if hasattr(item, "to_dict"):
        record: dict[str, Any] = item.to_dict()
        return record
    return dict(vars(item))
