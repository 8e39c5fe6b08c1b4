"""``bucketry-server serve --workers N``: several processes on one port and one data folder;
the singletons (janitor, SQLite operation workers) run in the leader only; a token revoked
through one worker is refused by every worker within the principal cache's TTL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import psutil
import pytest

from bucketry_server import maintenance
from bucketry_server.accounts.principals import PRINCIPALS
from bucketry_server.config import Settings
from bucketry_server.leader import Leadership, may_run_operation_workers
from tests.server.operation_helpers import copy_start_latency
from tests.support.live_server import POSTGRES_ENV, fresh_postgres_database
from tests.support.serve_process import is_up, served

BIN = Path(sys.executable).parent


def test_leadership_is_exclusive_until_released(tmp_path: Path) -> None:
    first, second = Leadership(tmp_path), Leadership(tmp_path)
    assert first.try_acquire() and first.try_acquire()  # idempotent for the holder
    assert not second.try_acquire()
    assert (tmp_path / "leader.lock").read_text().strip() == str(os.getpid())
    first.release()
    assert second.try_acquire() and not first.try_acquire()
    second.release()


def test_operation_workers_run_in_the_sqlite_leader_only(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'bucketry.db'}"
    first, second = Leadership(tmp_path), Leadership(tmp_path)
    assert may_run_operation_workers(sqlite, first)
    assert not may_run_operation_workers(sqlite, second)
    assert may_run_operation_workers(sqlite, None)  # a lone process
    postgres = "postgresql+psycopg://u@127.0.0.1/db"
    assert may_run_operation_workers(postgres, first)
    assert may_run_operation_workers(postgres, second)
    first.release()


def test_janitor_rounds_run_in_the_leader_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes' janitors on one data folder: only the lock holder does rounds."""
    rounds: dict[str, int] = {"a": 0, "b": 0}

    async def fake_round(state: Any) -> None:
        rounds[state.name] += 1

    monkeypatch.setattr(maintenance, "PERIOD_SECONDS", 0.01)
    monkeypatch.setattr(maintenance, "run_once", fake_round)
    states = [SimpleNamespace(name=n, leadership=Leadership(tmp_path)) for n in ("a", "b")]

    async def run() -> None:
        tasks = [asyncio.create_task(maintenance.run_periodically(s)) for s in states]  # type: ignore[arg-type]
        await asyncio.sleep(0.3)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())
    assert rounds["a"] > 3 and rounds["b"] == 0
    for s in states:
        s.leadership.release()


def test_settings_travel_to_the_workers_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Settings(port=9999, data_dir=tmp_path, allowed_networks=["10.0.0.0/8"], workers=3)
    s.filesystem_roots = [tmp_path / "a", tmp_path / "b"]
    s.remote_sort_limit = 77
    for key, value in s.to_env().items():
        monkeypatch.setenv(key, value)
    again = Settings.from_env()
    for name in ("port", "data_dir", "allowed_networks", "filesystem_roots", "workers"):
        assert getattr(again, name) == getattr(s, name), name
    assert again.remote_sort_limit == 77 and again.start_sweep


# -- a live server with two workers -----------------------------------------------------------
@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    """``serve --workers 2`` on SQLite, or on a fresh PostgreSQL database when the suite runs
    on PostgreSQL: (API url, data folder, parent pid)."""
    with ExitStack() as stack:
        env = dict(os.environ)
        if postgres := os.environ.get(POSTGRES_ENV):
            env["BUCKETRY_DATABASE_URL"] = stack.enter_context(fresh_postgres_database(postgres))
        yield from _serve_two(tmp_path_factory.mktemp("workers") / "data", env)


def _serve_two(data: Path, env: dict[str, str]) -> Iterator[tuple[str, Path, int]]:
    with served(data, "--workers", "2", env=env, ready=lambda pid: len(_workers(pid)) >= 2) as (
        api,
        pid,
    ):
        yield api, data, pid


def _workers(pid: int) -> list[psutil.Process]:
    """The worker processes (multiprocessing's resource tracker is a child too)."""
    return [
        c
        for c in psutil.Process(pid).children()
        if not any("resource_tracker" in part for part in _cmdline(c))
    ]


def _cmdline(p: psutil.Process) -> list[str]:
    """The command line; empty for a worker that died and is not reaped yet (a zombie)."""
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system


