"""Bucket listing extras for imported buckets: the ``resource`` and ``credentials_type``
filters (list and count), the owner / id / resource sorts with keyset cursors, JSON Logic over
the new fields, and the credentials kind recorded at import (never the secret)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.buckets.imports import CREDENTIAL_TYPES, credentials_type
from bucketry_server.ids import new_id
from bucketry_server.models import Bucket
from bucketry_server.timeutil import utcnow
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket
from tests.support.live_server import LiveServer
from tests.support.seaweed import SeaweedS3

#: (owner index, name suffix, provider, provider bucket, credentials kind)
ROWS = [
    (0, "m1", "MANAGED", None, None),
    (1, "s3", "AWS_S3", "photos-raw", "KEY_SECRET_KEY_PAIR"),
    (0, "az", "AZURE_BLOB", "raw-videos", "CONNECTION_STRING"),
    (1, "sas", "AZURE_BLOB", "archive", "SAS_TOKEN"),
    (0, "gcs", "GCS", "public-raw", "ANONYMOUS_ACCESS"),
]


@pytest.fixture
def world(server: LiveServer, unique: str) -> dict[str, Any]:
    """Two new users owning the ROWS buckets (rows inserted directly: no provider needed)."""
    owners = [create_user(server.state.db, f"lx{i}-{unique}") for i in range(2)]
    now = utcnow()
    with server.state.db.session() as s:
        for who, suffix, provider, resource, kind in ROWS:
            s.add(
                Bucket(
                    id=new_id("bkt"),
                    name=f"lx-{unique}-{suffix}",
                    owner_id=owners[who][0].id,
                    provider=provider,
                    provider_bucket=resource,
                    credentials_type=kind,
                    status="AVAILABLE",
                    actions=["READ"],
                    manifests=[],
                    created_at=now,
                    updated_at=now,
                )
            )
    return {"unique": unique, "owners": [u.name for u, _ in owners]}


def _get(server: LiveServer, token: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.api}{path}", params=params, headers=auth(token), timeout=30)


def _names(server: LiveServer, token: str, **params: Any) -> tuple[list[str], int]:
    """Every bucket name of a listing (following cursors, 2 a page) and the page count."""
    names: list[str] = []
    pages, cursor = 0, None
    while True:
        q = dict(params, page_size=2, **({"cursor": cursor} if cursor else {}))
        r = _get(server, token, "/buckets", **q)
        assert r.status_code == 200, r.text
        pages += 1
        names += [b["name"] for b in r.json()["results"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return names, pages


def _short(names: list[str], unique: str) -> list[str]:
    return [n.removeprefix(f"lx-{unique}-") for n in names]


def test_resource_and_credentials_type_filters_list_and_count(
    server: LiveServer, users: dict[str, str], world: dict[str, Any]
) -> None:
    u, admin = world["unique"], users["admin"]
    for params, expected in [
        ({"resource": "raw"}, ["az", "gcs", "s3"]),  # case-insensitive substring
        ({"resource": "ARCHIVE"}, ["sas"]),
        ({"credentials_type": "SAS_TOKEN"}, ["sas"]),
        ({"credentials_type": "KEY_SECRET_KEY_PAIR"}, ["s3"]),
        ({"resource": "raw", "credentials_type": "CONNECTION_STRING"}, ["az"]),
    ]:
        names, _ = _names(server, admin, search=f"lx-{u}-", **params)
        assert _short(names, u) == expected, params
        count = _get(server, admin, "/buckets/count", search=f"lx-{u}-", **params)
        assert count.status_code == 200 and count.json()["count"] == len(expected), params
    bad = _get(server, admin, "/buckets", credentials_type="PASSWORD")
    assert bad.status_code == 400 and "credentials_type" in bad.text
    bad = _get(server, admin, "/buckets/count", resource="x" * 201)
    assert bad.status_code == 400 and "resource" in bad.text


def test_sorts_by_owner_id_and_resource_across_pages(
    server: LiveServer, users: dict[str, str], world: dict[str, Any]
) -> None:
    u, admin = world["unique"], users["admin"]
    by_owner = {0: ["az", "gcs", "m1"], 1: ["s3", "sas"]}
    for sort, expected in [
        ("resource", ["m1", "sas", "s3", "gcs", "az"]),  # managed: "" first
        ("-resource", ["az", "gcs", "s3", "sas", "m1"]),
    ]:
        names, pages = _names(server, admin, search=f"lx-{u}-", sort=sort)
        assert _short(names, u) == expected and pages == 3, sort
    names, _ = _names(server, admin, search=f"lx-{u}-", sort="owner")
    short = _short(names, u)
    assert sorted(short[:3]) == by_owner[0] and sorted(short[3:]) == by_owner[1]
    desc, _ = _names(server, admin, search=f"lx-{u}-", sort="-owner")
    assert sorted(_short(desc, u)[:2]) == by_owner[1]
    ids = []
    for sort in ("id", "-id"):
        cursor, got = None, []
        while True:
            q = {"search": f"lx-{u}-", "sort": sort, "page_size": 2}
            r = _get(server, admin, "/buckets", **q, **({"cursor": cursor} if cursor else {}))
            assert r.status_code == 200, r.text
            got += [b["id"] for b in r.json()["results"]]
            if (cursor := r.json()["next_cursor"]) is None:
                break
        ids.append(got)
    assert ids[0] == sorted(ids[0]) and ids[1] == ids[0][::-1] and len(ids[0]) == 5
    first = _get(server, admin, "/buckets", search=f"lx-{u}-", sort="owner", page_size=2)
    foreign = _get(server, admin, "/buckets", sort="resource", cursor=first.json()["next_cursor"])
    assert foreign.status_code == 400 and foreign.json()["code"] == "bad_cursor"


def test_json_logic_over_the_new_fields(
    server: LiveServer, users: dict[str, str], world: dict[str, Any]
) -> None:
    import json

    u, admin = world["unique"], users["admin"]
    owner1 = world["owners"][1]
    for logic, expected in [
        ({"in": ["raw", {"var": "resource"}]}, ["az", "gcs", "s3"]),
        ({"in": ["RAW", {"var": "resource"}]}, []),  # case-sensitive substring
        ({"==": [{"var": "credentials_type"}, "ANONYMOUS_ACCESS"]}, ["gcs"]),
        ({"==": [{"var": "credentials_type"}, None]}, ["m1"]),
        ({"==": [{"var": "owner"}, owner1]}, ["s3", "sas"]),
    ]:
        names, _ = _names(server, admin, search=f"lx-{u}-", filter=json.dumps(logic))
        assert _short(names, u) == expected, logic
    one = _names(server, admin, search=f"lx-{u}-", sort="id")[0][0]
    one_id = _get(server, admin, f"/buckets/{one}").json()["id"]
    by_id = json.dumps({"==": [{"var": "id"}, one_id]})
    assert _names(server, admin, filter=by_id)[0] == [one]
    after = json.dumps({">": [{"var": "updated_at"}, "2000-01-01T00:00:00Z"]})
    count = _get(server, admin, "/buckets/count", search=f"lx-{u}-", filter=after)
    assert count.json()["count"] == 5


def test_credentials_kind_of_each_accepted_set() -> None:
    assert [
        credentials_type(c)
        for c in (
            {"access_key_id": "a", "secret_access_key": "b"},
            {"account_name": "a", "account_key": "b"},
            {"connection_string": "x"},
            {"account_name": "a", "sas_token": "t"},
            {"service_account_json": "{}"},
            {"anonymous": "true"},
            {},
        )
    ] == [*CREDENTIAL_TYPES, "ANONYMOUS_ACCESS"]


def test_import_records_the_credentials_kind_not_the_secret(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> None:
    body = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": SEAWEED_BUCKET,
        "endpoint_url": seaweed.endpoint_url,
        "region": "us-east-1",
        "name": f"kind-{unique}",
        "prefix": f"kind-{unique}/",
        "credentials": {
            "access_key_id": seaweed.access_key,
            "secret_access_key": seaweed.secret_key,
        },
    }
    r = import_bucket(server.api, users["alice"], body)
    assert r.status_code == 201, r.text
    with server.state.db.session() as s:
        row = s.get(Bucket, r.json()["id"])
        assert row is not None and row.credentials_type == "KEY_SECRET_KEY_PAIR"
    found = _get(
        server,
        users["alice"],
        "/buckets",
        credentials_type="KEY_SECRET_KEY_PAIR",
        resource=SEAWEED_BUCKET,
        search=f"kind-{unique}",
    ).json()["results"]
    assert [b["name"] for b in found] == [f"kind-{unique}"]
