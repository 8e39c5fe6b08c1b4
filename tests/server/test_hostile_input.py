"""Hostile values in what a write stores with a blob (media type, metadata): every write path
refuses them with a 400 naming the bad parameter before a byte is committed, and values stored
before a rule existed never break the responses built from them."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bucketry_server.models import Blob, Upload
from tests.support.live_server import LiveServer

LONE_SURROGATE_JSON = '{"a":"\\ud800"}'  # valid JSON text whose string cannot be UTF-8
INJECTED_TYPE = "text/plain\r\nSet-Cookie: a=b"


@pytest.fixture
def api(server: LiveServer, users: dict[str, str]) -> httpx.Client:
    with httpx.Client(
        base_url=server.api, headers={"Authorization": f"Bearer {users['alice']}"}, timeout=30
    ) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
def bucket(api: httpx.Client, unique: str) -> str:
    r = api.post("/buckets", json={"name": f"hostile-{unique}"})
    assert r.status_code == 201
    return str(r.json()["id"])


def problem(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json().get("code", "")


def exists(api: httpx.Client, bucket: str, key: str) -> bool:
    r = api.head(f"/buckets/{bucket}/blob", params={"key": key})
    assert r.status_code in (200, 404)
    return r.status_code == 200


def new_upload(api: httpx.Client, bucket: str, key: str, **fields: Any) -> httpx.Response:
    return api.post(f"/buckets/{bucket}/uploads", json={"key": key, **fields})


# --------------------------------------------------------------------------- item 7


def test_put_with_unencodable_metadata_is_refused_and_stores_nothing(
    api: httpx.Client, bucket: str
) -> None:
    r = api.put(
        f"/buckets/{bucket}/blob",
        params={"key": "ghost"},
        content=b"data",
        headers={"X-Blob-Metadata": LONE_SURROGATE_JSON},
    )
    assert problem(r) == (400, "invalid_metadata")
    assert "X-Blob-Metadata" in r.json()["detail"]
    assert not exists(api, bucket, "ghost")


def test_deeply_nested_metadata_header_is_a_400(api: httpx.Client, bucket: str) -> None:
    nested = '{"a":' + "[" * 1000 + "]" * 1000 + "}"
    r = api.put(
        f"/buckets/{bucket}/blob",
        params={"key": "deep"},
        content=b"data",
        headers={"X-Blob-Metadata": nested},
    )
    assert problem(r) == (400, "invalid_metadata")
    assert not exists(api, bucket, "deep")


def test_multipart_with_unencodable_metadata_is_refused(api: httpx.Client, bucket: str) -> None:
    r = api.post(
        f"/buckets/{bucket}/uploads",
        content=('{"key":"ghost","metadata":' + LONE_SURROGATE_JSON + "}").encode(),
        headers={"Content-Type": "application/json"},
    )
    assert problem(r) == (400, "invalid_unicode") and "body.metadata.a" in r.json()["detail"]
    assert api.get(f"/buckets/{bucket}/uploads", params={"key": "ghost"}).json()["results"] == []


# --------------------------------------------------------------------------- item 8


@pytest.mark.parametrize("bad", [INJECTED_TYPE, "not a type", "text/plain; x=\u00e9"])
def test_multipart_content_type_is_validated_like_put(
    api: httpx.Client, bucket: str, bad: str
) -> None:
    put = api.put(f"/buckets/{bucket}/blob", params={"key": "p", "content_type": bad}, content=b"x")
    assert problem(put) == (400, "invalid_content_type")
    r = new_upload(api, bucket, "m", content_type=bad)
    assert problem(r) == (400, "invalid_content_type")
    assert "content_type" in r.json()["detail"]
    assert api.get(f"/buckets/{bucket}/uploads", params={"key": "m"}).json()["results"] == []


def test_upload_stored_with_a_bad_content_type_cannot_complete_into_a_broken_blob(
    server: LiveServer, api: httpx.Client, bucket: str
) -> None:
    """An upload created before the rule existed is refused at completion, and kept."""
    r = new_upload(api, bucket, "old", content_type="text/plain")
    assert r.status_code == 201
    upload_id = r.json()["id"]
    with server.state.db.session() as s:
        s.execute(update(Upload).where(Upload.id == upload_id).values(content_type=INJECTED_TYPE))
    part = api.put(f"/buckets/{bucket}/uploads/{upload_id}/parts/1", content=b"tiny")
    assert part.status_code == 200
    done = api.post(
        f"/buckets/{bucket}/uploads/{upload_id}/complete",
        json={"parts": [{"part_number": 1, "etag": part.json()["etag"]}]},
    )
    assert problem(done) == (400, "invalid_content_type")
    assert not exists(api, bucket, "old")
    assert api.get(f"/buckets/{bucket}/uploads/{upload_id}").status_code == 200


def test_blobs_stored_with_bad_values_still_answer(
    server: LiveServer, api: httpx.Client, bucket: str
) -> None:
    """Rows written before validation existed: HEAD, GET, listing and copy never break."""
    for key in ("bad-type", "bad-meta"):
        assert api.put(f"/buckets/{bucket}/blob", params={"key": key}, content=b"1").is_success
    with server.state.db.session() as s:
        s.execute(
            update(Blob)
            .where(Blob.bucket_id == bucket, Blob.key == "bad-type")
            .values(content_type=INJECTED_TYPE)
        )
        s.execute(
            update(Blob)
            .where(Blob.bucket_id == bucket, Blob.key == "bad-meta")
            .values(meta={"a": "\ud800", "b": "ok"})
        )
    head = api.head(f"/buckets/{bucket}/blob", params={"key": "bad-type"})
    assert head.status_code == 200
    assert head.headers["content-type"] == "application/octet-stream"
    assert "set-cookie" not in head.headers
    head = api.head(f"/buckets/{bucket}/blob", params={"key": "bad-meta"})
    assert head.status_code == 200 and json.loads(head.headers["x-blob-metadata"])["b"] == "ok"
    assert api.get(f"/buckets/{bucket}/blob", params={"key": "bad-type"}).content == b"1"
    listed = api.get(f"/buckets/{bucket}/blobs")
    assert listed.status_code == 200
    assert {b["key"] for b in listed.json()["results"]} == {"bad-type", "bad-meta"}
    for key in ("bad-type", "bad-meta"):
        r = api.post(f"/buckets/{bucket}/blob/copy", json={"source_key": key, "key": key + "2"})
        assert r.status_code in (201, 400), r.text
        assert exists(api, bucket, key + "2") == (r.status_code == 201)


# --------------------------------------------------------------------------- item 6


def cursor_of(values: list[Any], tag: str) -> str:
    raw = json.dumps({"v": values, "g": tag}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decoded(cursor: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return data


HUGE = 10**30
LATE = {"t": "9999-12-31T23:59:59-10:00"}  # a valid text, past datetime.max in UTC
EARLY = {"t": "0001-01-01T00:00:00+10:00"}  # before datetime.min in UTC
BAD_VALUES: list[Any] = [HUGE, -HUGE, LATE, EARLY, "\ud800", "a\x00b", float("inf"), 1.5]


@pytest.mark.parametrize("bad", BAD_VALUES, ids=repr)
def test_tampered_cursor_values_are_a_400(api: httpx.Client, bucket: str, bad: Any) -> None:
    now = {"t": "2026-01-01T00:00:00"}
    cases = [
        ("/tokens", {}, "tok", [bad, "tok_x"]),
        ("/tokens", {}, "tok", [now, bad]),
        ("/credentials", {}, "crd", [bad, "crd_x"]),
        ("/buckets", {}, "bkt:name", [bad, "bkt_x"]),
        ("/buckets", {"sort": "-created_at"}, "bkt:-created_at", [bad, "bkt_x"]),
        (f"/buckets/{bucket}/uploads", {}, "upl", ["k", bad, "upl_x"]),
        (f"/buckets/{bucket}/uploads", {}, "upl", [bad, now, "upl_x"]),
    ]
    for path, params, tag, values in cases:
        r = api.get(path, params={**params, "cursor": cursor_of(values, tag)})
        assert problem(r) == (400, "bad_cursor"), (path, values, r.text)
        assert "cursor" in r.json()["detail"]


@pytest.mark.parametrize("bad", BAD_VALUES, ids=repr)
@pytest.mark.parametrize("order_by", ["size", "created_at"])
def test_tampered_listing_cursor_is_a_400(
    api: httpx.Client, bucket: str, order_by: str, bad: Any
) -> None:
    for key in ("a", "b"):
        assert api.put(f"/buckets/{bucket}/blob", params={"key": key}, content=b"1").is_success
    params = {"order_by": order_by, "page_size": 1}
    first = api.get(f"/buckets/{bucket}/blobs", params=params).json()["next_cursor"]
    real = decoded(first)
    for slot in (0, 1):
        values = list(real["v"])
        values[slot] = bad
        r = api.get(
            f"/buckets/{bucket}/blobs",
            params={**params, "cursor": cursor_of(values, real["g"])},
        )
        assert problem(r) == (400, "bad_cursor"), (values, r.text)


@pytest.mark.parametrize(
    "text",
    [
        '{"<": [{"var": "created_at"}, "9999-12-31T23:59:59-10:00"]}',
        '{">": [{"var": "created_at"}, "0001-01-01T00:00:00+10:00"]}',
        '{"==": [{"var": "name"}, "\\ud800"]}',
        '{"in": ["\\ud800", {"var": "name"}]}',
    ],
)
def test_filter_with_out_of_range_or_unencodable_values_is_a_400(
    api: httpx.Client, text: str
) -> None:
    r = api.get("/buckets", params={"filter": text})
    assert problem(r) == (400, "invalid_filter"), r.text
    assert "filter" in r.json()["detail"]


def test_json_bodies_with_lone_surrogates_are_refused(
    api: httpx.Client, bucket: str, unique: str
) -> None:
    def post(path: str, text: str, method: str = "POST") -> httpx.Response:
        return api.request(
            method, path, content=text.encode(), headers={"Content-Type": "application/json"}
        )

    r = post("/buckets", f'{{"name": "sur-{unique}", "description": "x\\udc80"}}')
    assert problem(r) == (400, "invalid_unicode")
    assert "description" in r.json()["detail"]
    assert api.get("/buckets", params={"name": f"sur-{unique}"}).json()["results"] == []
    r = post(f"/buckets/{bucket}", '{"description": "\\ud800"}', "PATCH")
    assert problem(r) == (400, "invalid_unicode")
    assert api.get(f"/buckets/{bucket}").json()["description"] is None
    r = post("/tokens", '{"name": "\\ud800"}')
    assert problem(r) == (400, "invalid_unicode")
    r = post(f"/buckets/{bucket}/blob/copy", '{"source_key": "a", "key": "\\ud800"}')
    assert problem(r) == (400, "invalid_unicode")
    # A surrogate pair is ordinary Unicode (U+1F600), not an error.
    r = post(f"/buckets/{bucket}", '{"description": "\\ud83d\\ude00"}', "PATCH")
    assert r.status_code == 200 and r.json()["description"] == "\U0001f600"


def test_deeply_nested_json_body_is_a_400(api: httpx.Client) -> None:
    text = '{"name": "deep", "description": ' + "[" * 5000 + "]" * 5000 + "}"
    r = api.post("/buckets", content=text.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_json", r.text
