"""Issue 11 item 1 and authorization: projects CRUD, visibility to owner and org members only,
and every asset/label route checking the project across two orgs (another org's ids are 404)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.server.project_helpers import append, client_for, label, new_project
from tests.support.live_server import LiveServer


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


def test_project_crud(alice: httpx.Client, unique: str) -> None:
    r = alice.post(
        "/projects",
        json={"title": f"Cats {unique}", "description": "d", "input_type": "TEXT"},
    )
    assert r.status_code == 201, r.text
    project = r.json()
    assert project["id"].startswith("prj_") and project["owner"] == "alice"
    assert project["input_type"] == "TEXT" and project["number_of_assets"] == 0
    pid = project["id"]
    append(alice, pid, [{"content": "https://example.com/a.txt"}])
    got = alice.get(f"/projects/{pid}").json()
    assert got["number_of_assets"] == 1 and got["title"] == f"Cats {unique}"
    r = alice.patch(f"/projects/{pid}", json={"title": "Dogs", "description": None})
    assert r.status_code == 200 and r.json()["title"] == "Dogs" and r.json()["description"] is None
    r = alice.patch(f"/projects/{pid}", json={"title": None})
    assert r.status_code == 422 and "title" in r.json()["detail"]
    listed = alice.get("/projects", params={"search": "dogs"}).json()["results"]
    assert pid in [p["id"] for p in listed]
    assert alice.delete(f"/projects/{pid}").status_code == 204
    assert alice.get(f"/projects/{pid}").status_code == 404


def test_project_create_rejects_bad_input(alice: httpx.Client) -> None:
    assert alice.post("/projects", json={"title": ""}).status_code == 422
    r = alice.post("/projects", json={"title": "x", "input_type": "SMELL"})
    assert r.status_code == 422 and "input_type" in r.text
    r = alice.post("/projects", json={"title": "x", "org": "globex"})
    assert r.status_code == 403


def test_projects_list_pages(alice: httpx.Client, unique: str) -> None:
    ids = [new_project(alice, f"page-{unique}-{i}") for i in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"search": f"page-{unique}", "page_size": 2}
        if cursor:
            params["cursor"] = cursor
        body = alice.get("/projects", params=params).json()
        seen += [p["id"] for p in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    assert alice.get("/projects", params={"cursor": "zz"}).status_code == 400


def test_org_members_share_projects_other_orgs_get_404(
    alice: httpx.Client, carol: httpx.Client, bob: httpx.Client, unique: str
) -> None:
    """Org project: carol (same org) sees and changes it; bob (another org) gets 404 on every
    project, asset and label route, and cannot find it in his listing."""
    pid = new_project(alice, f"org-{unique}", org="acme")
    private = new_project(alice, f"own-{unique}")
    asset = append(alice, pid, [{"content": "https://e.com/1", "external_id": "one"}])
    aid = asset["results"][0]["id"]
    assert label(alice, aid, JOB=["A"]).status_code == 201
    assert carol.get(f"/projects/{pid}").status_code == 200
    assert carol.get(f"/projects/{private}").status_code == 404
    assert carol.get(f"/assets/{aid}").status_code == 200
    assert label(carol, aid, "REVIEW", JOB=["A"]).status_code == 201
    assert pid not in [p["id"] for p in bob.get("/projects").json()["results"]]
    sel = {"asset_ids": [aid]}
    for method, path, body in [
        ("GET", f"/projects/{pid}", None),
        ("PATCH", f"/projects/{pid}", {"title": "x"}),
        ("DELETE", f"/projects/{pid}", None),
        ("GET", f"/projects/{pid}/assets", None),
        ("GET", f"/projects/{pid}/assets/count", None),
        ("POST", f"/projects/{pid}/assets", {"assets": [{"content": "https://e.com/2"}]}),
        ("PATCH", f"/projects/{pid}/assets", {"items": [{"asset_id": aid, "priority": 1}]}),
        ("POST", f"/projects/{pid}/assets/delete", sel),
        ("POST", f"/projects/{pid}/assets/review", sel),
        ("POST", f"/projects/{pid}/assets/queue", sel),
        ("GET", f"/assets/{aid}", None),
        ("PATCH", f"/assets/{aid}", {"priority": 3}),
        ("GET", f"/assets/{aid}/labels", None),
        ("POST", f"/assets/{aid}/labels", {"json_response": {}}),
    ]:
        r = bob.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    # Nothing of bob's attempts landed.
    assert alice.get(f"/projects/{pid}/assets/count").json() == {"count": 1}
    assert alice.get(f"/assets/{aid}").json()["priority"] == 0
    assert len(alice.get(f"/assets/{aid}/labels").json()["results"]) == 2
    assert httpx.get(alice.base_url.join("/api/v1/projects")).status_code == 401


def test_bucket_scoped_credentials_never_reach_projects(
    alice: httpx.Client, server: LiveServer, unique: str
) -> None:
    """A temporary bucket credential acts on its bucket only: projects are 403 for it."""
    bucket = f"scoped-{unique}"
    assert alice.post("/buckets", json={"name": bucket}).status_code == 201
    pid = new_project(alice)
    r = alice.post(f"/buckets/{bucket}/tmp-credentials", json={})
    assert r.status_code in (200, 201), r.text
    with client_for(server, r.json()["token"]) as scoped:
        assert scoped.get("/projects").status_code == 403
        assert scoped.get(f"/projects/{pid}").status_code == 403
        assert scoped.post("/projects", json={"title": "x"}).status_code == 403
        assert scoped.get(f"/projects/{pid}/assets/count").status_code == 403
