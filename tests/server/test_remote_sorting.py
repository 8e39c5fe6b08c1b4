"""Imported buckets listed by size, time and descending name, and with folders and their
aggregates in every order: page for page the same as a managed bucket holding the same keys
(FILESYSTEM and SeaweedFS), and the sort limit."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.backends.base import ListQuery
from bucketry_server.backends.filesystem import FolderClient
from bucketry_server.backends.remote.client import ProviderConfig
from bucketry_server.backends.remote.listing import list_page
from bucketry_server.errors import Invalid
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket, put
from tests.support.live_server import LiveServer, live_server
from tests.support.seaweed import SeaweedS3

FOLDERS = ["", "b/", "d/", "b/c/"]
KEYS = [
    f"{FOLDERS[i % 4]}f{(i * 5) % 24:02d}.{('txt', 'png', 'bin')[i % 3]}" for i in range(24)
] + ["é.txt", "Z.png", "b.png"]
#: SeaweedFS lists a folder's keys before a sibling that sorts below ``/`` ("b/..." before
#: "b.png"), which S3 does not; its bucket leaves that key out.
SEAWEED_KEYS = [k for k in KEYS if k != "b.png"]
#: Sizes with many ties, so ties must be ordered by key.
SIZES = {key: (i * 7) % 5 for i, key in enumerate(KEYS)}

QUERIES: list[dict[str, Any]] = (
    [
        {"order_by": order_by, "order": order, **extra}
        for order_by in ("size", "created_at", "name")
        for order in ("asc", "desc")
        for extra in ({}, {"prefix": "b/"}, {"glob": "**/*.png"}, {"glob": "b/*"})
        if (order_by, order) != ("name", "asc")
    ]
    + [
        {"order": "desc", "delimiter": "/"},
        {"order": "desc", "delimiter": "/", "prefix": "b/"},
        {"order": "desc", "delimiter": "/", "glob": "**/*.png"},
        {"order": "desc", "delimiter": "/", "glob": "*/f*"},
        {"delimiter": "/", "glob": "*/f*"},
    ]
    + [  # folders with their aggregates, sorted among the blobs in every order
        {"order_by": order_by, "order": order, "delimiter": "/", **extra}
        for order_by in ("size", "created_at", "name")
        for order in ("asc", "desc")
        for extra in ({}, {"prefix": "b/"}, {"prefix": "d/"})
    ]
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path, str]]:
    root = tmp_path_factory.mktemp("sort-root")
    with live_server(tmp_path_factory.mktemp("sort-data"), filesystem_roots=[root]) as s:
        _, token = create_user(s.state.db, "sorter", admin=True)
        yield s, root, token


def _pages(
    api: str, token: str, bucket: str, params: dict[str, Any], times: bool = True
) -> list[Any]:
    """Every page of a listing (keys, folders, and the folders' aggregates: their latest
    times only with ``times``), following cursors."""
    pages: list[Any] = []
    cursor = None
    while True:
        q = dict(params, page_size=4, **({"cursor": cursor} if cursor else {}))
        r = httpx.get(f"{api}/buckets/{bucket}/blobs", params=q, headers=auth(token), timeout=30)
        assert r.status_code == 200, (params, r.text)
        body = r.json()
        sums = body.get("folders")
        if sums is not None and not times:
            sums = [{k: v for k, v in f.items() if k != "latest_at"} for f in sums]
        pages.append(([b["key"] for b in body["results"]], body["prefixes"], sums))
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def _managed(api: str, token: str, name: str, keys: list[str]) -> dict[str, datetime]:
    """A managed bucket holding ``keys``; the creation time of each key."""
    r = httpx.post(f"{api}/buckets", json={"name": name}, headers=auth(token))
    assert r.status_code == 201, r.text
    for key in keys:
        assert put(api, token, name, key, b"x" * SIZES[key]).status_code == 201
    listed = httpx.get(
        f"{api}/buckets/{name}/blobs", params={"page_size": 100}, headers=auth(token)
    ).json()["results"]
    return {b["key"]: datetime.fromisoformat(b["created_at"]) for b in listed}


def _expected_order(listed: list[dict[str, Any]], field: str, desc: bool) -> list[str]:
    rows = [(b[field], b["key"]) for b in listed]
    return [k for _, k in sorted(rows, reverse=desc)]


def test_filesystem_listings_equal_managed_ones(srv: tuple[LiveServer, Path, str]) -> None:
    s, root, token = srv
    created = _managed(s.api, token, "sort-managed", KEYS)
    folder = root / "sorted"
    for key in KEYS:  # the same bytes, and as times the managed bucket's creation times
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * SIZES[key])
        stamp = int(created[key].timestamp() * 1_000_000) * 1000
        os.utime(path, ns=(stamp, stamp))
    r = import_bucket(
        s.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder), "name": "fs-sort"}
    )
    assert r.status_code == 201, r.text
    for params in QUERIES:
        managed = _pages(s.api, token, "sort-managed", params)
        assert _pages(s.api, token, "fs-sort", params) == managed, params
        if "delimiter" in params and "glob" not in params:
            assert all(f is not None and len(f) == len(p) for _, p, f in managed), params
        assert sum(len(k) + len(f) for k, f, _ in managed) > 0, params
    flat = [k for page in _pages(s.api, token, "fs-sort", {"order_by": "size"}) for k in page[0]]
    assert flat == sorted(KEYS, key=lambda k: (SIZES[k], k))


def test_seaweedfs_listings_equal_managed_ones(
    srv: tuple[LiveServer, Path, str], seaweed: SeaweedS3
) -> None:
    s, _, token = srv
    _managed(s.api, token, "sort-managed-sw", SEAWEED_KEYS)
    body = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": SEAWEED_BUCKET,
        "endpoint_url": seaweed.endpoint_url,
        "region": "us-east-1",
        "name": "sw-sort",
        "prefix": "sw-sort/",
        "credentials": {
            "access_key_id": seaweed.access_key,
            "secret_access_key": seaweed.secret_key,
        },
    }
    r = import_bucket(s.api, token, body)
    assert r.status_code == 201, r.text
    for key in SEAWEED_KEYS:
        assert put(s.api, token, "sw-sort", key, b"x" * SIZES[key]).status_code == 201
    for params in QUERIES:
        if params.get("order_by") == "created_at":
            continue  # SeaweedFS keeps its own (whole-second) times: checked below
        managed = _pages(s.api, token, "sort-managed-sw", params, times=False)
        assert _pages(s.api, token, "sw-sort", params, times=False) == managed, params
    listed = httpx.get(
        f"{s.api}/buckets/sw-sort/blobs", params={"page_size": 100}, headers=auth(token)
    ).json()["results"]
    for order in ("asc", "desc"):
        for extra in ({}, {"glob": "**/*.png"}):
            pages = _pages(
                s.api, token, "sw-sort", {"order_by": "created_at", "order": order, **extra}
            )
            got = [k for keys, _, _ in pages for k in keys]
            rows = [b for b in listed if not extra or b["key"].endswith(".png")]
            assert got == _expected_order(rows, "created_at", order == "desc")


def test_sort_limit_is_a_clear_400(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(30):
        (folder / f"k{i:02d}").write_bytes(b"x" * (i % 3))
    client = FolderClient(ProviderConfig(provider="FILESYSTEM", bucket=str(folder)))
    sized = ListQuery(order_by="size", page_size=5, bucket_id="b")
    assert b'"k00"' in list_page(client, "", "o", sized, 30)  # exactly at the limit
    for q in (sized, ListQuery(descending=True, page_size=5), ListQuery(order_by="created_at")):
        with pytest.raises(Invalid) as info:
            list_page(client, "", "o", q, 29)
        assert info.value.code == "sort_too_large"
        assert "29" in info.value.detail and "order_by=name" in info.value.detail
    # A prefix narrows the range under the limit; ascending names need no limit.
    assert b'"k1' in list_page(client, "", "o", ListQuery(order_by="size", prefix="k1"), 29)
    assert b'"k29"' in list_page(client, "", "o", ListQuery(page_size=100), 1)


def test_sort_limit_through_the_api(srv: tuple[LiveServer, Path, str]) -> None:
    s, root, token = srv
    folder = root / "limited"
    folder.mkdir()
    for i in range(12):
        (folder / f"k{i:02d}").write_bytes(b"x")
    r = import_bucket(
        s.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder), "name": "lim"}
    )
    assert r.status_code == 201, r.text
    s.state.settings.remote_sort_limit = 10
    try:
        too = httpx.get(
            f"{s.api}/buckets/lim/blobs", params={"order_by": "size"}, headers=auth(token)
        )
        assert too.status_code == 400 and too.json()["code"] == "sort_too_large", too.text
        assert "10" in too.json()["detail"] and "order_by=name" in too.json()["detail"]
        ok = httpx.get(f"{s.api}/buckets/lim/blobs", headers=auth(token))
        assert ok.status_code == 200 and len(ok.json()["results"]) == 12
    finally:
        s.state.settings.remote_sort_limit = 100_000


def test_folder_sums_are_bounded_per_page_like_a_managed_bucket(
    srv: tuple[LiveServer, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A by-name page sums its folders within a budget of listed objects (the sort limit;
    managed: ``MAX_FOLDER_ROWS``) and at least ``MIN_FOLDER_ROWS`` each: a folder past its
    allowance says ``complete: false`` and counts as far as a managed bucket's does."""
    from bucketry_server.backends.managed import folders as managed_folders
    from bucketry_server.backends.remote import listing as remote_listing

    s, root, token = srv
    keys = [f"{d}/{i:02d}" for d, n in (("a", 7), ("b", 1), ("c", 4), ("e", 3)) for i in range(n)]
    keys += ["b0", "d", "e/deep/x"]
    sizes = {key: len(key) for key in keys}
    r = httpx.post(f"{s.api}/buckets", json={"name": "sums-managed"}, headers=auth(token))
    assert r.status_code == 201, r.text
    folder = root / "sums"
    for key in keys:
        assert put(s.api, token, "sums-managed", key, b"s" * sizes[key]).status_code == 201
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(b"s" * sizes[key])
    body = {"provider": "FILESYSTEM", "provider_bucket": str(folder), "name": "sums-fs"}
    assert import_bucket(s.api, token, body).status_code == 201
    monkeypatch.setattr(managed_folders, "MAX_FOLDER_ROWS", 5)
    monkeypatch.setattr(managed_folders, "MIN_FOLDER_ROWS", 2)
    monkeypatch.setattr(remote_listing, "MIN_FOLDER_ROWS", 2)
    s.state.settings.remote_sort_limit = 5
    try:
        for params in ({"delimiter": "/"}, {"delimiter": "/", "prefix": "e/"}):
            managed = _pages(s.api, token, "sums-managed", params, times=False)
            assert _pages(s.api, token, "sums-fs", params, times=False) == managed, params
        first = _pages(s.api, token, "sums-fs", {"delimiter": "/"}, times=False)[0]
        assert first[2][0] == {"prefix": "a/", "size": 24, "count": 6, "complete": False}
        assert [
            f["complete"]
            for page in _pages(s.api, token, "sums-fs", {"delimiter": "/"})
            for f in page[2]
        ] == [False, True, False, True]  # c/: 4 keys, allowed max(5 - 6 - 1, 2) = 2
    finally:
        s.state.settings.remote_sort_limit = 100_000