def test_both_workers_serve_concurrent_requests(two_workers: tuple[str, Path, int]) -> None:
    api, data, pid = two_workers
    auth = {"Authorization": f"Bearer {(data / 'admin.token').read_text().strip()}"}
    assert httpx.post(api + "/buckets", json={"name": "both"}, headers=auth).status_code == 201
    workers = _workers(pid)
    assert len(workers) == 2
    before = [_cpu(w) for w in workers]
    body = os.urandom(4096)

    def put(i: int) -> int:  # a fresh connection each: the kernel spreads them over workers
        r = httpx.put(
            api + "/buckets/both/blob", params={"key": f"k{i:04d}"}, content=body, headers=auth
        )
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(put, range(300))) == {201}
    used = [_cpu(w) - b for w, b in zip(workers, before, strict=True)]
    assert min(used) > 0.05, f"CPU seconds per worker: {used}"
    listed = httpx.get(api + "/buckets/both/blobs", params={"page_size": 1000}, headers=auth)
    assert len(listed.json()["results"]) == 300
    usage = httpx.get(api + "/buckets/both/usage", headers=auth).json()
    assert usage["objects"] == 300 and usage["bytes"] == 300 * 4096


def test_the_parent_supervises_without_the_app(two_workers: tuple[str, Path, int]) -> None:
    """The parent only supervises: the preparation (migrations, admin, sweep) ran in a child
    before the workers, so the parent never imported the app. Its own memory (USS) was
    ~77 MiB when it migrated and swept itself; a bare uvicorn supervisor is ~18 MiB."""
    _, _, pid = two_workers
    parent = psutil.Process(pid).memory_full_info().uss
    worker = min(w.memory_full_info().uss for w in _workers(pid))
    assert parent < 45 * 1024 * 1024 and parent < worker / 2, (parent, worker)


def test_one_worker_leads(two_workers: tuple[str, Path, int]) -> None:
    _, data, pid = two_workers
    leader = int((data / "leader.lock").read_text())
    assert leader in {w.pid for w in _workers(pid)}
    assert not Leadership(data).try_acquire()  # held by that worker


def test_revoked_token_is_refused_by_every_worker(two_workers: tuple[str, Path, int]) -> None:
    api, data, _ = two_workers
    auth = {"Authorization": f"Bearer {(data / 'admin.token').read_text().strip()}"}
    made = httpx.post(api + "/tokens", json={"name": "short"}, headers=auth).json()
    mine = {"Authorization": f"Bearer {made['secret']}"}
    for _ in range(20):  # fresh connections: both workers cache the principal
        assert httpx.get(api + "/users/self", headers=mine).status_code == 200
    assert httpx.delete(f"{api}/tokens/{made['id']}", headers=auth).status_code == 204
    time.sleep(PRINCIPALS.ttl + 0.5)  # the documented bound
    codes = {httpx.get(api + "/users/self", headers=mine).status_code for _ in range(20)}
    assert codes == {401}


