"""The SQLite write gate (:mod:`bucketry_server.writegate`): writers of every process queue for
the write lock instead of polling for it with SQLite's busy handler. Two ``Database`` objects on
one file stand for two ``serve --workers`` processes (their ``flock``s are separate open files,
so they exclude each other as two processes would)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bucketry_server.db import Database, database_locked
from bucketry_server.groupcommit import run_grouped
from bucketry_server.writegate import GateBusy
from tests.support.live_server import POSTGRES_ENV, LiveServer

#: SQLite's busy timeout in these tests: a writer polling for the lock gives up after it.
BUSY = 0.2


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    first, second = Database(url, busy_timeout=BUSY), Database(url, busy_timeout=BUSY)
    with first.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield first, second
    first.dispose()
    second.dispose()


def _insert_in_thread(db: Database, row_id: int) -> tuple[threading.Thread, list[object]]:
    """Insert a row from a new thread; the list gets "ok" or the exception raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            with db.session() as s:
                s.execute(text("INSERT INTO t (id, v) VALUES (:i, 'x')"), {"i": row_id})
            outcome.append("ok")
        except Exception as exc:  # reported to the test
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_writer_waits_its_turn_behind_a_long_transaction(two: tuple[Database, Database]) -> None:
    """A write transaction held for 5 busy timeouts: the other process's writer queues at the
    gate and writes once it ends (polling SQLite's lock, it failed: "database is locked")."""
    first, second = two
    with first.session() as s:
        s.execute(text("INSERT INTO t (id, v) VALUES (1, 'a')"))
        thread, outcome = _insert_in_thread(second, 2)
        thread.join(5 * BUSY)
        assert thread.is_alive() and not outcome  # waiting at the gate, not failed
    thread.join(10)
    assert outcome == ["ok"]
    with first.session() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 2


def test_reads_do_not_wait_for_the_gate(two: tuple[Database, Database]) -> None:
    first, second = two
    with first.session() as s:
        s.execute(text("INSERT INTO t (id, v) VALUES (1, 'a')"))
        with second.session() as other:  # the committed state, at once
            assert other.execute(text("SELECT count(*) FROM t")).scalar() == 0


def test_the_gate_opens_after_a_failed_write(two: tuple[Database, Database]) -> None:
    """A write that fails (a constraint) rolls back and opens the gate for the next writer."""
    first, second = two
    with first.session() as s:
        s.execute(text("INSERT INTO t (id, v) VALUES (1, 'a')"))
    with pytest.raises(IntegrityError), first.session() as s:
        s.execute(text("INSERT INTO t (id, v) VALUES (1, 'again')"))
    with pytest.raises(IntegrityError), first.session() as s:
        s.execute(text("INSERT INTO t (id, v) VALUES (3, NULL)"))
    thread, outcome = _insert_in_thread(second, 2)
    thread.join(10)
    assert outcome == ["ok"]


def test_the_gate_opens_when_a_connection_closes_in_a_transaction(
    two: tuple[Database, Database],
) -> None:
    first, second = two
    conn = first.engine.connect()
    conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'a')"))
    thread, outcome = _insert_in_thread(second, 2)
    thread.join(3 * BUSY)
    assert thread.is_alive() and not outcome
    conn.invalidate()  # closes the DBAPI connection: SQLite rolls back, the gate opens
    conn.close()
    thread.join(10)
    assert outcome == ["ok"]
    with second.session() as s:
        assert s.execute(text("SELECT id FROM t")).scalars().all() == [2]


def test_writers_of_one_process_take_turns(tmp_path: Path) -> None:
    """Sixteen threads of one process, each writing 20 transactions: all land (none polled
    past the busy timeout)."""
    db = Database(f"sqlite:///{tmp_path / 'gate.db'}", busy_timeout=BUSY)
    with db.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    errors: list[Exception] = []

    def run(n: int) -> None:
        for i in range(20):
            try:
                with db.session() as s:
                    s.execute(text("INSERT INTO t (id, v) VALUES (:i, 'x')"), {"i": n * 100 + i})
                    s.execute(text("UPDATE t SET v = 'y' WHERE id = :i"), {"i": n * 100 + i})
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM t WHERE v = 'y'")).scalar() == 320
    db.dispose()


