"""Shared benchmark plumbing: start servers on loopback, time commands, sample peak RSS."""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def bucketry_server(
    data_dir: Path, extra: list[str] | None = None
) -> Iterator[tuple[str, str, int]]:
    """(root url, admin token, pid) of a real server subprocess (SQLite + local folder);
    ``extra``: more ``serve`` arguments (e.g. ``--allowed-networks 127.0.0.0/8``)."""
    port = free_port()
    exe = str(Path(sys.executable).with_name("bucketry-server"))
    args = [exe, "serve", "--data-dir", str(data_dir), "--port", str(port)]
    with process([*args, "--log-level", "warning", *(extra or [])]) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/api/v1/health")
        token = (data_dir / "admin.token").read_text().strip()
        yield url, token, proc.pid


class PeakRSS:
    """Samples a process tree's resident memory in a thread; ``peak`` in bytes."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.proc.memory_info().rss
                rss += sum(c.memory_info().rss for c in self.proc.children(recursive=True))
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn: Callable[[], object], runs: int) -> float:
    """Median seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_file(path: Path, size: int) -> Path:
    if not path.exists() or path.stat().st_size != size:
        block = os.urandom(MiB)
        with open(path, "wb") as f:
            for _ in range(size // MiB):
                f.write(block)
            f.write(block[: size % MiB])
    return path


def curl(*args: str) -> None:
    subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", *args], check=True)


def load_avg() -> str:
    """The 1/5/15-minute load averages, to print next to the figures (2-core machines are
    easily disturbed by other work)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def run_child(
    args: list[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> tuple[dict[str, Any], int]:
    """Run ``args`` (a Python child printing one JSON object as its last stdout line) while
    sampling its process tree's RSS; returns (that object, peak RSS in bytes).

    The peak is the larger of the sampled RSS and the child's own ``ru_maxrss`` if it reports
    one as ``"maxrss"`` (bytes), so short spikes between two samples are not missed."""
    proc = subprocess.Popen(
        args, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        with PeakRSS(proc.pid) as rss:
            out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed ({proc.returncode}):\n{err.decode(errors='replace')}")
    lines = [line for line in out.decode().splitlines() if line.strip()]
    result: dict[str, Any] = json.loads(lines[-1])
    return result, max(rss.peak, int(result.get("maxrss", 0)))


def child_maxrss() -> int:
    """This process's peak RSS in bytes: ``VmHWM`` (reset by exec; ``ru_maxrss`` is not, so
    in a child it can report the forking parent's size), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def median(values: list[float]) -> float:
    return statistics.median(values)


def load_seaweed() -> Any:
    """``tests/support/seaweed.py`` as a module (``start_seaweedfs(tmpdir)``), without
    importing the test package."""
    path = Path(__file__).resolve().parents[2] / "tests" / "support" / "seaweed.py"
    spec = importlib.util.spec_from_file_location("bucketry_bench_seaweed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def require_tool(name: str) -> str:
    """The path of an external command, or exit with a hint."""
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} not found (Debian: apt-get install -y rclone awscli)")
    return found