def test_many_small_folders_are_summed_by_one_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bucketry_server.backends.remote import listing as remote_listing

    folder = tmp_path / "small"
    for d in range(60):
        for i in range(3):
            (folder / f"d{d:02d}").mkdir(parents=True, exist_ok=True)
            (folder / f"d{d:02d}" / f"k{i}").write_bytes(b"x" * i)
    client = FolderClient(ProviderConfig(provider="FILESYSTEM", bucket=str(folder)))
    calls: list[int] = []
    real = remote_listing.folder_sums

    def counted(c: Any, *args: Any) -> Any:
        class Counting:
            def list_page(self, prefix: str, after: str | None, limit: int) -> Any:
                calls.append(limit)
                return c.list_page(prefix, after, limit)

        return real(Counting(), *args)  # type: ignore[arg-type]

    monkeypatch.setattr(remote_listing, "folder_sums", counted)
    q = ListQuery(delimiter="/", page_size=50, bucket_id="b")
    page = json.loads(list_page(client, "", "o", q, 100_000))
    assert len(page["folders"]) == 50 and len(calls) == 1  # 150 keys below 50 folders
    assert page["folders"][0] == {
        "prefix": "d00/",
        "size": 3,
        "count": 3,
        "latest_at": page["folders"][0]["latest_at"],
        "complete": True,
    }


