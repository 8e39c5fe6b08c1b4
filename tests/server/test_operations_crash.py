"""A server killed with SIGKILL in the middle of a copy operation, restarted: the operation
completes (its chunk re-run from the checkpoint once the dead lease expires), never stuck
RUNNING, and no half-written blob is ever visible (issue 10)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import free_port

BIN = Path(sys.executable).parent
MiB = 1024 * 1024


def _serve(data: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            str(BIN / "bucketry-server"),
            "serve",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",  # one process: a crash point's SIGKILL ends the server
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _op(api: str, auth: dict[str, str], op_id: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{api}/operations/{op_id}", headers=auth).json()
    return body


@pytest.mark.slow
def test_sigkill_mid_copy_then_restart_completes(tmp_path: Path) -> None:
    data, root = tmp_path / "data", tmp_path / "root"
    (root / "out").mkdir(parents=True)
    env = {
        "BUCKETRY_FILESYSTEM_ROOTS": str(root),
        "BUCKETRY_OPERATION_LEASE_SECONDS": "2",
        "BUCKETRY_OPERATION_CHUNK_ITEMS": "2",
    }
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    proc = _serve(data, port, {**env, "BUCKETRY_TEST_CRASH_AT": "operation.copy.streaming"})
    try:
        auth = {"Authorization": f"Bearer {(data / 'admin.token').read_text().strip()}"}
        assert httpx.post(f"{api}/buckets", json={"name": "src"}, headers=auth).status_code == 201
        files = {
            "a.bin": b"a" * 1000,
            "b.bin": b"b" * 2000,
            "c.bin": os.urandom(3 * MiB),
            "d.bin": b"d" * 3000,
        }
        for key, content in files.items():
            r = httpx.put(
                f"{api}/buckets/src/blob", params={"key": key}, content=content, headers=auth
            )
            assert r.status_code == 201, r.text
        body = {"provider": "FILESYSTEM", "provider_bucket": str(root / "out"), "name": "out"}
        assert httpx.post(f"{api}/buckets/import", json=body, headers=auth).status_code == 201
        copy = {"kind": "COPY", "source": "bkt://src/", "destination": "bkt://out/"}
        r = httpx.post(f"{api}/operations", json=copy, headers=auth)
        assert r.status_code == 202, r.text
        op_id = r.json()["id"]
        assert proc.wait(timeout=30) == -signal.SIGKILL  # died streaming c.bin
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (root / "out" / "c.bin").exists()  # the interrupted blob is not visible
    proc = _serve(data, port, env)
    try:
        deadline = time.monotonic() + 30
        while (op := _op(api, auth, op_id))["status"] in ("PENDING", "RUNNING"):
            assert time.monotonic() < deadline, op
            time.sleep(0.2)
        assert op["status"] == "SUCCEEDED", op
        assert op["result"] == {
            "copied": 4,
            "skipped": 0,
            "bytes": sum(len(v) for v in files.values()),
        }
        for key, content in files.items():
            assert (root / "out" / key).read_bytes() == content
        listed = httpx.get(f"{api}/buckets/out/blobs", headers=auth).json()["results"]
        assert sorted(b["key"] for b in listed) == sorted(files)  # no temporary file shows
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_clean_shutdown_gives_running_chunks_back(tmp_path: Path) -> None:
    """A server stopped mid-copy releases its chunks (PENDING, checkpoint kept, the run not
    counted as an attempt); the next start resumes them at once (no lease to wait for)."""
    import asyncio

    from bucketry_server.accounts.users import create_user
    from bucketry_server.models import Operation, OperationChunk
    from tests.support.live_server import live_server

    data = tmp_path / "data"
    settings: dict[str, Any] = {
        "database_url": f"sqlite:///{data / 'ops.db'}",  # the same database after the restart
        "operation_workers": 1,
        "operation_chunk_items": 2,
        "operation_lease_seconds": 600.0,  # a restart that had to wait for it would time out
    }
    with live_server(data, **settings) as srv:
        _, token = create_user(srv.state.db, "stopper")
        auth = {"Authorization": f"Bearer {token}"}
        engine = srv.server.config.app.state.operations  # type: ignore[attr-defined]

        async def slow(_: str) -> None:
            await asyncio.sleep(0.2)

        engine.check_hook = slow
        assert (
            httpx.post(f"{srv.api}/buckets", json={"name": "stop-src"}, headers=auth).status_code
            == 201
        )
        for i in range(8):
            r = httpx.put(
                f"{srv.api}/buckets/stop-src/blob",
                params={"key": f"k{i}"},
                content=b"v",
                headers=auth,
            )
            assert r.status_code == 201
        copy = {"kind": "COPY", "source": "bkt://stop-src/", "destination": "bkt://stop-dst/"}
        assert (
            httpx.post(f"{srv.api}/buckets", json={"name": "stop-dst"}, headers=auth).status_code
            == 201
        )
        op_id = httpx.post(f"{srv.api}/operations", json=copy, headers=auth).json()["id"]
        deadline = time.monotonic() + 20
        while _op(srv.api, auth, op_id)["progress"]["done"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    with srv.state.db.session() as s:
        op = s.get(Operation, op_id)
        assert op is not None and op.status == "RUNNING"
        chunks = s.query(OperationChunk).filter_by(operation_id=op_id).all()
        assert chunks and all(c.status in ("PENDING", "DONE") for c in chunks)
        assert all(c.lease_owner is None for c in chunks)
        assert all(c.attempts == (1 if c.status == "DONE" else 0) for c in chunks)
    with live_server(data, **{**settings, "operation_workers": 2}) as srv:
        deadline = time.monotonic() + 20
        while (op_json := _op(srv.api, auth, op_id))["status"] == "RUNNING":
            assert time.monotonic() < deadline, op_json
            time.sleep(0.05)
        assert op_json["status"] == "SUCCEEDED", op_json
        assert op_json["result"] == {"copied": 8, "skipped": 0, "bytes": 8}
