"""Issue 11 items 1 and 3: bulk mutations with per-item results (append with bkt:// checks and
duplicates reported, update by id or external id, rename, delete, add to review, back to
queue), labels, and the status state machine (``assets/states.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.project_helpers import append, client_for, count, label, new_project
from tests.support.live_server import LiveServer


@pytest.fixture
def alice(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(server, users["alice"]) as c:
        yield c


@pytest.fixture
def bob(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(server, users["bob"]) as c:
        yield c


def _codes(result: dict[str, Any]) -> list[str | None]:
    return [None if r["ok"] else r["error"]["code"] for r in result["results"]]


def test_append_reports_every_item(alice: httpx.Client, bob: httpx.Client, unique: str) -> None:
    mine, theirs = f"mine-{unique}", f"theirs-{unique}"
    assert alice.post("/buckets", json={"name": mine}).status_code == 201
    assert bob.post("/buckets", json={"name": theirs}).status_code == 201
    pid = new_project(alice)
    result = append(
        alice,
        pid,
        [
            {"content": f"bkt://{mine}/cats/1.jpg", "json_metadata": {"n": 1}},
            {"content": f"bkt://{theirs}/x.jpg"},
            {"content": "https://e.com/a.jpg", "external_id": "dup"},
            {"content": "https://e.com/b.jpg", "external_id": "dup"},
            {"json_content": {"text": "hi"}, "external_id": "text", "status": "ONGOING"},
            {"content": "ftp://e.com/c.jpg"},
            {"external_id": "empty"},
            {"content": "https://e.com/d.jpg", "status": "LABELED"},
            {"content": f"bkt://{mine}"},
            {
                "content": "https://e.com/e.jpg",
                "priority": 4,
                "is_honeypot": True,
                "to_be_labeled_by": ["carol"],
            },
        ],
    )
    assert _codes(result) == [
        None,
        "bucket_not_found",
        None,
        "duplicate_external_id",
        None,
        "bad_content",
        "missing_content",
        "illegal_status",
        "bad_content",
        None,
    ]
    assert result["succeeded"] == 4 and result["failed"] == 6
    assert [r["index"] for r in result["results"]] == list(range(10))
    assert result["results"][0]["external_id"] == "cats/1.jpg"  # defaults to the key
    assert result["results"][3]["error"]["status"] == 409
    assert count(alice, pid) == 4  # nothing dropped silently, nothing failed added
    # Against the project: the same external ids again are each reported.
    again = append(
        alice,
        pid,
        [
            {"content": "https://e.com/z", "external_id": "dup"},
            {"content": "https://e.com/z", "external_id": "text"},
            {"content": "https://e.com/z", "external_id": "new"},
        ],
    )
    assert _codes(again) == ["duplicate_external_id", "duplicate_external_id", None]
    asset = alice.get(f"/assets/{result['results'][9]['id']}").json()
    assert (
        asset["priority"] == 4 and asset["is_honeypot"] and asset["to_be_labeled_by"] == ["carol"]
    )
    assert asset["status"] == "TODO" and asset["content"] == "https://e.com/e.jpg"


def test_append_bounds(alice: httpx.Client) -> None:
    pid = new_project(alice)
    too_many = [{"content": f"https://e.com/{i}"} for i in range(1001)]
    r = alice.post(f"/projects/{pid}/assets", json={"assets": too_many})
    assert r.status_code == 422 and "assets" in r.text
    r = alice.post(
        f"/projects/{pid}/assets", json={"assets": [{"content": "https://e.com/x", "colour": 1}]}
    )
    assert r.status_code == 422 and "colour" in r.text
    assert count(alice, pid) == 0
    full = [{"content": f"https://e.com/{i}", "external_id": f"e{i}"} for i in range(1000)]
    assert append(alice, pid, full)["succeeded"] == 1000
    assert count(alice, pid) == 1000


def test_update_many_by_id_or_external_id(alice: httpx.Client) -> None:
    pid = new_project(alice)
    res = append(
        alice,
        pid,
        [
            {"content": f"https://e.com/{i}", "external_id": f"e{i}", "json_metadata": {"k": "old"}}
            for i in range(3)
        ],
    )
    ids = [r["id"] for r in res["results"]]
    r = alice.patch(
        f"/projects/{pid}/assets",
        json={
            "items": [
                {"asset_id": ids[0], "json_metadata": {"k": "new"}, "priority": 7},
                {"external_id": "e1", "new_external_id": "renamed"},
                {"external_id": "e2", "new_external_id": "renamed"},
                {"external_id": "ghost", "priority": 1},
                {"asset_id": ids[2], "status": "REVIEWED"},
                {"asset_id": ids[2], "external_id": "e0", "priority": 3},
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert _codes(r.json()) == [
        None,
        None,
        "external_id_taken",
        "not_found",
        "illegal_status",
        "not_found",
    ]
    assert count(alice, pid, metadata_where=json.dumps({"k": "new"})) == 1
    assert count(alice, pid, metadata_where=json.dumps({"k": "old"})) == 2
    assert alice.get(f"/assets/{ids[0]}").json()["priority"] == 7
    assert alice.get(f"/assets/{ids[1]}").json()["external_id"] == "renamed"
    after = alice.get(f"/assets/{ids[2]}").json()
    assert after["external_id"] == "e2" and after["status"] == "TODO" and after["priority"] == 0
    r = alice.patch(f"/projects/{pid}/assets", json={"items": [{"priority": 1}]})
    assert r.status_code == 200 and _codes(r.json()) == ["not_found"]


def test_delete_many(alice: httpx.Client) -> None:
    pid = new_project(alice)
    res = append(
        alice, pid, [{"content": f"https://e.com/{i}", "external_id": f"e{i}"} for i in range(3)]
    )
    ids = [r["id"] for r in res["results"]]
    assert label(alice, ids[0], JOB=["A"]).status_code == 201
    r = alice.post(
        f"/projects/{pid}/assets/delete",
        json={"asset_ids": [ids[0], "ast_nope"], "external_ids": ["e1", "e0"]},
    )
    assert r.status_code == 200
    assert _codes(r.json()) == [None, "not_found", None, "duplicate_asset"]
    assert count(alice, pid) == 1
    assert alice.get(f"/assets/{ids[0]}").status_code == 404
    assert alice.get(f"/assets/{ids[0]}/labels").status_code == 404


def test_state_machine(alice: httpx.Client) -> None:
    pid = new_project(alice)
    res = append(
        alice,
        pid,
        [
            {"content": "https://e.com/1", "external_id": "a"},
            {"content": "https://e.com/2", "external_id": "b"},
        ],
    )
    a, b = (r["id"] for r in res["results"])

    def status(asset: str) -> str:
        return str(alice.get(f"/assets/{asset}").json()["status"])

    r = label(alice, a, "REVIEW", JOB=["X"])
    assert r.status_code == 409 and r.json()["code"] == "not_labeled"
    assert status(a) == "TODO" and alice.get(f"/assets/{a}/labels").json()["results"] == []
    assert label(alice, a, "PREDICTION", JOB=["X"]).status_code == 201 and status(a) == "TODO"
    assert label(alice, a, "AUTOSAVE", JOB=["X"]).status_code == 201 and status(a) == "ONGOING"
    r = alice.patch(f"/assets/{a}", json={"status": "LABELED"})
    assert r.status_code == 409 and r.json()["code"] == "illegal_status"
    assert label(alice, a, "DEFAULT", JOB=["X"]).status_code == 201 and status(a) == "LABELED"
    r = alice.patch(f"/assets/{a}", json={"status": "TODO"})
    assert r.status_code == 409 and r.json()["code"] == "illegal_status"
    review = alice.post(f"/projects/{pid}/assets/review", json={"asset_ids": [a, b]}).json()
    assert _codes(review) == [None, "not_labeled"]
    assert status(a) == "TO_REVIEW" and status(b) == "TODO"
    assert label(alice, a, "DEFAULT", JOB=["Y"]).status_code == 201 and status(a) == "TO_REVIEW"
    assert label(alice, a, "REVIEW", JOB=["Y"]).status_code == 201 and status(a) == "REVIEWED"
    queue = alice.post(f"/projects/{pid}/assets/queue", json={"external_ids": ["a", "b"]}).json()
    assert _codes(queue) == [None, None]
    assert status(a) == "ONGOING" and status(b) == "TODO"
    assert alice.patch(f"/assets/{b}", json={"status": "ONGOING"}).status_code == 200
    assert status(b) == "ONGOING"
    labels = alice.get(f"/assets/{a}/labels", params={"page_size": 2}).json()
    assert [x["label_type"] for x in labels["results"]] == ["PREDICTION", "AUTOSAVE"]
    rest = alice.get(f"/assets/{a}/labels", params={"cursor": labels["next_cursor"]}).json()
    assert [x["label_type"] for x in rest["results"]] == ["DEFAULT", "DEFAULT", "REVIEW"]
    only = alice.get(f"/assets/{a}/labels", params={"label_type_in": "REVIEW"}).json()["results"]
    assert len(only) == 1 and only[0]["author"] == "alice" and only[0]["id"].startswith("lbl_")


def test_nul_in_json_is_stored_not_indexed(alice: httpx.Client) -> None:
    """NUL inside JSON strings (metadata, answers) is kept in the JSON but never reaches the
    derived text columns (a 500 on PostgreSQL before); a NUL in a filter is a 400."""
    pid = new_project(alice)
    res = append(
        alice,
        pid,
        [
            {
                "content": "https://e.com/1",
                "external_id": "a",
                "json_metadata": {"k": "a\x00b", "n\x00": 1, "ok": "v"},
            }
        ],
    )
    aid = res["results"][0]["id"]
    assert res["succeeded"] == 1, res
    r = alice.post(
        f"/assets/{aid}/labels",
        json={
            "json_response": {
                "J\x00": {"categories": [{"name": "C"}]},
                "J": {"categories": [{"name": "C\x00"}, {"name": "D"}]},
            }
        },
    )
    assert r.status_code == 201, r.text
    assert alice.get(f"/assets/{aid}").json()["json_metadata"]["k"] == "a\x00b"
    assert count(alice, pid, metadata_where=json.dumps({"ok": "v"})) == 1
    assert count(alice, pid, label_category_search="J.D.count == 1") == 1
    for spec in ({"k": "a\x00b"}, {"n\x00": 1}):
        r = alice.get(f"/projects/{pid}/assets/count", params={"metadata_where": json.dumps(spec)})
        assert r.status_code == 400 and r.json()["code"] == "bad_metadata_where", r.text


def test_single_update_and_if_match(alice: httpx.Client) -> None:
    pid = new_project(alice)
    res = append(
        alice,
        pid,
        [
            {"content": "https://e.com/1", "external_id": "a"},
            {"content": "https://e.com/2", "external_id": "b"},
        ],
    )
    a = res["results"][0]["id"]
    r = alice.get(f"/assets/{a}")
    etag = r.headers["etag"]
    r = alice.patch(f"/assets/{a}", json={"json_metadata": {"x": 1}}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["json_metadata"] == {"x": 1}
    r = alice.patch(f"/assets/{a}", json={"priority": 2}, headers={"If-Match": etag})
    assert r.status_code == 412
    r = alice.patch(f"/assets/{a}", json={"external_id": "b"})
    assert r.status_code == 409 and r.json()["code"] == "external_id_taken"
    r = alice.patch(f"/assets/{a}", json={"content": "javascript:alert(1)"})
    assert r.status_code == 400 and r.json()["code"] == "bad_content"
    for field in ("status", "priority", "external_id", "json_metadata", "skipped"):
        r = alice.patch(f"/assets/{a}", json={field: None})
        assert r.status_code == 422 and field in r.json()["detail"], (field, r.text)
    r = alice.patch(f"/assets/{a}", json={"json_content": None, "consensus_mark": None})
    assert r.status_code == 200 and r.json()["json_content"] is None
    r = alice.post(f"/assets/{a}/labels", json={"json_response": {}, "consensus_mark": 2})
    assert r.status_code == 422 and "consensus_mark" in r.text
    assert alice.get(f"/assets/{a}").json()["priority"] == 0
