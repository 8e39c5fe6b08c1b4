"""Retention of finished operations: a janitor round deletes operations that ended more than
``BUCKETRY_OPERATION_RETENTION_DAYS`` ago (with their chunks), in bounded batches, never an
active one however old; their ``Idempotency-Key`` is forgotten with them; 0 keeps them all.

The server runs no operation workers, so an operation stays where the test puts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bucketry_server import cli, maintenance
from bucketry_server.accounts.users import create_user
from bucketry_server.config import Settings
from bucketry_server.models import Operation, OperationChunk
from bucketry_server.operations import retention
from bucketry_server.operations.engine import Engine
from bucketry_server.timeutil import utcnow
from tests.server.imported_helpers import auth
from tests.support.live_server import LiveServer, live_server

DAYS = 30


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    with live_server(
        tmp_path_factory.mktemp("retention-data"),
        operation_workers=0,
        operation_retention_days=DAYS,
    ) as server:
        _, token = create_user(server.state.db, "keeper")
        r = httpx.post(f"{server.api}/buckets", json={"name": "kept"}, headers=auth(token))
        assert r.status_code == 201, r.text
        yield server, token


def _start(srv: LiveServer, token: str, key: str | None = None) -> str:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    body = {"kind": "DELETE_PREFIX", "source": "bkt://kept/logs/"}
    r = httpx.post(f"{srv.api}/operations", json=body, headers=headers)
    assert r.status_code in (200, 202), r.text
    op_id: str = r.json()["id"]
    return op_id


def _age(srv: LiveServer, op_id: str, status: str, days: float, chunks: int = 2) -> None:
    """Put the operation in ``status``, created and (if final) ended ``days`` ago, with
    ``chunks`` chunk rows."""
    then = utcnow() - timedelta(days=days)
    with srv.state.db.session() as s:
        op = s.get(Operation, op_id)
        assert op is not None
        op.status, op.created_at, op.planned = status, then, True
        op.finished_at = then if status in ("SUCCEEDED", "FAILED", "CANCELLED") else None
        for idx in range(chunks):
            s.add(
                OperationChunk(
                    operation_id=op_id, idx=idx, owner_id=op.owner_id, status="DONE", counts={}
                )
            )


def _janitor_round(srv: LiveServer) -> None:
    engine: Engine = srv.server.config.app.state.operations  # type: ignore[attr-defined]
    assert engine.loop is not None
    asyncio.run_coroutine_threadsafe(maintenance.run_once(srv.state), engine.loop).result(60)


def _chunks(srv: LiveServer, op_id: str) -> int:
    with srv.state.db.session() as s:
        stmt = select(func.count()).where(OperationChunk.operation_id == op_id)
        return int(s.scalar(stmt) or 0)


def _get(srv: LiveServer, token: str, op_id: str) -> httpx.Response:
    return httpx.get(f"{srv.api}/operations/{op_id}", headers=auth(token))


def test_a_janitor_round_purges_operations_finished_before_the_retention(
    srv: tuple[LiveServer, str],
) -> None:
    server, token = srv
    ages: dict[str, tuple[str, float]] = {
        "old_ok": ("SUCCEEDED", DAYS + 1),
        "old_failed": ("FAILED", DAYS + 5),
        "old_cancelled": ("CANCELLED", DAYS + 0.5),
        "recent": ("SUCCEEDED", DAYS - 1),
        "old_pending": ("PENDING", DAYS * 3),
        "old_running": ("RUNNING", DAYS * 3),
    }
    ids: dict[str, str] = {}
    for name, (status, days) in ages.items():
        ids[name] = _start(server, token)
        _age(server, ids[name], status, days)

    _janitor_round(server)

    for name in ("old_ok", "old_failed", "old_cancelled"):
        assert _get(server, token, ids[name]).status_code == 404, name
        assert _chunks(server, ids[name]) == 0, name
    for name in ("recent", "old_pending", "old_running"):
        got = _get(server, token, ids[name])
        assert got.status_code == 200 and got.json()["status"] == ages[name][0], got.text
        assert _chunks(server, ids[name]) == 2, name


def test_the_purge_runs_in_bounded_batches(
    srv: tuple[LiveServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, token = srv
    old = [_start(server, token) for _ in range(7)]
    for op_id in old:
        _age(server, op_id, "FAILED", DAYS + 2, chunks=1)
    cutoff = utcnow() - timedelta(days=DAYS)
    # two batches of 3 at the most per call: 6 of 7 now, the last one by the next call
    assert retention.purge_finished(server.state.db, cutoff, batch=3, batches=2) == 6
    assert [_get(server, token, i).status_code for i in old].count(404) == 6
    monkeypatch.setattr(retention, "PURGE_BATCH", 2)
    _janitor_round(server)
    assert all(_get(server, token, i).status_code == 404 for i in old)
    assert all(_chunks(server, i) == 0 for i in old)


def test_an_idempotency_key_is_forgotten_with_its_purged_operation(
    srv: tuple[LiveServer, str],
) -> None:
    server, token = srv
    first = _start(server, token, key="retained-key")
    assert _start(server, token, key="retained-key") == first  # replayed while kept
    _age(server, first, "SUCCEEDED", DAYS + 1)
    _janitor_round(server)
    assert _get(server, token, first).status_code == 404
    again = _start(server, token, key="retained-key")
    assert again != first and _get(server, token, again).json()["status"] == "PENDING"


def test_zero_days_keeps_finished_operations_forever(srv: tuple[LiveServer, str]) -> None:
    server, token = srv
    op_id = _start(server, token)
    _age(server, op_id, "SUCCEEDED", 10 * 365)
    server.state.settings.operation_retention_days = 0
    try:
        _janitor_round(server)
    finally:
        server.state.settings.operation_retention_days = DAYS
    assert _get(server, token, op_id).status_code == 200
    assert _chunks(server, op_id) == 2


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "36501", ""])
def test_a_bad_retention_setting_is_refused_naming_the_variable(
    value: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BUCKETRY_OPERATION_RETENTION_DAYS", value)
    with pytest.raises(ValueError, match="BUCKETRY_OPERATION_RETENTION_DAYS"):
        Settings.from_env()
    assert cli.main(["serve", "--data-dir", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert "BUCKETRY_OPERATION_RETENTION_DAYS" in err and "Traceback" not in err
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize(("value", "days"), [("0", 0), ("7", 7), (" 365 ", 365)])
def test_a_good_retention_setting_is_read(
    value: str, days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUCKETRY_OPERATION_RETENTION_DAYS", value)
    settings: Any = Settings.from_env()
    assert settings.operation_retention_days == days
    assert Settings().operation_retention_days == DAYS  # the default
