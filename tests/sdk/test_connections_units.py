"""``project.connect`` / ``Connection.diff`` / ``Connection.sync`` against a mocked server
(pytest-httpx): the request bodies, the plan and its summary, a dry run, and a sync the server
runs as an operation (202) that the SDK waits on. The live end to end tests are in
``test_projects_connections.py``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from bucketry import Client, ConflictError, OperationFailed

API = "http://bucketry.test/api/v1"
NOW = "2026-11-29T22:00:00Z"
CONNECTION = {
    "id": "con_1",
    "project_id": "prj_1",
    "bucket_id": "bkt_1",
    "selected_folders": ["raw/"],
    "include": ["**/*.jpg"],
    "exclude": [],
    "number_of_assets": 0,
    "last_checked": None,
    "created_at": NOW,
}
PLAN = {
    "to_add": [{"key": "raw/a.jpg", "external_id": "raw/a.jpg", "size": 3, "reason": "new_file"}],
    "to_remove": [
        {
            "asset_id": "ast_9",
            "external_id": "raw/z.jpg",
            "key": "raw/z.jpg",
            "reason": "file_missing",
        }
    ],
    "unchanged": 7,
    "to_add_count": 1,
    "to_remove_count": 1,
    "conflicting": 0,
}


def _operation(status: str, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "op_1",
        "kind": "CONNECTION_SYNC",
        "status": status,
        "progress": {"done": 1 if result else 0, "total": 2},
        "result": result,
        "created_at": NOW,
    }


@pytest.fixture
def client() -> Client:
    return Client(url="http://bucketry.test", token="t", progress=False, max_retries=0)


def test_connect_sends_the_filters_and_diff_reads_the_plan(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{API}/connections", status_code=201, json=CONNECTION
    )
    httpx_mock.add_response(
        method="POST", url=f"{API}/connections/con_1/diff?plan_limit=100", json=PLAN
    )
    connection = client.projects("prj_1").connect(
        "photos", selected_folders=["raw/"], include=["**/*.jpg"]
    )
    sent = json.loads(httpx_mock.get_requests()[0].content)
    assert sent == {
        "project_id": "prj_1",
        "bucket": "photos",
        "selected_folders": ["raw/"],
        "include": ["**/*.jpg"],
    }
    assert connection.id == "con_1" and connection.include == ["**/*.jpg"]
    plan = connection.diff()
    assert [a["key"] for a in plan.to_add] == ["raw/a.jpg"] and plan.remove_count == 1
    assert plan.summary() == "+1 to add, -1 to remove, 7 unchanged" and not plan.empty
    with pytest.raises(TypeError, match="include"):
        client.projects("prj_1").connect("photos", include="*.jpg")  # type: ignore[arg-type]


def test_dry_run_returns_the_plan(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/connections/con_1/sync",
        json={"dry_run": True, "plan": PLAN, "added": 0, "removed": 0, "connection": CONNECTION},
    )
    outcome = client.connections("con_1").sync(
        dry_run=True, delete_extraneous_files=True, plan_limit=5
    )
    body = json.loads(httpx_mock.get_request().content)  # type: ignore[union-attr]
    assert body == {
        "dry_run": True,
        "delete_extraneous_files": True,
        "plan_limit": 5,
        "as_operation": False,
    }
    assert outcome.dry_run and outcome.operation is None and outcome.plan.unchanged == 7
    assert outcome.summary() == "dry run: +1 to add, -1 to remove, 7 unchanged (nothing changed)"


def test_a_202_sync_is_an_operation_waited_on(client: Client, httpx_mock: HTTPXMock) -> None:
    result = {"dry_run": False, "plan": PLAN, "added": 1, "removed": 1, "connection": CONNECTION}
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/connections/con_1/sync",
        status_code=202,
        json=_operation("RUNNING"),
    )
    httpx_mock.add_response(
        method="GET", url=f"{API}/operations/op_1", json=_operation("SUCCEEDED", result)
    )
    outcome = client.connections("con_1").sync()
    assert outcome.operation is not None and outcome.operation.id == "op_1"
    assert (outcome.added, outcome.removed, outcome.dry_run) == (1, 1, False)
    assert outcome.summary() == "+1 to add, -1 to remove, 7 unchanged; added 1, removed 1"


def test_a_202_sync_without_waiting_and_a_failed_one(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/connections/con_1/sync",
        status_code=202,
        json=_operation("QUEUED"),
        is_reusable=True,
    )
    started = client.connections("con_1").sync(wait=False)
    assert started.operation is not None and started.operation.status == "QUEUED"
    failed = dict(
        _operation("FAILED"),
        error={"type": "about:blank", "status": 409, "code": "conflict", "title": "x"},
    )
    httpx_mock.add_response(method="GET", url=f"{API}/operations/op_1", json=failed)
    with pytest.raises(OperationFailed):
        client.connections("con_1").sync()


def test_a_sync_already_running_is_a_conflict(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/connections/con_1/sync",
        status_code=409,
        json={"status": 409, "code": "sync_running", "title": "Conflict", "detail": "running"},
    )
    with pytest.raises(ConflictError, match="connection 'con_1'"):
        client.connections("con_1").sync()
