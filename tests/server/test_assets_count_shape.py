"""Issue 11 benchmarks: the shape of the filtered count and page. A ``metadata_where`` count is
driven by the project's ``asset_meta`` index and reads ``assets`` only when another filter needs
it (1,000,000 assets: one covering-index range instead of a probe of ``assets`` per match); a
page with a ``{k: v}`` equality walks that index in asset-id order. Both return exactly what
the plain listing returns, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.server.project_helpers import append, client_for, count, ext_ids, new_project
from tests.support.live_server import LiveServer

ASSETS_TABLE = re.compile(r"\bassets\b")
PARAMS: list[Any] = []


@pytest.fixture(scope="module")
def api(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(server, users["alice"]) as alice:
        yield alice


@pytest.fixture(scope="module")
def projects(api: httpx.Client) -> tuple[str, str]:
    """Two projects holding the same metadata (a count must not see the other's rows)."""
    pids = []
    for title in ("count shape a", "count shape b"):
        pid = new_project(api, title, org="acme")
        assets = [
            {
                "external_id": f"{title[-1]}-{i}",
                "content": f"https://e.com/{i}.jpg",
                "json_metadata": {"split": ("train", "val", "test")[i % 3], "score": i},
                "status": "ONGOING" if i % 2 else "TODO",
            }
            for i in range(12 if title.endswith("a") else 5)
        ]
        assert append(api, pid, assets)["succeeded"] == len(assets)
        pids.append(pid)
    return pids[0], pids[1]


@contextmanager
def count_sql(server: LiveServer) -> Iterator[list[str]]:
    """The ``count(*)`` statements over assets the server runs meanwhile (their parameters go
    to ``PARAMS``). The server's own background work (the operations engine counting its
    chunks) shares the engine and is left out."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        lowered = statement.lower()
        if "count(*)" in lowered and "asset" in lowered:
            seen.append(statement)
            PARAMS.append(parameters)

    engine = server.state.db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@pytest.mark.parametrize(
    "where",
    [{"split": "val"}, {"split": ["val", "test"]}, {"score": [2, 7]}, {"split": "val", "score": 4}],
)
def test_metadata_only_count_does_not_read_assets(
    server: LiveServer, api: httpx.Client, projects: tuple[str, str], where: dict[str, Any]
) -> None:
    params = {"metadata_where": json.dumps(where)}
    with count_sql(server) as seen:
        counted = count(api, projects[0], **params)
    assert counted == len(ext_ids(api, projects[0], **params)) > 0
    assert len(seen) == 1, seen
    assert "asset_meta" in seen[0]
    assert not ASSETS_TABLE.search(seen[0]), seen[0]


def test_metadata_count_uses_the_covering_index_on_sqlite(
    server: LiveServer, api: httpx.Client, projects: tuple[str, str]
) -> None:
    engine = server.state.db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite query plan")
    with count_sql(server) as seen:
        count(api, projects[0], metadata_where='{"split": "val"}')
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0], PARAMS[-1]).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "COVERING INDEX ix_asset_meta_text" in details, details
    assert not ASSETS_TABLE.search(details), details


@pytest.mark.parametrize(
    ("where", "other"),
    [
        ({"split": "val"}, {"status_in": "ONGOING"}),
        ({"split": ["val", "train"], "score": [0, 8]}, {"external_id_contains": "a-1"}),
        ({"score": [3, 9]}, {"status_in": ["TODO"], "is_honeypot": "false"}),
    ],
)
def test_metadata_count_with_other_filters_matches_the_listing(
    api: httpx.Client, projects: tuple[str, str], where: dict[str, Any], other: dict[str, Any]
) -> None:
    params = {"metadata_where": json.dumps(where), **other}
    listed = ext_ids(api, projects[0], **params)
    assert listed and all(e.startswith("a-") for e in listed)
    assert count(api, projects[0], **params) == len(listed)


def test_metadata_count_stays_in_its_project(api: httpx.Client, projects: tuple[str, str]) -> None:
    a, b = projects
    where = {"metadata_where": '{"split": "val"}'}
    assert count(api, a, **where) == 4  # scores 1, 4, 7, 10
    assert count(api, b, **where) == 2  # scores 1, 4
    assert count(api, b, metadata_where='{"score": [5, 11]}') == 0


@pytest.mark.parametrize(
    "where", [{"split": "val"}, {"split": "val", "score": [0, 8]}, {"score": 4, "split": "val"}]
)
def test_metadata_equality_page_walks_the_asset_meta_index(
    server: LiveServer, api: httpx.Client, projects: tuple[str, str], where: dict[str, Any]
) -> None:
    """A listing with ``{k: v}`` walks ``asset_meta`` in asset-id order (a value matching
    nothing costs nothing, not a scan of every asset); same pages, in order, per project."""
    params = {"metadata_where": json.dumps(where)}
    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "LIMIT" in statement.upper() and "external_id" in statement:
            seen.append((statement, parameters))

    engine = server.state.db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        listed = ext_ids(api, projects[0], **params)  # pages of 2: the cursor is followed
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    scores = [int(e[2:]) for e in listed]
    assert scores == sorted(scores) and listed and all(e.startswith("a-") for e in listed)
    assert len(listed) == count(api, projects[0], **params)
    statement, parameters = seen[0]
    assert re.search(r"FROM asset_meta AS meta_0 JOIN assets", statement), statement
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        details = " | ".join(str(row[-1]) for row in plan)
        assert details.startswith("SEARCH meta_0 USING COVERING INDEX ix_asset_meta_"), details
        assert "TEMP B-TREE" not in details, details
