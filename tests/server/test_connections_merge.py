"""The connection diff's bucket side on its own: folders listed in key order, globs applied,
pages followed, and a listing out of key order refused before the merge can misread it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from bucketry_server.backends.base import ListQuery
from bucketry_server.connections.diff import listed_files
from bucketry_server.connections.selection import Selection, normalise_folders
from bucketry_server.errors import BadGateway


@dataclass
class FakeListing:
    """A backend whose ``list_blobs`` serves ``keys`` (in the given order) two per page."""

    keys: list[str]

    async def list_blobs(self, query: ListQuery) -> bytes:
        chosen = [k for k in self.keys if k.startswith(query.prefix)]
        start = int(query.cursor or 0)
        page = chosen[start : start + 2]
        nxt = str(start + 2) if start + 2 < len(chosen) else None
        results = [{"key": k, "size": len(k)} for k in page]
        return json.dumps({"results": results, "prefixes": [], "next_cursor": nxt}).encode()


def _listed(keys: list[str], selection: Selection) -> list[str]:
    async def collect() -> list[str]:
        return [k async for k, _ in listed_files(FakeListing(keys), selection)]  # type: ignore[arg-type]

    return asyncio.run(collect())


def test_folders_globs_and_pages() -> None:
    keys = ["a/1.jpg", "a/2.png", "a/b/3.jpg", "ab/4.jpg", "b/5.jpg", "c/6.jpg"]
    folders = normalise_folders(["c", "a", "a/b"])
    assert folders == ["a/", "c/"]
    selection = Selection.of(folders, ["**/*.jpg"], ["a/b/**"])
    assert _listed(keys, selection) == ["a/1.jpg", "c/6.jpg"]
    assert _listed(keys, Selection.of([], [], [])) == keys


def test_out_of_order_listing_is_refused() -> None:
    with pytest.raises(BadGateway) as info:
        _listed(["a", "c", "b", "d"], Selection.of([], [], []))
    assert info.value.code == "listing_out_of_order"
    with pytest.raises(BadGateway):
        _listed(["a", "a"], Selection.of([], [], []))
