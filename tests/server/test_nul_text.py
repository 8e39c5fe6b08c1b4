"""NUL characters in any text that reaches the database are refused with a 4xx naming the
field (PostgreSQL ``text`` cannot hold NUL: before, several fields answered 500 there and stored
the value on SQLite). Runs on both database passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer

NUL = "a\x00b"


@pytest.fixture
def api(server: LiveServer, users: dict[str, str]) -> httpx.Client:
    with httpx.Client(
        base_url=server.api, headers={"Authorization": f"Bearer {users['alice']}"}, timeout=30
    ) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
def bucket(api: httpx.Client, unique: str) -> str:
    r = api.post("/buckets", json={"name": f"nul-{unique}"})
    assert r.status_code == 201
    bid = str(r.json()["id"])
    assert api.put(f"/buckets/{bid}/blob", params={"key": "k"}, content=b"x").status_code == 201
    return bid


def _upload(api: httpx.Client, bucket: str) -> str:
    r = api.post(f"/buckets/{bucket}/uploads", json={"key": "up"})
    assert r.status_code == 201
    return str(r.json()["id"])


Request = Callable[[httpx.Client, str], httpx.Response]

CASES: dict[str, tuple[str, Request]] = {
    "token name": ("name", lambda c, b: c.post("/tokens", json={"name": NUL})),
    "token id": ("token_id", lambda c, b: c.delete("/tokens/a%00b")),
    "credential id (get)": ("credential_id", lambda c, b: c.get("/credentials/a%00b")),
    "credential id (delete)": ("credential_id", lambda c, b: c.delete("/credentials/a%00b")),
    "credential name": (
        "name",
        lambda c, b: c.post("/credentials", json={"name": NUL, "buckets": [b]}),
    ),
    "bucket description": (
        "description",
        lambda c, b: c.patch(f"/buckets/{b}", json={"description": NUL}),
    ),
    "bucket credentials": (
        "credentials",
        lambda c, b: c.patch(f"/buckets/{b}", json={"credentials": {"k": NUL}}),
    ),
    "bucket manifests": (
        "manifests",
        lambda c, b: c.patch(f"/buckets/{b}", json={"manifests": [NUL]}),
    ),
    "bucket filter": ("filter", lambda c, b: c.get("/buckets", params={"filter": NUL})),
    "copy source_bucket": (
        "source_bucket",
        lambda c, b: c.post(
            f"/buckets/{b}/blob/copy", json={"source_bucket": NUL, "source_key": "k", "key": "c"}
        ),
    ),
    "copy source_key": (
        "source_key",
        lambda c, b: c.post(f"/buckets/{b}/blob/copy", json={"source_key": NUL, "key": "c"}),
    ),
    "delete prefix": (
        "prefix",
        lambda c, b: c.post(f"/buckets/{b}/blobs/delete", json={"prefix": NUL}),
    ),
    "list glob": ("glob", lambda c, b: c.get(f"/buckets/{b}/blobs", params={"glob": NUL + "*"})),
    "put metadata value": (
        "X-Blob-Metadata",
        lambda c, b: c.put(
            f"/buckets/{b}/blob",
            params={"key": "m"},
            content=b"x",
            headers={"X-Blob-Metadata": '{"a":"a\\u0000b"}'},
        ),
    ),
    "put metadata name": (
        "X-Blob-Metadata",
        lambda c, b: c.put(
            f"/buckets/{b}/blob",
            params={"key": "m"},
            content=b"x",
            headers={"X-Blob-Metadata": '{"a\\u0000b":"v"}'},
        ),
    ),
    "upload if_none_match": (
        "if_none_match",
        lambda c, b: c.post(f"/buckets/{b}/uploads", json={"key": "u", "if_none_match": NUL}),
    ),
    "upload metadata value": (
        "metadata",
        lambda c, b: c.post(f"/buckets/{b}/uploads", json={"key": "u", "metadata": {"a": NUL}}),
    ),
    "upload metadata name": (
        "metadata",
        lambda c, b: c.post(f"/buckets/{b}/uploads", json={"key": "u", "metadata": {NUL: "v"}}),
    ),
    "upload content_type": (
        "content_type",
        lambda c, b: c.post(f"/buckets/{b}/uploads", json={"key": "u", "content_type": NUL}),
    ),
    "upload sha256": (
        "sha256",
        lambda c, b: c.post(f"/buckets/{b}/uploads", json={"key": "u", "sha256": NUL}),
    ),
    "upload list key": ("key", lambda c, b: c.get(f"/buckets/{b}/uploads", params={"key": NUL})),
    "upload list prefix": (
        "prefix",
        lambda c, b: c.get(f"/buckets/{b}/uploads", params={"prefix": NUL}),
    ),
    "upload id (get)": ("upload_id", lambda c, b: c.get(f"/buckets/{b}/uploads/a%00b")),
    "upload id (abort)": ("upload_id", lambda c, b: c.delete(f"/buckets/{b}/uploads/a%00b")),
    "upload id (part)": (
        "upload_id",
        lambda c, b: c.put(f"/buckets/{b}/uploads/a%00b/parts/1", content=b"x"),
    ),
    "upload id (complete)": (
        "upload_id",
        lambda c, b: c.post(
            f"/buckets/{b}/uploads/a%00b/complete",
            json={"parts": [{"part_number": 1, "etag": "e"}]},
        ),
    ),
    "signed key": (
        "key",
        lambda c, b: c.post(f"/buckets/{b}/signed-urls", json={"items": [{"key": NUL}]}),
    ),
    "content prefix": (
        "prefix",
        lambda c, b: c.get(f"/buckets/{b}/content", params={"prefix": NUL}),
    ),
    "content manifest_path": (
        "manifest_path",
        lambda c, b: c.get(f"/buckets/{b}/content", params={"manifest_path": NUL}),
    ),
    "zip key": ("key", lambda c, b: c.get(f"/buckets/{b}/blob/zip", params={"key": NUL})),
    "put content_type": (
        "content_type",
        lambda c, b: c.put(
            f"/buckets/{b}/blob", params={"key": "t", "content_type": NUL}, content=b"x"
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_nul_in_text_is_a_4xx_naming_the_field(api: httpx.Client, bucket: str, case: str) -> None:
    field, send = CASES[case]
    r = send(api, bucket)
    body: Any = r.json()
    assert r.status_code in (400, 422), (r.status_code, body)
    assert field in body["detail"], body


def test_nul_in_a_bulk_delete_key_is_that_keys_error(api: httpx.Client, bucket: str) -> None:
    """A bulk delete answers per key: a key with NUL is that key's ``invalid_key``."""
    r = api.post(f"/buckets/{bucket}/blobs/delete", json={"keys": [NUL, "k"]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert results[0]["error"] == "invalid_key" and results[1]["deleted"] is True


def test_nul_refusals_store_nothing(api: httpx.Client, bucket: str) -> None:
    """The refused writes left nothing behind: no token, no upload, no blob."""
    assert api.post("/tokens", json={"name": NUL}).status_code == 422
    names = [t["name"] for t in api.get("/tokens", params={"page_size": 1000}).json()["results"]]
    assert NUL not in names
    r = api.post(f"/buckets/{bucket}/uploads", json={"key": "u", "if_none_match": NUL})
    assert r.status_code == 422
    assert api.get(f"/buckets/{bucket}/uploads").json()["results"] == []
    r = api.put(
        f"/buckets/{bucket}/blob",
        params={"key": "m"},
        content=b"x",
        headers={"X-Blob-Metadata": '{"a":"\\u0000"}'},
    )
    assert r.status_code == 400
    assert api.head(f"/buckets/{bucket}/blob", params={"key": "m"}).status_code == 404
