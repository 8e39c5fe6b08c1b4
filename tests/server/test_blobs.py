"""Blob put/get/head/delete/copy/bulk delete against the real server (generated client + raw httpx)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import google_crc32c
import httpx
import pytest
from sqlalchemy import func, select

from bucketry_api import ApiClient, ClientError
from bucketry_api.models import BlobCopy, BlobDeleteMany, BucketCreate, PublicAccess
from bucketry_server.models import Blob, ObjectLedger
from tests.support.held_deletions import deletions_held
from tests.support.live_server import LiveServer

# ---------------------------------------------------------------------------- helpers


@pytest.fixture
def bucket(alice: ApiClient, unique: str) -> str:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"blobs-{unique}"))
    return b.id


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc_b64(data: bytes) -> str:
    return base64.b64encode(int(google_crc32c.value(data)).to_bytes(4, "big")).decode()


def sha_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw(server: LiveServer, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.api, headers=headers, timeout=30)


def download(api: ApiClient, bucket: str, key: str, **kw: Any) -> tuple[bytes, httpx.Response]:
    with api.blobs.get_stream(bucket, key=key, **kw) as resp:
        return b"".join(resp.iter_raw()), resp


def usage(api: ApiClient, bucket: str) -> tuple[int, int]:
    u, _ = api.buckets.usage(bucket)
    return u.bytes_, u.objects


def keys_of(api: ApiClient, bucket: str) -> list[str]:
    page, _ = api.blobs.list(bucket, page_size=1000)
    return [b.key for b in page.results]


def pending_objects(server: LiveServer, settle: float = 10.0) -> int:
    """Rows left in the object ledger once the deletions that follow a commit (replaced
    versions go just after the answer) had up to ``settle`` seconds to finish."""
    deadline = time.monotonic() + settle
    while True:
        with server.state.db.session() as s:
            count = int(s.scalar(select(func.count()).select_from(ObjectLedger)) or 0)
        if count == 0 or time.monotonic() > deadline:
            return count
        time.sleep(0.02)


def problem(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return exc.value.status_code, str(exc.value.problem.get("code"))


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("size", [0, 1, 100_000, 3 * 1024 * 1024 + 17])
def test_round_trip(alice: ApiClient, bucket: str, size: int) -> None:
    data = os.urandom(size)
    chunks = (data[i : i + 256 * 1024] for i in range(0, len(data), 256 * 1024))
    blob, resp = alice.blobs.put(bucket, key="dir/file.bin", body=chunks)
    assert resp.status_code == 201
    # No SHA-256 sent: none computed (the CRC32C always is); the ETag names the version.
    assert resp.headers["ETag"] == blob.etag and len(blob.etag) == 34
    assert blob.size == size and blob.sha256 is None and blob.crc32c == crc_b64(data)
    assert blob.content_type == "application/octet-stream"

    body, resp = download(alice, bucket, "dir/file.bin")
    assert resp.status_code == 200 and body == data
    assert resp.headers["Content-Length"] == str(size)
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers["ETag"] == blob.etag
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Last-Modified"].endswith(" GMT")
    assert "X-Request-ID" in resp.headers

    whole, resp = alice.blobs.get(bucket, key="dir/file.bin")  # the non-streaming variant
    assert whole.payload.read() == data


def test_head(alice: ApiClient, bucket: str, server: LiveServer, users: dict[str, str]) -> None:
    data = b"{}"
    alice.blobs.put(
        bucket,
        key="meta.json",
        body=data,
        content_type="application/json",
        x_blob_metadata=json.dumps({"owner": "alice", "note": "é"}),
        x_checksum_sha256=sha_hex(data),
    )
    _, resp = alice.blobs.head(bucket, key="meta.json")
    assert resp.status_code == 200
    assert resp.headers["Content-Length"] == "2"
    assert resp.headers["Content-Type"] == "application/json"
    assert json.loads(resp.headers["X-Blob-Metadata"]) == {"owner": "alice", "note": "é"}
    assert resp.headers["X-Checksum-SHA256"] == sha_hex(data)
    assert resp.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    assert resp.headers["X-Checksum-CRC32C"] == crc_b64(data)
    assert resp.content == b""
    with raw(server, users["alice"]) as c:
        r = c.head(f"/buckets/{bucket}/blob", params={"key": "missing"})
    assert r.status_code == 404 and r.content == b""


def test_metadata_and_content_type(
    alice: ApiClient, bucket: str, server: LiveServer, users: dict[str, str]
) -> None:
    blob, _ = alice.blobs.put(
        bucket, key="a.png", body=b"png", content_type="image/png", x_blob_metadata='{"k":"v"}'
    )
    assert blob.content_type == "image/png" and blob.to_dict()["metadata"] == {"k": "v"}
    with raw(server, users["alice"]) as c:
        # The request's own Content-Type is used when there is no content_type parameter,
        # also above the JSON body limit (4 MiB), which must not apply to blob bodies.
        big = os.urandom(5 * 1024 * 1024)
        r = c.put(
            f"/buckets/{bucket}/blob",
            params={"key": "b.txt"},
            content=big,
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["content_type"] == "text/plain; charset=utf-8" and r.json()["size"] == len(
            big
        )
        # curl's default form type means "unspecified".
        r = c.put(
            f"/buckets/{bucket}/blob",
            params={"key": "c"},
            content=b"x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.json()["content_type"] == "application/octet-stream"
        for bad in ("not a type", "text/plain\x7f"):
            r = c.put(
                f"/buckets/{bucket}/blob", params={"key": "d", "content_type": bad}, content=b"x"
            )
            assert r.status_code == 400 and r.json()["code"] == "invalid_content_type"
        for bad_meta in ("[1]", "{", '{"a": 1}'):
            r = c.put(
                f"/buckets/{bucket}/blob",
                params={"key": "d"},
                content=b"x",
                headers={"X-Blob-Metadata": bad_meta},
            )
            assert r.status_code == 400 and r.json()["code"] == "invalid_metadata"
        r = c.put(
            f"/buckets/{bucket}/blob",
            params={"key": "d"},
            content=b"x",
            headers={"X-Blob-Metadata": json.dumps({"a": "x" * 3000})},
        )
        assert r.status_code == 400
    assert "d" not in keys_of(alice, bucket)


# ---------------------------------------------------------------------------- ranges, conditionals


def test_ranges(alice: ApiClient, bucket: str, server: LiveServer, users: dict[str, str]) -> None:
    data = bytes(range(256)) * 40  # 10240 bytes
    blob, _ = alice.blobs.put(bucket, key="r.bin", body=data)
    n = len(data)
    cases = {
        "bytes=0-0": (0, 0),
        "bytes=10-19": (10, 19),
        "bytes=10000-": (10000, n - 1),
        "bytes=-100": (n - 100, n - 1),
        "bytes=-99999": (0, n - 1),
        "bytes=10200-99999": (10200, n - 1),
    }
    for header, (start, end) in cases.items():
        body, resp = download(alice, bucket, "r.bin", range_=header)
        assert resp.status_code == 206, header
        assert body == data[start : end + 1], header
        assert resp.headers["Content-Range"] == f"bytes {start}-{end}/{n}"
        assert resp.headers["Content-Length"] == str(end - start + 1)
        assert resp.headers["ETag"] == blob.etag
    # Several ranges, or a header we cannot parse: the whole blob (RFC 9110 lets us ignore Range).
    for header in ("bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=abc"):
        body, resp = download(alice, bucket, "r.bin", range_=header)
        assert resp.status_code == 200 and body == data, header
    for header in (f"bytes={n}-", f"bytes={n + 5}-{n + 10}", "bytes=-0"):
        with pytest.raises(ClientError) as exc:
            download(alice, bucket, "r.bin", range_=header)
        assert exc.value.status_code == 416, header
        assert exc.value.response is not None
        assert exc.value.response.headers["Content-Range"] == f"bytes */{n}"
        assert exc.value.problem["code"] == "range_not_satisfiable"
    alice.blobs.put(bucket, key="empty", body=b"")
    with pytest.raises(ClientError) as exc:
        download(alice, bucket, "empty", range_="bytes=0-")
    assert exc.value.status_code == 416
    body, resp = download(alice, bucket, "empty")
    assert resp.status_code == 200 and body == b""


def test_conditional_get(
    alice: ApiClient, bucket: str, server: LiveServer, users: dict[str, str]
) -> None:
    blob, _ = alice.blobs.put(bucket, key="c.txt", body=b"content")
    with raw(server, users["alice"]) as c:
        r = c.get(
            f"/buckets/{bucket}/blob", params={"key": "c.txt"}, headers={"If-None-Match": blob.etag}
        )
        assert r.status_code == 304 and r.content == b"" and r.headers["ETag"] == blob.etag
        r = c.get(
            f"/buckets/{bucket}/blob", params={"key": "c.txt"}, headers={"If-None-Match": '"other"'}
        )
        assert r.status_code == 200 and r.content == b"content"
    body, resp = download(alice, bucket, "c.txt", if_match=blob.etag, range_="bytes=1-2")
    assert resp.status_code == 206 and body == b"on"
    with pytest.raises(ClientError) as exc:
        download(alice, bucket, "c.txt", if_match='"nope"')
    assert problem(exc) == (412, "precondition_failed")
    with pytest.raises(ClientError) as exc:
        download(alice, bucket, "missing")
    assert exc.value.status_code == 404


# ---------------------------------------------------------------------------- checksums


def test_checksums(alice: ApiClient, bucket: str, server: LiveServer) -> None:
    old = b"old version"
    first, _ = alice.blobs.put(bucket, key="k", body=old)
    new = b"new version!"
    blob, _ = alice.blobs.put(bucket, key="k2", body=new, content_md5=md5_b64(new))
    assert blob.sha256 is None  # computed only when sent
    blob, _ = alice.blobs.put(bucket, key="k2", body=new, x_checksum_sha256=sha_hex(new))
    assert blob.sha256 == sha_hex(new)
    blob, _ = alice.blobs.put(bucket, key="k2", body=new, x_checksum_sha256=sha_hex(new).upper())
    assert blob.size == len(new)
    before = usage(alice, bucket)
    for kwargs in (
        {"content_md5": md5_b64(b"something else")},
        {"x_checksum_sha256": sha_hex(b"something else")},
        {"content_md5": md5_b64(new), "x_checksum_sha256": sha_hex(b"x")},
    ):
        with pytest.raises(ClientError) as exc:
            alice.blobs.put(bucket, key="k", body=new, **kwargs)
        assert problem(exc) == (400, "checksum_mismatch")
        with pytest.raises(ClientError) as exc:
            alice.blobs.put(bucket, key="brand-new", body=new, **kwargs)
        assert problem(exc) == (400, "checksum_mismatch")
    for kwargs in (
        {"content_md5": "not base64!"},
        {"content_md5": md5_b64(b"x")[:8]},
        {"x_checksum_sha256": "zz"},
    ):
        with pytest.raises(ClientError) as exc:
            alice.blobs.put(bucket, key="k", body=new, **kwargs)
        assert problem(exc) == (400, "invalid_checksum")
    body, resp = download(alice, bucket, "k")
    assert body == old and resp.headers["ETag"] == first.etag
    assert "brand-new" not in keys_of(alice, bucket)
    assert usage(alice, bucket) == before
    assert pending_objects(server) == 0


# ---------------------------------------------------------------------------- preconditions


def test_put_preconditions(alice: ApiClient, bucket: str) -> None:
    v1, _ = alice.blobs.put(bucket, key="p", body=b"1", if_none_match="*")
    with pytest.raises(ClientError) as exc:
        alice.blobs.put(bucket, key="p", body=b"2", if_none_match="*")
    assert problem(exc) == (412, "precondition_failed")
    with pytest.raises(ClientError) as exc:
        alice.blobs.put(bucket, key="p", body=b"2", if_match='"not-the-etag"')
    assert exc.value.status_code == 412
    with pytest.raises(ClientError) as exc:
        alice.blobs.put(bucket, key="absent", body=b"2", if_match=v1.etag)
    assert exc.value.status_code == 412
    v2, _ = alice.blobs.put(bucket, key="p", body=b"2", if_match=v1.etag)
    assert v2.etag != v1.etag
    body, _ = download(alice, bucket, "p")
    assert body == b"2"
    assert "absent" not in keys_of(alice, bucket)


def test_precondition_fails_fast(alice: ApiClient, bucket: str) -> None:
    """A 412 is answered before the body is read, and the client stops sending."""
    alice.blobs.put(bucket, key="big", body=b"x")
    total = 64
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        block = b"\0" * (1024 * 1024)
        for _ in range(total):
            sent += 1
            yield block

    with pytest.raises(ClientError) as exc:
        alice.blobs.put(bucket, key="big", body=body(), if_none_match="*")
    assert exc.value.status_code == 412
    assert sent < total


def test_delete(alice: ApiClient, bucket: str) -> None:
    v, _ = alice.blobs.put(bucket, key="d", body=b"data")
    with pytest.raises(ClientError) as exc:
        alice.blobs.delete(bucket, key="d", if_match='"other"')
    assert exc.value.status_code == 412
    _, resp = alice.blobs.delete(bucket, key="d", if_match=v.etag)
    assert resp.status_code == 204
    with pytest.raises(ClientError) as exc:
        alice.blobs.delete(bucket, key="d")
    assert exc.value.status_code == 404
    assert usage(alice, bucket) == (0, 0)


def test_usage_counters(alice: ApiClient, bucket: str) -> None:
    alice.blobs.put(bucket, key="a", body=b"x" * 100)
    alice.blobs.put(bucket, key="b", body=b"x" * 10)
    assert usage(alice, bucket) == (110, 2)
    alice.blobs.put(bucket, key="a", body=b"x" * 1000)  # overwrite, bigger
    assert usage(alice, bucket) == (1010, 2)
    alice.blobs.put(bucket, key="a", body=b"")  # overwrite, smaller
    assert usage(alice, bucket) == (10, 2)
    alice.blobs.copy(bucket, body=BlobCopy(source_key="b", key="c"))
    assert usage(alice, bucket) == (20, 3)
    alice.blobs.delete(bucket, key="b")
    assert usage(alice, bucket) == (10, 2)


# ---------------------------------------------------------------------------- keys and access


@pytest.mark.parametrize(
    "key", ["..", "a/../b", "/lead", "trail/", "a//b", "./a", "x" * 1025, "é" * 513, "a\x01b"]
)
def test_bad_keys(alice: ApiClient, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as exc:
        alice.blobs.put(bucket, key=key, body=b"data")
    # Over 1024 characters the parameter check answers first (validation_error).
    assert problem(exc) in ((400, "invalid_key"), (400, "validation_error"))
    for call in (alice.blobs.head, alice.blobs.delete):
        with pytest.raises(ClientError) as exc:
            call(bucket, key=key)
        assert exc.value.status_code == 400
    with pytest.raises(ClientError) as exc:
        download(alice, bucket, key)
    assert exc.value.status_code == 400
    assert keys_of(alice, bucket) == []
    assert usage(alice, bucket) == (0, 0)


def test_bad_keys_raw(
    server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str
) -> None:
    with raw(server, users["alice"]) as c:
        for query in ("key=a%00b", "key=", "", "key=%2Fx", "key=%ff"):
            r = c.put(f"/buckets/{bucket}/blob?{query}", content=b"data")
            assert r.status_code == 400, (query, r.text)
            assert r.headers["content-type"] == "application/problem+json"
    assert keys_of(alice, bucket) == []
    ok = "x" * 1024  # exactly the limit is fine
    alice.blobs.put(bucket, key=ok, body=b"1")
    assert keys_of(alice, bucket) == [ok]


def test_anonymous_access(
    alice: ApiClient, anon: ApiClient, bucket: str, server: LiveServer
) -> None:
    alice.blobs.put(bucket, key="pub/a.txt", body=b"hello")
    with pytest.raises(ClientError) as exc:
        download(anon, bucket, "pub/a.txt")
    assert exc.value.status_code == 404
    with pytest.raises(ClientError) as exc:
        anon.blobs.list(bucket)
    assert exc.value.status_code == 404
    alice.buckets.set_public(bucket, body=PublicAccess(public=True))
    body, _ = download(anon, bucket, "pub/a.txt", range_="bytes=1-")
    assert body == b"ello"
    _, resp = anon.blobs.head(bucket, key="pub/a.txt")
    assert resp.headers["Content-Length"] == "5"
    page, _ = anon.blobs.list(bucket)
    assert [b.key for b in page.results] == ["pub/a.txt"]
    with pytest.raises(ClientError) as exc:
        anon.blobs.put(bucket, key="x", body=b"x")
    assert exc.value.status_code == 401
    with pytest.raises(ClientError) as exc:
        anon.blobs.delete(bucket, key="pub/a.txt")
    assert exc.value.status_code == 401


def test_other_users(alice: ApiClient, bob: ApiClient, bucket: str) -> None:
    alice.blobs.put(bucket, key="secret", body=b"s")
    with pytest.raises(ClientError) as exc:
        download(bob, bucket, "secret")
    assert exc.value.status_code == 404
    with pytest.raises(ClientError) as exc:
        bob.blobs.put(bucket, key="x", body=b"x")
    assert exc.value.status_code == 404
    alice.buckets.set_public(bucket, body=PublicAccess(public=True))
    body, _ = download(bob, bucket, "secret")
    assert body == b"s"
    with pytest.raises(ClientError) as exc:
        bob.blobs.put(bucket, key="x", body=b"x")
    assert exc.value.status_code == 403
    with pytest.raises(ClientError) as exc:
        bob.blobs.delete(bucket, key="secret")
    assert exc.value.status_code == 403
    with pytest.raises(ClientError) as exc:
        bob.blobs.delete_many(bucket, body=BlobDeleteMany(keys=["secret"]))
    assert exc.value.status_code == 403
    assert keys_of(alice, bucket) == ["secret"]


# ---------------------------------------------------------------------------- copy


def test_copy(alice: ApiClient, bob: ApiClient, bucket: str, unique: str) -> None:
    src, _ = alice.blobs.put(
        bucket,
        key="src.txt",
        body=b"copy me",
        content_type="text/plain",
        x_blob_metadata='{"a":"b"}',
    )
    blob, resp = alice.blobs.copy(bucket, body=BlobCopy(source_key="src.txt", key="dst.txt"))
    assert resp.status_code == 201
    assert (blob.key, blob.size, blob.etag, blob.sha256) == ("dst.txt", 7, src.etag, src.sha256)
    assert blob.crc32c == src.crc32c is not None
    assert blob.content_type == "text/plain" and blob.to_dict()["metadata"] == {"a": "b"}
    assert download(alice, bucket, "dst.txt")[0] == b"copy me"
    # Source and copy are independent objects.
    alice.blobs.delete(bucket, key="src.txt")
    assert download(alice, bucket, "dst.txt")[0] == b"copy me"

    with pytest.raises(ClientError) as exc:
        alice.blobs.copy(
            bucket, body=BlobCopy(source_key="dst.txt", key="dst.txt", overwrite=False)
        )
    assert exc.value.status_code == 412
    with pytest.raises(ClientError) as exc:
        alice.blobs.copy(bucket, body=BlobCopy(source_key="nope", key="x"))
    assert exc.value.status_code == 404
    with pytest.raises(ClientError) as exc:
        alice.blobs.copy(bucket, body=BlobCopy(source_key="../x", key="x"))
    assert exc.value.status_code == 400

    other, _ = alice.buckets.create(body=BucketCreate(name=f"other-{unique}"))
    blob, _ = alice.blobs.copy(
        other.id, body=BlobCopy(source_bucket=bucket, source_key="dst.txt", key="c/d")
    )
    assert blob.key == "c/d" and download(alice, other.id, "c/d")[0] == b"copy me"

    # From bob's public bucket into alice's; bob's private bucket is invisible to alice.
    bobs, _ = bob.buckets.create(body=BucketCreate(name=f"bobs-{unique}"))
    bob.blobs.put(bobs.id, key="shared", body=b"from bob")
    with pytest.raises(ClientError) as exc:
        alice.blobs.copy(bucket, body=BlobCopy(source_bucket=bobs.id, source_key="shared", key="s"))
    assert exc.value.status_code == 404
    with pytest.raises(ClientError) as exc:  # into a bucket alice cannot see
        alice.blobs.copy(
            bobs.id, body=BlobCopy(source_bucket=bucket, source_key="dst.txt", key="s")
        )
    assert exc.value.status_code == 404
    bob.buckets.set_public(bobs.id, body=PublicAccess(public=True))
    blob, _ = alice.blobs.copy(
        bucket, body=BlobCopy(source_bucket=bobs.id, source_key="shared", key="s")
    )
    assert download(alice, bucket, "s")[0] == b"from bob"
    with pytest.raises(ClientError) as exc:  # visible now, but not writable by alice
        alice.blobs.copy(
            bobs.id, body=BlobCopy(source_bucket=bucket, source_key="dst.txt", key="s")
        )
    assert exc.value.status_code == 403
    assert keys_of(bob, bobs.id) == ["shared"]


# ---------------------------------------------------------------------------- delete many


def test_delete_many(alice: ApiClient, bucket: str) -> None:
    for k in ("a/1", "a/2", "a/b/3", "ab", "c"):
        alice.blobs.put(bucket, key=k, body=b"12345")
    res, _ = alice.blobs.delete_many(bucket, body=BlobDeleteMany(prefix="a/", dry_run=True))
    assert res.dry_run and res.deleted == 3 and res.bytes_ == 15
    assert [r.key for r in res.results] == ["a/1", "a/2", "a/b/3"]
    assert len(keys_of(alice, bucket)) == 5
    res, _ = alice.blobs.delete_many(bucket, body=BlobDeleteMany(prefix="a/"))
    assert not res.dry_run and res.deleted == 3 and all(r.deleted for r in res.results)
    assert keys_of(alice, bucket) == ["ab", "c"]
    assert usage(alice, bucket) == (10, 2)

    res, _ = alice.blobs.delete_many(
        bucket, body=BlobDeleteMany(keys=["c", "missing", "c", "../x"])
    )
    assert res.deleted == 1
    assert [(r.key, r.deleted, r.error) for r in res.results] == [
        ("c", True, None),
        ("missing", False, "not_found"),
        ("../x", False, "invalid_key"),
    ]
    assert keys_of(alice, bucket) == ["ab"]

    for body in ({}, {"keys": ["ab"], "prefix": "a"}):
        with pytest.raises(ClientError) as exc:
            alice.blobs.delete_many(bucket, body=BlobDeleteMany.from_dict(body))
        assert exc.value.status_code == 422
    with pytest.raises(ClientError) as exc:
        alice.blobs.delete_many(bucket, body=BlobDeleteMany(prefix=""))
    assert problem(exc) == (400, "empty_prefix")
    assert keys_of(alice, bucket) == ["ab"]


def test_concurrent_put_and_delete_of_one_key_never_5xx(
    server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str
) -> None:
    """Two writers and two deleters hammer one key for ~2 s: every answer is 201, 204 or 404
    (either side may win), never a 5xx, and the bucket's usage matches what is left."""
    stop = time.monotonic() + 2.0
    statuses: list[int] = []

    def hammer(delete: bool) -> None:
        with raw(server, users["alice"]) as c:
            while time.monotonic() < stop:
                if delete:
                    r = c.delete(f"/buckets/{bucket}/blob", params={"key": "hot"})
                else:
                    body = os.urandom(int.from_bytes(os.urandom(1)) + 1)
                    r = c.put(f"/buckets/{bucket}/blob", params={"key": "hot"}, content=body)
                statuses.append(r.status_code)

    with ThreadPoolExecutor(4) as pool:
        for f in [pool.submit(hammer, d) for d in (False, False, True, True)]:
            f.result()
    assert set(statuses) <= {201, 204, 404}, sorted(set(statuses))
    assert 204 in statuses and 201 in statuses
    page, _ = alice.blobs.list(bucket)
    assert usage(alice, bucket) == (sum(b.size for b in page.results), len(page.results))
    assert pending_objects(server) == 0


def test_overwrite_answers_before_deleting_the_old_version(
    server: LiveServer, alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit marks the replaced version's object dead; its deletion is not on the
    answer's clock: the PUT answers while the store's deletion is held up, and the object and
    its mark go once it resumes."""
    alice.blobs.put(bucket, key="v", body=b"one")
    with server.state.db.session() as s:
        old = s.scalar(select(Blob.object_id).where(Blob.bucket_id == bucket, Blob.key == "v"))
    assert old is not None
    store = server.state.store
    # the old code waits for the deletion: the hold ends after 10 s to unblock it
    with deletions_held(monkeypatch, store) as release:
        _, resp = alice.blobs.put(bucket, key="v", body=b"two")
        answered_while_held = not release.is_set()
    assert resp.status_code == 201 and answered_while_held
    assert download(alice, bucket, "v")[0] == b"two"
    assert pending_objects(server) == 0
    assert not asyncio.run(store.exists(old))
