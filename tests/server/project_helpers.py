"""Helpers of the project and asset tests: a client per user, a fresh project, labels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.support.live_server import LiveServer


@contextmanager
def client_for(server: LiveServer, token: str) -> Iterator[httpx.Client]:
    """An httpx client on the API authenticated with ``token``."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.api, headers=headers, timeout=60) as client:
        yield client


def new_project(api: httpx.Client, title: str = "p", **extra: Any) -> str:
    """Create a project and return its id."""
    r = api.post("/projects", json={"title": title, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def append(api: httpx.Client, project: str, assets: list[dict[str, Any]]) -> dict[str, Any]:
    """Append assets, asserting a 200, and return the bulk result."""
    r = api.post(f"/projects/{project}/assets", json={"assets": assets})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def label(api: httpx.Client, asset: str, kind: str = "DEFAULT", **response: Any) -> httpx.Response:
    """Add a label of ``kind`` whose answers are ``response`` (job -> category names)."""
    body = {
        "label_type": kind,
        "json_response": {
            job: {"categories": [{"name": c} for c in cats]} for job, cats in response.items()
        },
    }
    return api.post(f"/assets/{asset}/labels", json=body)


def count(api: httpx.Client, project: str, **params: Any) -> int:
    """The filtered count (asserting a 200)."""
    r = api.get(f"/projects/{project}/assets/count", params=params)
    assert r.status_code == 200, r.text
    return int(r.json()["count"])


def ext_ids(api: httpx.Client, project: str, **params: Any) -> list[str]:
    """External ids of every matching asset, following the cursor pages."""
    out: list[str] = []
    cursor = None
    while True:
        query = {**params, "fields": "external_id", "page_size": 2}
        if cursor:
            query["cursor"] = cursor
        r = api.get(f"/projects/{project}/assets", params=query)
        assert r.status_code == 200, r.text
        out += [a["external_id"] for a in r.json()["results"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out
