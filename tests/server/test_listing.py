"""Blob listings: every combination of prefix, delimiter, glob, ordering and page size vs a model."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select

from bucketry_api import ApiClient, ClientError
from bucketry_api.models import BucketCreate
from bucketry_server.backends import scan
from bucketry_server.models import Blob
from bucketry_server.timeutil import utcnow
from tests.support.live_server import LiveServer

TREE = {  # key -> size; inserted in this (non-sorted) order so created_at differs from names
    "c": 5,
    "a/b/c/4.png": 7,
    "a.txt": 3,
    "top.png": 1,
    "a/1.png": 7,
    "b/y/z.png": 0,
    "a-b": 2,
    "a/b/3.png": 9,
    "d/e/f/g.png": 4,
    "a0": 7,
    "a/2.jpg": 11,
    "b/x.png": 6,
    "a/b/c/5.txt": 2,
    "é/ü.png": 8,
}

GLOBS: dict[str, set[str]] = {
    "**/*.png": {k for k in TREE if k.endswith(".png")},
    "a/*": {"a/1.png", "a/2.jpg"},
    "a/**": {k for k in TREE if k.startswith("a/")},
    "a/**/*.png": {"a/1.png", "a/b/3.png", "a/b/c/4.png"},
    "*": {"c", "a.txt", "top.png", "a-b", "a0"},
    "?.txt": {"a.txt"},
    "a[-0]*": {"a-b", "a0"},
    "[!a]*/*.png": {"b/x.png", "é/ü.png"},
    "b/**/z.png": {"b/y/z.png"},
    "nomatch/*": set(),
}


@pytest.fixture(scope="module")
def tree(server: LiveServer, users: dict[str, str]) -> Iterator[tuple[ApiClient, str]]:
    with ApiClient(server.url, token=users["alice"]) as api:
        b, _ = api.buckets.create(body=BucketCreate(name="listing-tree"))
        for key, size in TREE.items():
            api.blobs.put(b.id, key=key, body=b"x" * size)
        yield api, b.id


def created(server: LiveServer, bucket: str) -> dict[str, Any]:
    with server.state.db.session() as s:
        return dict(
            s.execute(select(Blob.key, Blob.created_at).where(Blob.bucket_id == bucket)).all()
        )


def model(
    server: LiveServer,
    bucket: str,
    prefix: str,
    delimiter: str | None,
    glob: str | None,
    order_by: str,
    desc: bool,
) -> list[str]:
    keys = [k for k in TREE if k.startswith(prefix) and (glob is None or k in GLOBS[glob])]
    entries: dict[str, list[str]] = {}  # entry (blob or folder) -> the keys below it
    for k in keys:
        cut = k.find(delimiter, len(prefix)) if delimiter else -1
        entries.setdefault(k if cut == -1 else k[: cut + 1], []).append(k)
    if order_by == "name":
        return sorted(entries, reverse=desc)
    if order_by == "size":
        return sorted(entries, key=lambda e: (sum(TREE[k] for k in entries[e]), e), reverse=desc)
    times = created(server, bucket)
    return sorted(entries, key=lambda e: (max(times[k] for k in entries[e]), e), reverse=desc)


def blob_rows(bucket_id: str, keys: list[str]) -> list[dict[str, Any]]:
    """Rows to insert straight into the blobs table (listing tests need many, fast)."""
    now = utcnow()
    return [
        {
            "bucket_id": bucket_id,
            "key": key,
            "object_id": f"obj_{i:032x}",
            "size": 1,
            "etag": '"x"',
            "content_type": "application/octet-stream",
            "meta": {},
            "created_at": now,
            "modified_at": now,
        }
        for i, key in enumerate(keys)
    ]


def list_all(api: ApiClient, bucket: str, page_size: int, **params: Any) -> tuple[list[str], int]:
    """Every entry over all pages (each page's blobs and folders merged in name order)."""
    out: list[str] = []
    cursor: str | None = None
    pages = 0
    desc = params.get("order") == "desc"
    while True:
        kw = dict(params)
        if cursor:
            kw["cursor"] = cursor
        page, _ = api.blobs.list(bucket, page_size=page_size, **kw)
        pages += 1
        assert len(page.results) + len(page.prefixes) <= page_size
        entries = [b.key for b in page.results]
        order_by = params.get("order_by", "name")
        if order_by == "name":
            entries = sorted(entries + list(page.prefixes), reverse=desc)
        elif page.prefixes:  # folders sort among blobs by their total size or latest time
            assert [f.prefix for f in page.folders] == list(page.prefixes)
            by_size = order_by == "size"
            values = {b.key: b.size if by_size else b.created_at for b in page.results}
            values |= {f.prefix: f.size if by_size else f.latest_at for f in page.folders}
            entries = sorted(values, key=lambda e: (values[e], e), reverse=desc)
        out.extend(entries)
        cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
        if cursor is None:
            return out, pages
        assert pages < 200, "pagination does not end"


@pytest.mark.parametrize("order_by", ["name", "size", "created_at"])
@pytest.mark.parametrize("desc", [False, True])
def test_matrix(tree: tuple[ApiClient, str], server: LiveServer, order_by: str, desc: bool) -> None:
    api, bucket = tree
    prefixes = ["", "a/", "a", "é/", "zz"]
    delimiters: list[str | None] = [None, "/"]
    globs: list[str | None] = [None, *GLOBS]
    for prefix, delimiter, glob in itertools.product(prefixes, delimiters, globs):
        if delimiter and glob and order_by != "name":
            continue  # refused: see test_bad_parameters
        want = model(server, bucket, prefix, delimiter, glob, order_by, desc)
        params: dict[str, Any] = {
            "prefix": prefix,
            "order_by": order_by,
            "order": "desc" if desc else "asc",
        }
        if delimiter:
            params["delimiter"] = delimiter
        if glob:
            params["glob"] = glob
        for page_size in (2, 3, 1000):
            got, pages = list_all(api, bucket, page_size, **params)
            assert got == want, (prefix, delimiter, glob, page_size)
            assert len(got) == len(set(got))
            if page_size == 1000:
                assert pages == 1


def test_entries_and_folders(tree: tuple[ApiClient, str]) -> None:
    api, bucket = tree
    page, _ = api.blobs.list(bucket, prefix="a/", recursive=False)
    assert [b.key for b in page.results] == ["a/1.png", "a/2.jpg"]
    assert page.prefixes == ["a/b/"] and page.next_cursor is None
    blob = page.results[0]
    assert blob.size == 7 and blob.etag.startswith('"') and blob.crc32c and blob.sha256 is None
    assert blob.created_at and blob.modified_at
    same, _ = api.blobs.list(bucket, prefix="a/", delimiter="/")
    assert same.to_dict() == page.to_dict()
    page, _ = api.blobs.list(bucket, prefix="a", delimiter="-")
    assert page.prefixes == ["a-"]
    page, _ = api.blobs.list(bucket, glob="a/**", delimiter="/", prefix="a/")
    assert [b.key for b in page.results] == ["a/1.png", "a/2.jpg"] and page.prefixes == ["a/b/"]


def test_folder_aggregates(
    tree: tuple[ApiClient, str], server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, bucket = tree
    times = created(server, bucket)
    below = [k for k in TREE if k.startswith("a/b/")]
    page, _ = api.blobs.list(bucket, prefix="a/", recursive=False)
    (folder,) = page.folders
    assert folder.prefix == "a/b/" and folder.count == 3 and folder.complete
    assert folder.size == sum(TREE[k] for k in below) == 18
    latest = max(times[k] for k in below)
    assert abs(folder.latest_at.replace(tzinfo=None) - latest) < timedelta(milliseconds=1)
    # by size, descending: a/ (36), é/ (8), a0 (7), b/ (6), c (5) ...
    page, _ = api.blobs.list(bucket, recursive=False, order_by="size", order="desc", page_size=2)
    assert page.prefixes == ["a/", "é/"] and page.results == []
    assert [f.size for f in page.folders] == [36, 8] and [f.count for f in page.folders] == [5, 1]
    assert isinstance(page.next_cursor, str)
    page, _ = api.blobs.list(
        bucket,
        recursive=False,
        order_by="size",
        order="desc",
        page_size=2,
        cursor=page.next_cursor,
    )
    assert [b.key for b in page.results] == ["a0"] and page.prefixes == ["b/"]

    from bucketry_server.backends.managed import folders

    monkeypatch.setattr(folders, "MAX_FOLDER_ROWS", 2)
    monkeypatch.setattr(folders, "MIN_FOLDER_ROWS", 1)
    page, _ = api.blobs.list(bucket, recursive=False)
    by_name = {f.prefix: f for f in page.folders}
    assert not by_name["a/"].complete and by_name["a/"].count == 3  # read 2 + 1, cut short
    with pytest.raises(ClientError) as exc:
        api.blobs.list(bucket, recursive=False, order_by="size")
    assert exc.value.status_code == 400 and exc.value.problem["code"] == "sort_too_large"


def test_bad_parameters(tree: tuple[ApiClient, str], unique: str) -> None:
    api, bucket = tree
    bad: list[dict[str, Any]] = [
        {"delimiter": "/", "order_by": "size", "glob": "a/*"},
        {"recursive": False, "order_by": "created_at", "glob": "*"},
        {"recursive": False, "delimiter": "-"},
        {"page_size": 0},
        {"page_size": 1001},
        {"cursor": "garbage"},
        {"prefix": "../"},
        {"delimiter": "//"},
    ]
    for params in bad:
        with pytest.raises(ClientError) as exc:
            api.blobs.list(bucket, **params)
        assert exc.value.status_code == 400, params
    page, _ = api.blobs.list(bucket, page_size=2)
    assert isinstance(page.next_cursor, str)
    others: list[dict[str, Any]] = [{"prefix": "a/"}, {"order_by": "size"}, {"order": "desc"}]
    for other in others:
        with pytest.raises(ClientError) as exc:  # a cursor only continues its own listing
            api.blobs.list(bucket, page_size=2, cursor=page.next_cursor, **other)
        assert exc.value.problem["code"] == "bad_cursor"
    empty, _ = api.buckets.create(body=BucketCreate(name=f"empty-{unique}"))
    page, _ = api.blobs.list(empty.id)
    assert page.results == [] and page.prefixes == [] and page.next_cursor is None


def test_short_pages_when_scan_budget_runs_out(
    tree: tuple[ApiClient, str], server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sparse glob may answer short pages; following next_cursor still yields everything."""
    api, bucket = tree
    # One budget for every scan: the by-name skip-scan and the catalogue's by-size/time scans.
    monkeypatch.setattr(scan, "MAX_SCAN_ROWS", 2)
    monkeypatch.setattr(scan, "MAX_BATCH", 2)
    for order_by, desc in [("name", False), ("name", True), ("size", False), ("created_at", True)]:
        want = model(server, bucket, "", None, "**/*.png", order_by, desc)
        got, pages = list_all(
            api,
            bucket,
            1000,
            glob="**/*.png",
            order_by=order_by,
            order="desc" if desc else "asc",
        )
        assert got == want and pages > 1
    got, _ = list_all(api, bucket, 1000, delimiter="/")
    assert got == model(server, bucket, "", "/", None, "name", False)


def test_skip_scan_is_cheap(server: LiveServer, users: dict[str, str], unique: str) -> None:
    """A folder with many keys costs one query, not a scan of its keys."""
    with ApiClient(server.url, token=users["alice"]) as api:
        b, _ = api.buckets.create(body=BucketCreate(name=f"skip-{unique}"))
        rows = blob_rows(
            b.id, [f"{folder}/{i:05d}" for folder in ("big1", "big2") for i in range(3000)]
        )
        rows.append({**rows[0], "key": "z.txt"})
        with server.state.db.session() as s:
            s.execute(insert(Blob), rows)
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        engine = server.state.db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            page, _ = api.blobs.list(b.id, delimiter="/")
            desc, _ = api.blobs.list(b.id, delimiter="/", order="desc")
        finally:
            event.remove(engine, "before_cursor_execute", count)
            with server.state.db.session() as s:
                s.execute(delete(Blob).where(Blob.bucket_id == b.id))
        assert page.prefixes == ["big1/", "big2/"] and [x.key for x in page.results] == ["z.txt"]
        assert desc.prefixes == ["big2/", "big1/"] and [x.key for x in desc.results] == ["z.txt"]
        blob_queries = [q for q in statements if "FROM blobs" in q]
        assert len(blob_queries) <= 10, blob_queries


def test_later_pages_do_not_rescan_earlier_ones(
    server: LiveServer, users: dict[str, str], unique: str
) -> None:
    """Each page seeks straight to its cursor: the database work per page stays flat.

    Measured in SQLite virtual-machine steps (a progress handler), re-running every page's
    statement as the server sent it; with the prefix and the cursor both given as lower
    bounds, SQLite would walk from the start of the prefix on every page.
    """
    if server.state.db.engine.dialect.name != "sqlite":
        pytest.skip("counts SQLite virtual-machine steps")
    with ApiClient(server.url, token=users["alice"]) as api:
        b, _ = api.buckets.create(body=BucketCreate(name=f"deep-{unique}"))
        rows = blob_rows(b.id, [f"p/{i:05d}" for i in range(3000)])
        with server.state.db.session() as s:
            s.execute(insert(Blob), rows)
        captured: list[tuple[str, Any]] = []

        def capture(*args: Any) -> None:
            if "FROM blobs" in args[2]:
                captured.append((args[2], args[3]))

        engine = server.state.db.engine
        event.listen(engine, "before_cursor_execute", capture)
        try:
            for order in ("asc", "desc"):
                keys, pages = list_all(api, b.id, 250, prefix="p/", order=order)
                assert keys == sorted((r["key"] for r in rows), reverse=order == "desc")
                assert pages == 12
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        steps: list[int] = []
        raw = engine.raw_connection()
        try:
            for statement, params in captured:
                counter = [0]

                def tick(counter: list[int] = counter) -> int:
                    counter[0] += 1
                    return 0

                raw.driver_connection.set_progress_handler(tick, 100)  # type: ignore[union-attr]
                cur = raw.cursor()
                cur.execute(statement, params)
                cur.fetchall()
                steps.append(counter[0])
        finally:
            raw.driver_connection.set_progress_handler(None, 0)  # type: ignore[union-attr]
            raw.close()
            with server.state.db.session() as s:
                s.execute(delete(Blob).where(Blob.bucket_id == b.id))
        assert len(steps) == 24
        for half in (steps[:12], steps[12:]):
            assert max(half) < 3 * min(half), steps


def test_listed_entry_is_the_blob_json(
    server: LiveServer, users: dict[str, str], unique: str
) -> None:
    """Listing pages are written as JSON text directly; each entry must equal what a PUT returns
    for the same blob, field for field (times, metadata, non-ASCII keys included)."""
    import httpx

    headers = {"Authorization": f"Bearer {users['alice']}"}
    with ApiClient(server.url, token=users["alice"]) as api:
        b, _ = api.buckets.create(body=BucketCreate(name=f"entry-{unique}"))
    put_json: dict[str, Any] = {}
    with httpx.Client(base_url=server.api, headers=headers) as http:
        for key, meta in [
            ("plain.bin", None),
            ('dir/é "q" ü.txt', '{"owner":"\\u00e5lice","n":"1","quote":"\\"x\\""}'),
            ("z/back\\slash", '{"empty":""}'),
        ]:
            h = {} if meta is None else {"X-Blob-Metadata": meta}
            r = http.put(
                f"/buckets/{b.id}/blob",
                params={"key": key, "content_type": "text/plain"},
                content=b"data " + key.encode(),
                headers=h,
            )
            assert r.status_code == 201, r.text
            put_json[key] = r.json()
        for params in ({}, {"order_by": "size"}, {"order_by": "created_at", "order": "desc"}):
            r = http.get(f"/buckets/{b.id}/blobs", params=params)
            assert r.status_code == 200 and r.headers["content-type"] == "application/json"
            listed = {e["key"]: e for e in r.json()["results"]}
            assert listed == put_json
            assert all(list(e) == list(put_json[k]) for k, e in listed.items())