def test_big_folders_past_the_budget_list_only_their_allowance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a by-name page's budget is spent, each further folder lists about its allowance
    (``MIN_FOLDER_ROWS``), not a whole provider page: the keys listed to sum a page of big
    folders stay near budget + folders x allowance (a page of 1000 big folders listed up to
    a million keys, a provider page per folder)."""
    from bucketry_server.backends.remote import listing as remote_listing

    folder = tmp_path / "big"
    for d in range(30):
        (folder / f"d{d:02d}").mkdir(parents=True)
        for i in range(20):
            (folder / f"d{d:02d}" / f"k{i:02d}").write_bytes(b"x" * 3)
    client = FolderClient(ProviderConfig(provider="FILESYSTEM", bucket=str(folder)))
    listed: list[int] = []
    real = remote_listing.folder_sums

    def counted(c: Any, *args: Any) -> Any:
        class Counting:
            def list_page(self, prefix: str, after: str | None, limit: int) -> Any:
                page = c.list_page(prefix, after, limit)
                listed.append(len(page))
                return page

        return real(Counting(), *args)  # type: ignore[arg-type]

    monkeypatch.setattr(remote_listing, "folder_sums", counted)
    monkeypatch.setattr(remote_listing, "FOLDER_SUM_LIMIT", 10)
    monkeypatch.setattr(remote_listing, "MIN_FOLDER_ROWS", 2)
    q = ListQuery(delimiter="/", page_size=30, bucket_id="b")
    page = json.loads(list_page(client, "", "o", q, 100_000))
    figures = [(f["count"], f["size"], f["complete"]) for f in page["folders"]]
    assert figures == [(11, 33, False)] + [(3, 9, False)] * 29  # budget 10, then 2 each
    assert sum(listed) <= 10 + 30 * (2 + 1) + 30, listed


def test_a_delimiter_with_a_glob_sorts_by_name_only_on_both(
    srv: tuple[LiveServer, Path, str],
) -> None:
    s, root, token = srv
    r = httpx.post(f"{s.api}/buckets", json={"name": "globbed-m"}, headers=auth(token))
    assert r.status_code == 201, r.text
    (root / "globbed" / "a").mkdir(parents=True)
    (root / "globbed" / "a" / "x.png").write_bytes(b"x")
    body = {"provider": "FILESYSTEM", "provider_bucket": str(root / "globbed"), "name": "globbed"}
    assert import_bucket(s.api, token, body).status_code == 201
    for bucket in ("globbed-m", "globbed"):
        r = httpx.get(
            f"{s.api}/buckets/{bucket}/blobs",
            params={"delimiter": "/", "glob": "**/*.png", "order_by": "size"},
            headers=auth(token),
        )
        assert r.status_code == 400 and r.json()["code"] == "invalid_parameter", r.text
        assert "glob" in r.json()["detail"]
