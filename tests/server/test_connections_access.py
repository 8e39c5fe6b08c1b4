"""Issue 11 item 4: connections across two orgs (every route refuses a foreign caller with a 404
and never leaks), listing by project and bucket in keyset pages, and a sync from an imported
SeaweedFS bucket (added, removed, dry run leaving the database unchanged)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import SEAWEED_BUCKET
from tests.server.connection_helpers import (
    asset_keys,
    connect,
    dump,
    new_bucket,
    put,
    remove,
    sync,
    sync_operation,
)
from tests.server.imported_helpers import import_bucket
from tests.server.project_helpers import client_for, new_project
from tests.support.live_server import LiveServer
from tests.support.seaweed import SeaweedS3


@pytest.fixture
def alice(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(server, users["alice"]) as c:
        yield c


@pytest.fixture
def carol(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(server, users["carol"]) as c:
        yield c


@pytest.fixture
def bob(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(server, users["bob"]) as c:
        yield c


def test_two_orgs(alice: httpx.Client, carol: httpx.Client, bob: httpx.Client, unique: str) -> None:
    personal = new_bucket(alice, f"cp-{unique}")
    shared = new_bucket(alice, f"cs-{unique}", org="acme")
    put(alice, personal, "p1")
    put(alice, shared, "s1", "s2")
    project = new_project(alice, org="acme")
    own = connect(alice, project, personal)
    org = connect(alice, project, shared)
    cid = own["id"]

    for method, path in [
        ("GET", f"/connections/{cid}"),
        ("POST", f"/connections/{cid}/diff"),
        ("POST", f"/connections/{cid}/sync"),
        ("DELETE", f"/connections/{cid}"),
    ]:
        r = bob.request(method, path)
        assert r.status_code == 404, (method, path, r.text)
        assert "acme" not in r.text and personal not in r.text
    assert bob.get("/connections", params={"project_id": project}).status_code == 404
    assert bob.get("/connections", params={"bucket": personal}).status_code == 404
    assert cid not in bob.get("/connections").text
    bobs = new_project(bob)
    r = bob.post("/connections", json={"project_id": bobs, "bucket": personal})
    assert r.status_code == 404 and "bucket" in r.text
    bobs_bucket = new_bucket(bob, f"cb-{unique}")
    r = bob.post("/connections", json={"project_id": project, "bucket": bobs_bucket})
    assert r.status_code == 404 and "project" in r.text

    # carol (acme) sees the project, so its connections, but reads only the org's bucket
    listed = carol.get("/connections", params={"project_id": project}).json()["results"]
    assert sorted(c["id"] for c in listed) == sorted([cid, org["id"]])
    assert carol.post(f"/connections/{cid}/sync").status_code == 404
    assert carol.post(f"/connections/{cid}/diff").status_code == 404
    assert sync(carol, org["id"])["added"] == 2
    r = carol.post("/connections", json={"project_id": project, "bucket": personal})
    assert r.status_code == 404
    assert sync(alice, cid)["added"] == 1
    assert sorted(asset_keys(alice, project)) == ["p1", "s1", "s2"]

    page = alice.get("/connections", params={"project_id": project, "page_size": 1}).json()
    assert len(page["results"]) == 1 and page["next_cursor"]
    rest = alice.get(
        "/connections",
        params={"project_id": project, "page_size": 1, "cursor": page["next_cursor"]},
    ).json()
    assert [c["id"] for c in page["results"] + rest["results"]] == [cid, org["id"]]
    assert rest["next_cursor"] is None
    by_bucket = alice.get("/connections", params={"bucket": f"cs-{unique}"}).json()["results"]
    assert [c["id"] for c in by_bucket] == [org["id"]]


def test_sync_from_imported_seaweedfs(
    server: LiveServer,
    users: dict[str, str],
    alice: httpx.Client,
    seaweed: SeaweedS3,
    unique: str,
) -> None:
    name = f"consw-{unique}"
    body = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": SEAWEED_BUCKET,
        "endpoint_url": seaweed.endpoint_url,
        "region": "us-east-1",
        "name": name,
        "prefix": f"{name}/",
        "credentials": {
            "access_key_id": seaweed.access_key,
            "secret_access_key": seaweed.secret_key,
        },
    }
    r = import_bucket(server.api, users["alice"], body)
    assert r.status_code == 201, r.text
    bucket = r.json()["id"]
    put(alice, bucket, "img/a.jpg", "img/b.jpg", "img/c.txt", "other/d.jpg")
    project = new_project(alice)
    con = connect(alice, project, bucket, selected_folders=["img"], include=["**/*.jpg"])
    # a real sync of an imported bucket (its size unknown to the server) is an operation
    first = sync_operation(alice, con["id"])
    assert first["added"] == 2 and first["number_of_assets"] == 2
    assert sorted(asset_keys(alice, project)) == ["img/a.jpg", "img/b.jpg"]
    remove(alice, bucket, "img/a.jpg")
    put(alice, bucket, "img/e.jpg")
    alice.get(f"/connections/{con['id']}")  # the token's coarse last-use stamp, not the sync's
    before = dump(server)
    dry = sync(alice, con["id"], dry_run=True, delete_extraneous_files=True)
    assert dump(server) == before
    assert (dry["plan"]["to_add_count"], dry["plan"]["to_remove_count"]) == (1, 1)
    real = sync_operation(alice, con["id"], delete_extraneous_files=True)
    assert (real["added"], real["removed"]) == (1, 1)
    assert sorted(asset_keys(alice, project)) == ["img/b.jpg", "img/e.jpg"]
    again = sync_operation(alice, con["id"])
    assert (again["added"], again["unchanged"], again["number_of_assets"]) == (0, 2, 2)
