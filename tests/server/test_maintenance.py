"""Housekeeping off the event loop: database work in worker threads, a janitor that logs."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bucketry_server import maintenance
from bucketry_server.app import build_state
from bucketry_server.backends.managed import catalogue
from bucketry_server.config import Settings
from bucketry_server.state import AppState


@pytest.fixture
def state(tmp_path: Path) -> Iterator[AppState]:
    app_state = build_state(Settings(data_dir=tmp_path))
    yield app_state
    app_state.db.dispose()


def _record_session_threads(state: AppState, threads: list[int]) -> None:
    """Make every ``state.db.session()`` note the thread that opened it."""
    original = state.db.session

    @contextmanager
    def session() -> Iterator[Session]:
        threads.append(threading.get_ident())
        with original() as s:
            yield s

    state.db.session = session  # type: ignore[method-assign]


def test_deleting_blob_rows_runs_the_transaction_off_the_event_loop(state: AppState) -> None:
    threads: list[int] = []
    _record_session_threads(state, threads)

    async def run() -> int:
        await catalogue.delete_blob_rows(state, "bkt_missing", [1, 2, 3])
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    assert threads, "no database session was opened"
    assert loop_thread not in threads


def test_janitor_rounds_run_their_database_work_off_the_event_loop(state: AppState) -> None:
    threads: list[int] = []
    _record_session_threads(state, threads)

    async def run() -> int:
        await maintenance.expire_uploads(state)
        await maintenance.sweep_at_start(state)
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    assert threads and loop_thread not in threads


def test_janitor_logs_a_failing_round_and_keeps_running(
    state: AppState, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    async def broken(_state: AppState) -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("database is gone")

    monkeypatch.setattr(maintenance, "PERIOD_SECONDS", 0.01)
    monkeypatch.setattr(maintenance, "expire_uploads", broken)

    async def run() -> None:
        janitor = asyncio.create_task(maintenance.run_periodically(state))
        await asyncio.sleep(0.3)
        janitor.cancel()
        with pytest.raises(asyncio.CancelledError):
            await janitor

    with caplog.at_level(logging.ERROR, logger="bucketry_server.maintenance"):
        asyncio.run(run())
    assert calls >= 2, "the janitor stopped after a failing round"
    failures = [
        r for r in caplog.records if r.exc_info and "database is gone" in str(r.exc_info[1])
    ]
    assert failures, "a failing janitor round was not logged with its traceback"
