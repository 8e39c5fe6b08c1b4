"""Inputs the spec forbids are refused, and inputs it allows are accepted (issue 7, item 14).

JSON Schema's ``type: integer`` takes ``3600.0`` but never ``false`` or ``"3600"``; ``boolean``
takes only ``true``/``false``; an optional object body may be absent but not ``null``; a
required body may not be missing. The seeded fuzz (test_fuzz.py) checks the spec side with all
of schemathesis' checks; these pin the server-side fixes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer


@pytest.fixture
def api(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {users['alice']}"}
    with httpx.Client(base_url=server.api, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def bucket(api: httpx.Client) -> str:
    name = f"agree-{uuid.uuid4().hex[:10]}"
    r = api.post("/buckets", json={"name": name})
    assert r.status_code == 201, r.text
    assert api.put(f"/buckets/{name}/blob", params={"key": "src.txt"}, content=b"x").is_success
    return name


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert field in problem["detail"], problem


@pytest.mark.parametrize("bad", [False, True, "3600", "3600.5", 3600.5])
def test_integer_body_fields_refuse_booleans_strings_and_fractions(
    api: httpx.Client, bucket: str, bad: Any
) -> None:
    # Each of these was coerced by pydantic's lax mode (false → 0, "3600" → 3600) and stored.
    _refused(api.post(f"/buckets/{bucket}/uploads", json={"key": "k", "size": bad}), "size")
    items = [{"key": "k", "expires_in": bad}]
    _refused(api.post(f"/buckets/{bucket}/signed-urls", json={"items": items}), "expires_in")
    parts = [{"part_number": bad, "etag": '"x"'}]
    r = api.post(f"/buckets/{bucket}/uploads/upl_x/complete", json={"parts": parts})
    _refused(r, "part_number")
    _refused(api.post("/tokens", json={"name": "t", "expires_in": bad}), "expires_in")
    body = {"name": f"c-{bucket}", "buckets": [bucket], "expires_in": bad}
    _refused(api.post("/credentials", json=body), "expires_in")
    r = api.post(f"/buckets/{bucket}/tmp-credentials", json={"expires_in": bad})
    _refused(r, "expires_in")
    uploads = api.get(f"/buckets/{bucket}/uploads").json()["results"]
    assert uploads == []  # nothing was stored for a refused body


def test_integral_floats_are_integers(api: httpx.Client, bucket: str) -> None:
    # JSON Schema counts 3600.0 as an integer; the strict models refused it.
    r = api.post(f"/buckets/{bucket}/tmp-credentials", json={"expires_in": 3600.0})
    assert r.status_code == 201, r.text
    r = api.post(
        "/credentials", json={"name": f"c-{bucket}", "buckets": [bucket], "expires_in": 3600.0}
    )
    assert r.status_code == 201, r.text
    r = api.post("/tokens", json={"name": "t", "expires_in": 120.0})
    assert r.status_code == 201, r.text
    r = api.post(f"/buckets/{bucket}/uploads", json={"key": "k", "size": 10.0})
    assert r.status_code == 201 and r.json()["size"] == 10, r.text
    api.delete(f"/buckets/{bucket}/uploads/{r.json()['id']}")


def test_boolean_body_fields_refuse_other_types(api: httpx.Client, bucket: str) -> None:
    r = api.post(
        f"/buckets/{bucket}/blob/copy",
        json={"source_key": "src.txt", "key": "dst.txt", "overwrite": "false"},
    )
    _refused(r, "overwrite")
    assert api.head(f"/buckets/{bucket}/blob", params={"key": "dst.txt"}).status_code == 404
    r = api.post(f"/buckets/{bucket}/blobs/delete", json={"keys": ["src.txt"], "dry_run": 0})
    _refused(r, "dry_run")
    assert api.head(f"/buckets/{bucket}/blob", params={"key": "src.txt"}).status_code == 200


def test_tmp_credentials_body_may_be_absent_but_not_null(api: httpx.Client, bucket: str) -> None:
    r = api.post(
        f"/buckets/{bucket}/tmp-credentials",
        content=b"null",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["code"] == "validation_error", r.text
    assert "body" in r.json()["detail"]
    assert api.post(f"/buckets/{bucket}/tmp-credentials").status_code == 201
    assert api.post(f"/buckets/{bucket}/tmp-credentials", json={}).status_code == 201


def test_batch_without_a_body_is_refused(api: httpx.Client, bucket: str) -> None:
    r = api.post(f"/buckets/{bucket}/blobs/batch", params={"prefix": "b/"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_tar", r.text
    assert "no body" in r.json()["detail"]
    listed = api.get(f"/buckets/{bucket}/blobs", params={"prefix": "b/"}).json()
    assert listed["results"] == []
