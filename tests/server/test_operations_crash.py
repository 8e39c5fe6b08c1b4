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
