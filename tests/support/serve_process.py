"""``bucketry-server serve`` as a subprocess on a free loopback port, for tests of what only
the real command line does (worker processes, uvicorn options)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from tests.support.live_server import free_port

BIN = Path(sys.executable).parent


def is_up(api: str) -> bool:
    """Whether the API at ``api`` answers its health check."""
    try:
        return httpx.get(api + "/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def served(
    data: Path,
    *args: str,
    env: dict[str, str] | None = None,
    ready: Callable[[int], bool] = lambda _pid: True,
    timeout: float = 60.0,
) -> Iterator[tuple[str, int]]:
    """Run ``serve --data-dir data --port <free> --log-level warning *args`` in its own
    process group until ``/health`` answers and ``ready(pid)`` holds; yields (API url, pid).
    The group is stopped (SIGTERM, then SIGKILL) on exit, even if a test killed part of it."""
    port = free_port()
    proc = subprocess.Popen(
        [
            *(str(BIN / "bucketry-server"), "serve", "--data-dir", str(data)),
            *("--port", str(port), "--log-level", "warning", *args),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env if env is not None else dict(os.environ),
    )
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + timeout
        while not ready(proc.pid) or not is_up(api):
            assert time.monotonic() < deadline, f"serve {' '.join(args)} did not start"
            time.sleep(0.1)
        yield api, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):  # a test may have killed them all
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
