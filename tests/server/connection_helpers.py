"""Helpers of the connection tests: buckets with files, connections, syncs, a database dump."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import MetaData, select

from tests.support.live_server import LiveServer


def new_bucket(api: httpx.Client, name: str, **extra: Any) -> str:
    """Create a managed bucket and return its id."""
    r = api.post("/buckets", json={"name": name, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def put(api: httpx.Client, bucket: str, *keys: str) -> None:
    """Write one small blob per key."""
    for key in keys:
        r = api.put(
            f"/buckets/{bucket}/blob",
            params={"key": key},
            content=key.encode(),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status_code in (200, 201), r.text


def remove(api: httpx.Client, bucket: str, *keys: str) -> None:
    """Delete blobs."""
    for key in keys:
        r = api.delete(f"/buckets/{bucket}/blob", params={"key": key})
        assert r.status_code == 204, r.text


def connect(api: httpx.Client, project: str, bucket: str, **extra: Any) -> dict[str, Any]:
    """``POST /connections`` asserting a 201."""
    r = api.post("/connections", json={"project_id": project, "bucket": bucket, **extra})
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def sync(api: httpx.Client, connection: str, **body: Any) -> dict[str, Any]:
    """``POST /connections/{id}/sync`` asserting a 200 (a dry run, or a real sync of a small
    managed bucket: answered within the request)."""
    r = api.post(f"/connections/{connection}/sync", json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def finished(api: httpx.Client, operation: dict[str, Any]) -> dict[str, Any]:
    """Poll an operation until it ends (60 s at most); the operation as it ended."""
    deadline = time.monotonic() + 60
    while operation["status"] not in ("SUCCEEDED", "FAILED", "CANCELLED"):
        assert time.monotonic() < deadline, operation
        time.sleep(0.05)
        operation = api.get(f"/operations/{operation['id']}").json()
    return operation


def sync_operation(api: httpx.Client, connection: str, **body: Any) -> dict[str, Any]:
    """``POST /connections/{id}/sync`` asserting a 202 with a CONNECTION_SYNC operation (a real
    sync of an imported or large bucket), waited on until it succeeds; returns its result
    (``added``, ``removed``, ``unchanged``, ``conflicting``, ``number_of_assets``)."""
    r = api.post(f"/connections/{connection}/sync", json=body)
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "CONNECTION_SYNC", r.text
    done = finished(api, r.json())
    assert done["status"] == "SUCCEEDED", done
    result: dict[str, Any] = done["result"]
    return result


def asset_keys(api: httpx.Client, project: str) -> dict[str, dict[str, Any]]:
    """Every asset of the project by external id (content, connection_id)."""
    out: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"page_size": 1000}
        if cursor:
            params["cursor"] = cursor
        r = api.get(f"/projects/{project}/assets", params=params)
        assert r.status_code == 200, r.text
        for a in r.json()["results"]:
            out[a["external_id"]] = a
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


def dump(server: LiveServer) -> dict[str, list[str]]:
    """Every row of every table of the server's database (reflected), as sorted reprs."""
    engine = server.state.db.engine
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as c:
        return {
            t.name: sorted(repr(tuple(r)) for r in c.execute(select(t))) for t in meta.sorted_tables
        }
