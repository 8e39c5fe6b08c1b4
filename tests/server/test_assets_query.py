"""Issue 11 item 2: the asset query and count with every Kili filter, combinations, the
``label_category_search`` grammar and its errors, ``fields`` selection and keyset pages.
The count and the listing always agree (checked for every filter)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.server.project_helpers import append, client_for, count, ext_ids, label, new_project
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module")
def world(server: LiveServer, users: dict[str, str]) -> Iterator[dict[str, Any]]:
    """One project (org acme) of six assets, labelled by alice and carol."""
    with client_for(server, users["alice"]) as alice, client_for(server, users["carol"]) as carol:
        pid = new_project(alice, "query world", org="acme")
        res = append(
            alice,
            pid,
            [
                {
                    "content": "https://e.com/1.jpg",
                    "external_id": "img-1",
                    "json_metadata": {"color": "red", "size": 5},
                    "is_honeypot": True,
                },
                {
                    "content": "https://e.com/2.jpg",
                    "external_id": "img-2",
                    "json_metadata": {"color": "blue", "size": 12},
                },
                {
                    "json_content": {"text": "hello"},
                    "external_id": "doc-3",
                    "json_metadata": {"color": "green", "size": "7"},
                },
                {"content": "https://e.com/4.txt", "external_id": "doc-4"},
                {
                    "content": "https://e.com/5.txt",
                    "external_id": "a_b",
                    "json_metadata": {"flag": True},
                },
                {"content": "https://e.com/6.txt", "external_id": "axb", "status": "ONGOING"},
            ],
        )
        assert res["succeeded"] == 6, res
        ids = {r["external_id"]: r["id"] for r in res["results"]}
        assert label(alice, ids["img-1"], JOB=["A", "A"]).status_code == 201
        assert label(carol, ids["img-2"], JOB=["B"], OTHER=["C"]).status_code == 201
        assert label(alice, ids["img-2"], "REVIEW", JOB=["A"]).status_code == 201
        r = alice.post(
            f"/assets/{ids['doc-3']}/labels",
            json={
                "label_type": "PREDICTION",
                "consensus_mark": 0.9,
                "honeypot_mark": 0.2,
                "json_response": {"JOB": {"annotations": [{"categories": [{"name": "B"}]}]}},
            },
        )
        assert r.status_code == 201, r.text
        assert (
            alice.patch(
                f"/assets/{ids['doc-4']}", json={"skipped": True, "consensus_mark": 0.8}
            ).status_code
            == 200
        )
        assert (
            alice.patch(f"/assets/{ids['img-1']}", json={"honeypot_mark": 0.3}).status_code == 200
        )
        yield {"pid": pid, "ids": ids, "alice": alice}


def _same(world: dict[str, Any], expected: list[str], **params: Any) -> None:
    api, pid = world["alice"], world["pid"]
    assert ext_ids(api, pid, **params) == expected, params
    assert count(api, pid, **params) == len(expected), params


ALL = ["img-1", "img-2", "doc-3", "doc-4", "a_b", "axb"]


def test_no_filter_lists_everything_in_creation_order(world: dict[str, Any]) -> None:
    _same(world, ALL)


def test_id_and_external_id_filters(world: dict[str, Any]) -> None:
    ids = world["ids"]
    _same(world, ["img-2", "doc-4"], asset_id_in=[ids["doc-4"], ids["img-2"]])
    _same(world, ["img-1", "axb"], external_id_in=["axb", "img-1", "nope"])
    _same(world, ["img-1", "img-2"], external_id_contains="img")
    _same(world, ["a_b"], external_id_contains="_")  # LIKE wildcards are literal
    _same(world, [], external_id_contains="%")


def test_status_and_flag_filters(world: dict[str, Any]) -> None:
    _same(world, ["img-1"], status_in=["LABELED"])
    _same(world, ["img-2"], status_in=["REVIEWED"])
    _same(world, ["doc-3", "doc-4", "a_b", "axb"], status_in=["TODO", "ONGOING"])
    _same(world, ["doc-4"], skipped="true")
    _same(world, ["img-1"], is_honeypot="true")
    _same(world, ["img-2", "doc-3", "doc-4", "a_b", "axb"], is_honeypot="false")


def test_mark_filters(world: dict[str, Any]) -> None:
    _same(world, ["doc-4"], consensus_mark_gt=0.5)
    _same(world, [], consensus_mark_lt=0.5)
    _same(world, ["img-1"], honeypot_mark_gt=0.1, honeypot_mark_lt=0.5)
    _same(world, ["doc-3"], label_consensus_mark_gt=0.5)
    _same(world, [], label_consensus_mark_lt=0.5)
    _same(world, ["doc-3"], label_honeypot_mark_lt=0.5)
    _same(world, [], label_honeypot_mark_gt=0.5)


def test_metadata_where(world: dict[str, Any]) -> None:
    def mw(spec: dict[str, Any]) -> dict[str, str]:
        return {"metadata_where": json.dumps(spec)}

    _same(world, ["img-1"], **mw({"color": "red"}))
    _same(world, ["img-1", "img-2"], **mw({"color": ["red", "blue"]}))
    _same(world, ["img-1", "doc-3"], **mw({"size": [5, 10]}))  # "7" reads as a number
    _same(world, ["img-2"], **mw({"size": 12}))
    _same(world, ["img-1"], **mw({"color": "red", "size": 5}))
    _same(world, [], **mw({"color": "red", "size": 12}))
    _same(world, ["a_b"], **mw({"flag": True}))
    _same(world, [], **mw({"missing": "x"}))


@pytest.mark.parametrize(
    "value",
    ["{not json", "[1, 2]", "{}", '{"k": {"nested": 1}}', '{"k": []}', '{"k": [null]}'],
)
def test_metadata_where_errors_name_the_parameter(world: dict[str, Any], value: str) -> None:
    for path in ("/assets", "/assets/count"):
        r = world["alice"].get(f"/projects/{world['pid']}{path}", params={"metadata_where": value})
        assert r.status_code == 400, (value, r.text)
        problem = r.json()
        assert problem["code"] == "bad_metadata_where"
        assert problem["errors"][0]["loc"] == ["query", "metadata_where"]


def test_updated_at_range(world: dict[str, Any]) -> None:
    api, pid = world["alice"], world["pid"]
    stamps = {
        a["external_id"]: a["updated_at"]
        for a in api.get(f"/projects/{pid}/assets").json()["results"]
    }
    newest = max(stamps.values())
    expected = [e for e in ALL if stamps[e] >= newest]
    _same(world, expected, updated_at_gte=newest)
    _same(world, [e for e in ALL if stamps[e] <= newest], updated_at_lte=newest)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    _same(world, [], updated_at_gte=future)


def test_label_filters(world: dict[str, Any]) -> None:
    today = datetime.now(UTC).date()
    _same(world, ["img-2"], label_type_in=["REVIEW"])
    _same(world, ["img-1", "img-2"], label_type_in=["DEFAULT"])
    _same(world, ["img-2"], label_author_in=["carol"])
    _same(world, ["img-1", "img-2", "doc-3"], label_author_in=["alice"])
    _same(world, ["img-1", "img-2", "doc-3"], label_created_at=today.isoformat())
    _same(world, [], label_created_at=(today - timedelta(days=2)).isoformat())
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    _same(world, ["img-1", "img-2", "doc-3"], label_created_at_gt=past)
    _same(world, [], label_created_at_lt=past)
    # One label must satisfy every label filter: carol wrote no REVIEW label.
    _same(world, [], label_type_in=["REVIEW"], label_author_in=["carol"])


def test_combinations(world: dict[str, Any]) -> None:
    _same(world, ["img-2"], status_in=["REVIEWED", "LABELED"], metadata_where='{"color": "blue"}')
    _same(
        world, ["img-1"], external_id_contains="img", is_honeypot="true", label_type_in=["DEFAULT"]
    )
    _same(
        world,
        ["doc-3"],
        label_category_search="JOB.B.count > 0",
        metadata_where='{"size": [6, 8]}',
        status_in=["TODO"],
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("JOB.A.count > 1", ["img-1"]),
        ("JOB.A.count == 1", ["img-2"]),  # the latest label (the review) counts
        ("JOB.B.count >= 1", ["doc-3"]),
        ("job.B.count >= 1", []),  # names are case-sensitive
        ("OTHER.C.count > 0", []),  # img-2's newest label has no OTHER job
        ("JOB.A.count <= 0", ["doc-3", "doc-4", "a_b", "axb"]),
        ("JOB.A.count < 2 AND JOB.B.count == 0", ["img-2", "doc-4", "a_b", "axb"]),
        ("(JOB.A.count == 2 OR JOB.B.count > 0) AND JOB.A.count < 3", ["img-1", "doc-3"]),
        ("JOB.A.count == 2 or JOB.A.count == 1", ["img-1", "img-2"]),
        ("((JOB.A.count > 0))", ["img-1", "img-2"]),
        ("JOB.A.count > 0 OR JOB.B.count > 0 AND JOB.A.count > 5", ["img-1", "img-2"]),
    ],
)
def test_label_category_search(world: dict[str, Any], expression: str, expected: list[str]) -> None:
    _same(world, expected, label_category_search=expression)


@pytest.mark.parametrize(
    ("expression", "offset", "token"),
    [
        ("JOB.A.count >", 13, "end of input"),
        ("JOB.A.cnt > 1", 6, "'cnt'"),
        ("JOB.A.count > 1 AND", 19, "end of input"),
        ("(JOB.A.count > 1", 16, "end of input"),
        ("JOB.A.count > 1 XOR JOB.B.count > 1", 16, "'XOR'"),
        ("JOB.A.count > 1; DROP TABLE assets", 15, "';'"),
        ("JOB.A.count = 1", 12, "'='"),
        ("JOB.A.count > x", 14, "'x'"),
        ("JOB.count > 1", 10, "'>'"),
        ("", 0, "end of input"),
    ],
)
def test_label_category_search_errors(
    world: dict[str, Any], expression: str, offset: int, token: str
) -> None:
    r = world["alice"].get(
        f"/projects/{world['pid']}/assets/count", params={"label_category_search": expression}
    )
    if expression == "":  # an empty parameter means "no filter"
        assert r.status_code == 200
        return
    assert r.status_code == 400, r.text
    problem = r.json()
    assert problem["code"] == "bad_category_search"
    assert f"offset {offset}" in problem["detail"] and token in problem["detail"], problem
    assert problem["errors"][0]["loc"] == ["query", "label_category_search"]


def test_category_search_bounds(world: dict[str, Any]) -> None:
    deep = "(" * 30 + "JOB.A.count > 0" + ")" * 30
    many = " OR ".join(["JOB.A.count > 0"] * 60)
    for expression in (deep, many):
        r = world["alice"].get(
            f"/projects/{world['pid']}/assets", params={"label_category_search": expression}
        )
        assert r.status_code == 400 and r.json()["code"] == "bad_category_search", r.text


def test_fields_selection(world: dict[str, Any]) -> None:
    api, pid = world["alice"], world["pid"]
    r = api.get(
        f"/projects/{pid}/assets",
        params={"fields": ["external_id", "status"], "external_id_in": "img-2"},
    )
    assert r.json()["results"] == [{"external_id": "img-2", "status": "REVIEWED"}]
    r = api.get(
        f"/projects/{pid}/assets",
        params={
            "fields": ["id", "labels.author", "labels.label_type", "latest_label.label_type"],
            "external_id_in": "img-2",
        },
    )
    (asset,) = r.json()["results"]
    assert set(asset) == {"id", "labels", "latest_label"}
    assert asset["labels"] == [
        {"author": "carol", "label_type": "DEFAULT"},
        {"author": "alice", "label_type": "REVIEW"},
    ]
    assert asset["latest_label"] == {"label_type": "REVIEW"}
    full = api.get(f"/projects/{pid}/assets", params={"external_id_in": "doc-3"}).json()["results"][
        0
    ]
    assert (
        full["json_content"] == {"text": "hello"}
        and full["latest_label"]["label_type"] == "PREDICTION"
    )
    assert "labels" not in full
    r = api.get(f"/projects/{pid}/assets", params={"fields": ["id", "colour"]})
    assert (
        r.status_code == 400 and r.json()["code"] == "bad_field" and "colour" in r.json()["detail"]
    )
    r = api.get(f"/projects/{pid}/assets", params={"fields": "labels.nope"})
    assert r.status_code == 400 and "labels.nope" in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status_in": "DONE"}, "status_in"),
        ({"label_type_in": "HUMAN"}, "label_type_in"),
        ({"consensus_mark_gt": "high"}, "consensus_mark_gt"),
        ({"label_honeypot_mark_lt": "nan"}, "label_honeypot_mark_lt"),
        ({"updated_at_gte": "yesterday"}, "updated_at_gte"),
        ({"label_created_at": "2026-13-01"}, "label_created_at"),
        ({"label_created_at_lt": "noon"}, "label_created_at_lt"),
        ({"skipped": "maybe"}, "skipped"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"statuses": "TODO"}, "statuses"),
        ({"page_size": 0}, "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    world: dict[str, Any], params: dict[str, Any], name: str
) -> None:
    r = world["alice"].get(f"/projects/{world['pid']}/assets", params=params)
    assert r.status_code == 400, r.text
    assert name in r.text


def test_unknown_project_is_404(world: dict[str, Any]) -> None:
    assert world["alice"].get("/projects/prj_nope/assets").status_code == 404
    assert world["alice"].get("/projects/prj_nope/assets/count").status_code == 404
