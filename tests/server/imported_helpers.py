"""Scenarios run against an imported bucket through the HTTP API (not a test module)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import anyio
import httpx

from bucketry_server.state import AppState

MiB = 1024 * 1024


def auth(token: str) -> dict[str, str]:
    """Bearer header of ``token``."""
    return {"Authorization": f"Bearer {token}"}


def import_bucket(api: str, token: str, body: dict[str, Any]) -> httpx.Response:
    """``POST /buckets/import``."""
    return httpx.post(f"{api}/buckets/import", json=body, headers=auth(token), timeout=60)


def list_all(api: str, token: str, bucket: str, **params: Any) -> tuple[list[str], list[str], int]:
    """Every key and folder of a listing, following cursors; also the number of pages."""
    keys: list[str] = []
    folders: list[str] = []
    pages = 0
    cursor = None
    while True:
        q = dict(params, **({"cursor": cursor} if cursor else {}))
        r = httpx.get(f"{api}/buckets/{bucket}/blobs", params=q, headers=auth(token), timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        pages += 1
        keys += [b["key"] for b in body["results"]]
        folders += body["prefixes"]
        cursor = body["next_cursor"]
        if cursor is None:
            return keys, folders, pages


def put(api: str, token: str, bucket: str, key: str, data: bytes) -> httpx.Response:
    """``PUT /buckets/{bucket}/blob?key=``."""
    return httpx.put(
        f"{api}/buckets/{bucket}/blob",
        params={"key": key},
        content=data,
        headers={**auth(token), "Content-Type": "application/octet-stream"},
        timeout=60,
    )


def exercise_data_plane(
    api: str, token: str, bucket: str, *, store: AppState | None = None
) -> None:
    """Write, list across pages with folders, ranged read, multipart upload, delete. With
    ``store`` (the live server's state), also that no multipart part lands in its store."""
    for i in range(7):
        assert put(api, token, bucket, f"flat-{i}.txt", f"file {i}".encode()).status_code == 201
    for folder in ("dir-a", "dir-b"):
        for i in range(3):
            assert put(api, token, bucket, f"{folder}/x{i}.txt", b"in folder").status_code == 201
    keys, folders, pages = list_all(api, token, bucket, delimiter="/", page_size=3)
    assert folders == ["dir-a/", "dir-b/"]
    assert keys == [f"flat-{i}.txt" for i in range(7)]
    assert pages >= 3
    all_keys, _, _ = list_all(api, token, bucket, page_size=4)
    assert len(all_keys) == 13 and all_keys == sorted(all_keys)
    globbed, _, _ = list_all(api, token, bucket, glob="dir-*/x1.txt")
    assert globbed == ["dir-a/x1.txt", "dir-b/x1.txt"]
    r = httpx.get(
        f"{api}/buckets/{bucket}/blob",
        params={"key": "flat-3.txt"},
        headers={**auth(token), "Range": "bytes=2-5"},
    )
    assert r.status_code == 206 and r.content == b"le 3"
    by_size, _, _ = list_all(api, token, bucket, order_by="size", order="desc", page_size=5)
    assert sorted(by_size) == sorted(all_keys) and by_size[0].startswith("dir-")
    newest, _, _ = list_all(api, token, bucket, order_by="created_at", order="desc")
    assert sorted(newest) == sorted(all_keys)
    globbed_folders = {"order_by": "size", "delimiter": "/", "glob": "dir-*/*"}
    for params in ({"cursor": "not-a-cursor"}, globbed_folders):
        bad = httpx.get(f"{api}/buckets/{bucket}/blobs", params=params, headers=auth(token))
        assert bad.status_code == 400, bad.text
    sized = httpx.get(
        f"{api}/buckets/{bucket}/blobs",
        params={"order_by": "size", "order": "desc", "delimiter": "/", "page_size": 100},
        headers=auth(token),
    ).json()
    assert [f["prefix"] for f in sized["folders"]] == sized["prefixes"] != []
    assert sum(f["count"] for f in sized["folders"]) + len(sized["results"]) == 13
    _, _, _ = list_all(api, token, bucket, prefix="dir-a/", page_size=1)
    other = httpx.get(
        f"{api}/buckets/{bucket}/blobs", params={"page_size": 2}, headers=auth(token)
    ).json()["next_cursor"]
    foreign = httpx.get(
        f"{api}/buckets/{bucket}/blobs",
        params={"cursor": other, "prefix": "dir-a/"},
        headers=auth(token),
    )
    assert foreign.status_code == 400 and foreign.json()["code"] == "bad_cursor"
    _multipart(api, token, bucket, store)
    _copy_sign_batch(api, token, bucket)
    d = httpx.delete(
        f"{api}/buckets/{bucket}/blob", params={"key": "flat-0.txt"}, headers=auth(token)
    )
    assert d.status_code == 204, d.text
    g = httpx.get(f"{api}/buckets/{bucket}/blob", params={"key": "flat-0.txt"}, headers=auth(token))
    assert g.status_code == 404
    usage = httpx.get(f"{api}/buckets/{bucket}/usage", headers=auth(token)).json()
    assert usage["objects"] == 13 and usage["computed_at"]


def _copy_sign_batch(api: str, token: str, bucket: str) -> None:
    """Copy within the bucket, a server-signed GET fetched with plain httpx, a tar batch."""
    from tests.server.test_batch import make_tar

    c = httpx.post(
        f"{api}/buckets/{bucket}/blob/copy",
        json={"source_key": "flat-1.txt", "key": "copies/flat-1.txt"},
        headers=auth(token),
    )
    assert c.status_code == 201, c.text
    signed = httpx.post(
        f"{api}/buckets/{bucket}/signed-urls",
        json={"items": [{"key": "copies/flat-1.txt", "method": "GET"}]},
        headers=auth(token),
    )
    assert signed.status_code in (200, 201), signed.text
    url = signed.json()["results"][0]["url"]
    root = api.rsplit("/api/v1", 1)[0]
    got = httpx.get(url if url.startswith("http") else root + url)
    assert got.status_code == 200 and got.content == b"file 1"
    tar = make_tar([("batch/t1", b"one"), ("batch/t2", b"two")])
    b = httpx.post(f"{api}/buckets/{bucket}/blobs/batch", content=tar, headers=auth(token))
    assert b.status_code == 200 and b.json()["stored"] == 2, b.text
    assert (
        httpx.get(
            f"{api}/buckets/{bucket}/blob", params={"key": "batch/t2"}, headers=auth(token)
        ).content
        == b"two"
    )
    for key in ("copies/flat-1.txt", "batch/t1", "batch/t2"):
        r = httpx.delete(f"{api}/buckets/{bucket}/blob", params={"key": key}, headers=auth(token))
        assert r.status_code == 204, r.text


def _multipart(api: str, token: str, bucket: str, store: AppState | None) -> None:
    """A 40 MiB multipart upload: parts in any order, one sent again, one refused for a wrong
    checksum (the acknowledged one stays); with ``store``, no part (nor the assembled blob)
    ever lands in the server's own store: the parts go to the provider's own multipart."""
    before = _store_ids(store)
    parts = [os.urandom(8 * MiB) for _ in range(5)]
    whole = b"".join(parts)
    created = httpx.post(
        f"{api}/buckets/{bucket}/uploads",
        json={"key": "multi/big.bin", "size": len(whole), "content_type": "application/x-big"},
        headers=auth(token),
    )
    assert created.status_code == 201, created.text
    upload = created.json()["id"]

    def send(n: int, data: bytes, **headers: str) -> httpx.Response:
        return httpx.put(
            f"{api}/buckets/{bucket}/uploads/{upload}/parts/{n}",
            content=data,
            headers={**auth(token), **headers},
            timeout=120,
        )

    etags: dict[int, str] = {}
    for n in (2, 1, 5, 3, 4, 1):
        r = send(n, parts[n - 1])
        assert r.status_code == 200, r.text
        etags[n] = r.headers["ETag"]
    refused = send(
        3, os.urandom(8 * MiB), **{"X-Checksum-SHA256": hashlib.sha256(b"x").hexdigest()}
    )
    assert refused.status_code == 400 and refused.json()["code"] == "checksum_mismatch"
    assert _store_ids(store) == before  # no part in the server's store
    done = httpx.post(
        f"{api}/buckets/{bucket}/uploads/{upload}/complete",
        json={"parts": [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]},
        headers=auth(token),
        timeout=300,
    )
    assert done.status_code == 201, done.text
    assert done.json()["size"] == len(whole)
    got = httpx.get(
        f"{api}/buckets/{bucket}/blob",
        params={"key": "multi/big.bin"},
        headers=auth(token),
        timeout=120,
    )
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(whole).hexdigest()
    assert _store_ids(store) == before
    gone = httpx.get(f"{api}/buckets/{bucket}/uploads/{upload}", headers=auth(token))
    assert gone.status_code == 404
    _aborted(api, token, bucket)


def _aborted(api: str, token: str, bucket: str) -> None:
    """An aborted upload leaves nothing: no blob, no upload."""
    created = httpx.post(
        f"{api}/buckets/{bucket}/uploads", json={"key": "multi/aborted.bin"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    upload = created.json()["id"]
    r = httpx.put(
        f"{api}/buckets/{bucket}/uploads/{upload}/parts/1", content=b"abc", headers=auth(token)
    )
    assert r.status_code == 200, r.text
    d = httpx.delete(f"{api}/buckets/{bucket}/uploads/{upload}", headers=auth(token))
    assert d.status_code == 204, d.text
    g = httpx.get(
        f"{api}/buckets/{bucket}/blob", params={"key": "multi/aborted.bin"}, headers=auth(token)
    )
    assert g.status_code == 404


def _store_ids(state: AppState | None) -> set[str] | None:
    """The objects in the server's own store (None without a state)."""
    return None if state is None else set(anyio.run(state.store.list_ids))
