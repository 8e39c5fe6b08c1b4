"""Issue 11 benchmarks, SDK side: a prefetched asset stream asks for a small first page (the
first assets arrive quickly) and then full pages of 1000 by default, yielding every asset once
and in order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bucketry import Client, Project
from bucketry.pagination import Pager

FIRST_PAGE_SIZE = 100  # bucketry.resources.assets.FIRST_PAGE_SIZE


def test_prefetched_pager_sizes_only_the_first_request() -> None:
    asked: list[int] = []

    def fetch(cursor: str | None, size: int) -> tuple[list[int], str | None]:
        asked.append(size)
        start = int(cursor or 0)
        stop = min(start + size, 25)
        return list(range(start, stop)), (str(stop) if stop < 25 else None)

    pages = list(Pager(fetch, page_size=10, prefetch=True, first_page_size=3).pages())
    assert asked == [3, 10, 10, 10]
    assert [x for page in pages for x in page] == list(range(25))
    assert [len(p) for p in pages] == [3, 10, 10, 2]
    with pytest.raises(ValueError, match="first_page_size"):
        Pager(fetch, first_page_size=1001)


@pytest.fixture
def project(client: Client, unique: str) -> Iterator[Project]:
    p = client.projects.create(f"stream-{unique}")
    yield p
    p.delete()


def test_asset_stream_first_page_is_small_then_full_pages(project: Project) -> None:
    total = FIRST_PAGE_SIZE + 1100
    for start in range(0, total, 1000):
        batch = [
            {"content": f"https://e.com/{i}.png", "external_id": f"e-{i:05d}"}
            for i in range(start, min(start + 1000, total))
        ]
        assert project.assets.append(batch).ok
    listing = project.assets.list(fields=["external_id"], progress=False)
    pages = list(listing.pages())
    assert [len(p) for p in pages] == [FIRST_PAGE_SIZE, 1000, 100]
    assert [a.external_id for p in pages for a in p] == [f"e-{i:05d}" for i in range(total)]
    # Without prefetch the pages are all of page_size, as asked.
    plain = project.assets.list(fields=["external_id"], page_size=700, prefetch=False)
    assert [len(p) for p in plain.pages()] == [700, 500]