@contextmanager
def _lock_file_held_elsewhere(db: Database) -> Iterator[None]:
    """Hold ``db``'s gate file as a hung writer of another process would (a separate open
    file: its ``flock`` excludes the gate's own)."""
    gate = db.write_gate
    assert gate.path is not None
    fd = os.open(gate.path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # drops the lock


def test_a_gate_held_elsewhere_past_the_timeout_is_busy_not_a_hang(tmp_path: Path) -> None:
    """A writer of another process that keeps the lock file: a write gives up after the gate
    timeout with ``GateBusy`` (a blocking ``flock`` waited for ever), holding nothing, and
    the next write works once the file is free."""
    db = Database(f"sqlite:///{tmp_path / 'gate.db'}", busy_timeout=BUSY, gate_timeout=0.3)
    with db.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    with _lock_file_held_elsewhere(db):
        thread, outcome = _insert_in_thread(db, 1)
        thread.join(5)
        assert not thread.is_alive() and len(outcome) == 1
        assert isinstance(outcome[0], GateBusy) and outcome[0].code == "busy"
        assert outcome[0].headers["Retry-After"].isdigit()
    thread, outcome = _insert_in_thread(db, 2)  # the threads' lock was released
    thread.join(5)
    assert outcome == ["ok"]
    db.dispose()


@pytest.mark.skipif(bool(os.environ.get(POSTGRES_ENV)), reason="the write gate is SQLite's")
def test_a_write_behind_a_hung_writer_answers_503_busy(
    server: LiveServer, users: dict[str, str], unique: str
) -> None:
    """Over HTTP: the PUT answers 503 ``busy`` with ``Retry-After`` within the (shortened)
    gate timeout, and the next PUT is stored once the other writer let go."""
    headers = {"Authorization": f"Bearer {users['alice']}"}
    r = httpx.post(server.api + "/buckets", json={"name": f"gate-{unique}"}, headers=headers)
    assert r.status_code == 201, r.text
    put = server.api + f"/buckets/gate-{unique}/blob"
    gate = server.state.db.write_gate
    saved, gate.timeout = gate.timeout, 0.5
    try:
        with _lock_file_held_elsewhere(server.state.db):
            started = time.monotonic()
            r = httpx.put(put, params={"key": "k"}, content=b"x", headers=headers, timeout=20)
            took = time.monotonic() - started
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "busy" and r.headers["Retry-After"].isdigit()
        assert took < 5
        r = httpx.put(put, params={"key": "k"}, content=b"x", headers=headers, timeout=20)
        assert r.status_code == 201, r.text
    finally:
        gate.timeout = saved


def _grouped_inserts(db: Database, count: int) -> tuple[list[Any], float]:
    """``count`` inserts queued together (one group): their outcomes and the time taken."""

    async def run() -> list[Any]:
        jobs = [run_grouped(db, _insert_job(i)) for i in range(count)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    started = time.monotonic()
    outcomes = asyncio.run(run())
    return outcomes, time.monotonic() - started


def _insert_job(row_id: int) -> Any:
    def job(s: Session) -> int:
        s.execute(text("INSERT INTO t (id, v) VALUES (:i, 'x')"), {"i": row_id})
        return row_id

    return job


def test_a_group_behind_a_shut_gate_is_busy_at_once(tmp_path: Path) -> None:
    """Twenty grouped writes behind a gate held elsewhere: every one gets ``GateBusy`` after
    one gate timeout, not twenty of them one after another (each job of the group waited
    again in the same transaction)."""
    db = Database(f"sqlite:///{tmp_path / 'gate.db'}", busy_timeout=BUSY, gate_timeout=0.3)
    with db.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    with _lock_file_held_elsewhere(db):
        outcomes, took = _grouped_inserts(db, 20)
    assert all(isinstance(o, GateBusy) for o in outcomes), outcomes
    assert took < 3  # 20 x 0.3 s before
    assert _grouped_inserts(db, 3)[0] == [0, 1, 2]
    db.dispose()


def test_a_database_locked_elsewhere_fails_a_group_at_once(tmp_path: Path) -> None:
    """A writer outside the gate (another program) keeps SQLite's lock past the busy timeout:
    the group's jobs all get "database is locked" after one busy timeout, instead of each
    being run alone and waiting as long again."""
    path = tmp_path / "gate.db"
    db = Database(f"sqlite:///{path}", busy_timeout=0.3)
    with db.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock, outside any gate
        outcomes, took = _grouped_inserts(db, 10)
    finally:
        other.close()
    assert all(database_locked(o) for o in outcomes), outcomes
    assert took < 2.5  # 11 x 0.3 s before
    db.dispose()


@pytest.mark.skipif(bool(os.environ.get(POSTGRES_ENV)), reason="SQLite's lock")
def test_a_database_locked_elsewhere_answers_503_busy(
    server: LiveServer, users: dict[str, str], unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program holding SQLite's write lock past the busy timeout: a PUT answers 503
    ``busy`` with ``Retry-After`` (it was a 500 ``internal_error``)."""
    headers = {"Authorization": f"Bearer {users['alice']}"}
    r = httpx.post(server.api + "/buckets", json={"name": f"lock-{unique}"}, headers=headers)
    assert r.status_code == 201, r.text
    url = server.state.settings.effective_database_url
    impatient = Database(url, busy_timeout=0.3)  # the server's own waits 30 s
    monkeypatch.setattr(server.state, "db", impatient)
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    put = server.api + f"/buckets/lock-{unique}/blob"
    try:
        other.execute("BEGIN IMMEDIATE")
        r = httpx.put(put, params={"key": "k"}, content=b"x", headers=headers, timeout=30)
    finally:
        other.close()
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "busy" and r.headers["Retry-After"].isdigit()
    monkeypatch.undo()
    impatient.dispose()
    r = httpx.put(put, params={"key": "k"}, content=b"x", headers=headers, timeout=30)
    assert r.status_code == 201, r.text