def test_an_idle_connection_outlives_the_client_pool_expiry(
    two_workers: tuple[str, Path, int],
) -> None:
    """A keep-alive connection idle for longer than httpx's pool expiry (5 s, the SDK's) is
    still open: a server closing at that age closes connections under requests a client has
    just sent on them (the load benchmark's ``ReadError``s)."""
    api, _, _ = two_workers
    url = httpx.URL(api)
    request = f"GET {url.path}/health HTTP/1.1\r\nHost: {url.host}\r\n\r\n".encode()
    with socket.create_connection((url.host, url.port or 80), timeout=10) as sock:
        for attempt in range(2):
            if attempt:
                time.sleep(5.5)
            sock.sendall(request)
            answer = sock.makefile("rb")
            status = answer.readline()
            assert status, f"connection closed by the server (attempt {attempt})"
            assert status.startswith(b"HTTP/1.1 200"), status
            length = 0
            while (line := answer.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            assert len(answer.read(length)) == length


def test_a_worker_freezes_the_app_out_of_the_garbage_collector(tmp_path: Path) -> None:
    """A serving worker's long-lived objects (modules, routes, ORM mappings) are frozen out of
    the collected generations and collections are rarer than Python's default: full
    collections walked the whole app (~130 ms each, stopping the worker's requests)."""
    env = {**os.environ, **Settings(data_dir=tmp_path / "data").to_env()}
    code = (
        "import gc; from bucketry_server.cli import worker_app; worker_app(); "
        "print(gc.get_freeze_count(), *gc.get_threshold())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, gen0 = int(out[0]), int(out[1])
    assert frozen > 50_000, frozen  # the app's objects, not a handful
    assert gen0 >= 5000, out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_a_worker_gives_freed_heap_memory_back(tmp_path: Path) -> None:
    """1 MiB buffers freed between live objects (request bodies between a worker's other
    allocations) leave the heap resident under glibc; a serving worker gives them back
    within a couple of seconds."""
    env = {**os.environ, **Settings(data_dir=tmp_path / "data").to_env()}
    code = """
import os, time, psutil
from bucketry_server.cli import worker_app
worker_app()
p = psutil.Process()
spare = bytes(4 << 20); del spare  # a freed mmapped chunk: glibc's heap takes 1 MiB blocks
before = p.memory_info().rss
keep, blocks = [], []
for _ in range(200):
    blocks.append(os.urandom(1 << 20))
    keep.append(os.urandom(200_000))  # live, between the blocks
peak = p.memory_info().rss
del blocks
time.sleep(2.5)
print(before >> 20, peak >> 20, p.memory_info().rss >> 20)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    before, peak, after = (int(v) for v in out)
    assert peak - before >= 200, out  # the blocks were resident
    assert after - before <= 80, out  # ~40 MiB stay live; the 200 MiB freed went back


def _ops_bucket(api: str, auth: dict[str, str], name: str) -> None:
    assert httpx.post(api + "/buckets", json={"name": name}, headers=auth).status_code == 201
    put = httpx.put(
        f"{api}/buckets/{name}/blob", params={"key": "src/a"}, content=b"a", headers=auth
    )
    assert put.status_code == 201


def test_operations_start_at_once_whichever_worker_took_the_request(
    two_workers: tuple[str, Path, int],
) -> None:
    """On SQLite only the leader runs operation workers: an operation created through the
    other worker wakes it through the data folder's socket instead of waiting for its poll
    (2 s: about half the operations waited 0-2 s before). On PostgreSQL every worker runs
    them."""
    api, data, _ = two_workers
    auth = {"Authorization": f"Bearer {(data / 'admin.token').read_text().strip()}"}
    _ops_bucket(api, auth, "ops")
    latencies = [copy_start_latency(api, auth, "ops", n) for n in range(10)]
    assert max(latencies) < 1.0, latencies


def test_operations_survive_the_death_of_the_leading_worker(
    two_workers: tuple[str, Path, int],
) -> None:
    """SIGKILL of the leading worker (its socket file stays behind): the other worker takes
    over within a poll and binds its own socket, uvicorn starts a new follower, and
    operations created through either start at once again. (PostgreSQL: every worker runs
    operations; the lock only moves at the next janitor round.)"""
    api, data, pid = two_workers
    auth = {"Authorization": f"Bearer {(data / 'admin.token').read_text().strip()}"}
    _ops_bucket(api, auth, "ops-leader")
    leader = int((data / "leader.lock").read_text())
    os.kill(leader, signal.SIGKILL)
    assert copy_start_latency(api, auth, "ops-leader", 0) < 5.0  # a poll (2 s) and the takeover
    deadline = time.monotonic() + 30
    while len(workers := _workers(pid)) < 2 or leader in {w.pid for w in workers}:
        assert time.monotonic() < deadline, "the dead worker was not replaced"
        time.sleep(0.2)
    if not os.environ.get(POSTGRES_ENV):  # SQLite: the new leader runs them, socket bound
        assert int((data / "leader.lock").read_text()) in {w.pid for w in workers}
        assert (data / "operations.wake").exists()
    while not is_up(api):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    latencies = [copy_start_latency(api, auth, "ops-leader", n) for n in range(1, 11)]
    assert max(latencies) < 1.0, latencies


# Last in this module: it kills the module's server (``two_workers``), whose teardown allows
# for that; a test using ``two_workers`` must come before it.
def test_workers_exit_when_the_server_is_killed(two_workers: tuple[str, Path, int]) -> None:
    """SIGKILL of the parent (no chance to stop its workers) leaves no worker on the port."""
    api, _, pid = two_workers
    workers = _workers(pid)
    assert len(workers) == 2
    os.kill(pid, signal.SIGKILL)
    _, alive = psutil.wait_procs(workers, timeout=20)
    assert not alive, f"workers still running: {alive}"
    assert not is_up(api)
