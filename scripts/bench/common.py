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
from dataclasses import dataclass
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


def _label(proc: psutil.Process, root: int) -> str:
    """A short name for a process of a server tree: parent, worker, resource tracker..."""
    if proc.pid == root:
        return "parent"
    try:
        line = " ".join(proc.cmdline())
    except psutil.Error:
        return "gone"
    if "spawn_main" in line:
        return "worker"
    if "resource_tracker" in line:
        return "resource tracker"
    return proc.name()


@dataclass
class ProcessPeak:
    """The peaks of one process of a sampled tree (bytes)."""

    label: str
    rss: int = 0
    pss: int = 0


def tree_memory(pid: int) -> list[tuple[int, str, int, int, int]]:
    """``(pid, label, rss, pss, uss)`` of every process of the tree rooted at ``pid`` now (PSS
    and USS read from ``/proc/<pid>/smaps_rollup``: a few ms per process)."""
    root = psutil.Process(pid)
    out = []
    for proc in [root, *root.children(recursive=True)]:
        try:
            m = proc.memory_full_info()
        except psutil.Error:
            continue
        out.append((proc.pid, _label(proc, pid), m.rss, getattr(m, "pss", 0), m.uss))
    return out


def format_tree(rows: list[tuple[int, str, int, int, int]]) -> str:
    """One line of :func:`tree_memory` figures: the sums, then each process."""
    rss, pss, uss = (sum(r[i] for r in rows) // MiB for i in (2, 3, 4))
    each = ", ".join(f"{r[1]} {r[0]}: rss {r[2] // MiB} pss {r[3] // MiB}" for r in rows)
    return f"RSS sum {rss} MiB, PSS {pss} MiB, USS {uss} MiB ({each})"


class PeakRSS:
    """Samples the memory of a process tree (a server and its workers) in a thread.

    * ``peak``: the highest SUM of the tree's RSS, sampled every ``interval`` s. RSS counts a
      page once per process mapping it (shared libraries, copy-on-write pages of a fork), so
      for a multi-process server the sum overstates what it costs.
    * ``peak_pss``: the highest sum of the tree's PSS (proportional set size: a page shared by
      n processes counts 1/n in each), sampled every ``pss_interval`` s (reading it costs a
      few ms per process): the honest figure of the memory the server costs.
    * ``processes``: per pid, its label (parent, worker, resource tracker) and own peaks.
    """

    def __init__(self, pid: int, interval: float = 0.02, pss_interval: float = 0.25) -> None:
        self.pid = pid
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.pss_interval = pss_interval
        self.peak = 0
        self.peak_pss = 0
        self.processes: dict[int, ProcessPeak] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, with_pss: bool) -> None:
        total = total_pss = 0
        for proc in [self.proc, *self.proc.children(recursive=True)]:
            try:
                m = proc.memory_full_info() if with_pss else proc.memory_info()
            except psutil.Error:
                continue  # a process that ended between the listing and the read
            seen = self.processes.get(proc.pid)
            if seen is None:
                seen = self.processes[proc.pid] = ProcessPeak(_label(proc, self.pid))
            seen.rss = max(seen.rss, m.rss)
            total += m.rss
            if with_pss:
                pss = getattr(m, "pss", 0)
                seen.pss = max(seen.pss, pss)
                total_pss += pss
        self.peak = max(self.peak, total)
        self.peak_pss = max(self.peak_pss, total_pss)

    def _run(self) -> None:
        next_pss = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                self._sample(with_pss=now >= next_pss)
            except psutil.Error:
                return  # the root process is gone
            if now >= next_pss:
                next_pss = now + self.pss_interval
            time.sleep(self.interval)

    def per_process(self) -> str:
        """The per-process peaks on one line (MiB)."""
        return ", ".join(
            f"{p.label} {pid}: rss {p.rss // MiB} pss {p.pss // MiB}"
            for pid, p in sorted(self.processes.items())
        )

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        try:
            self._sample(with_pss=True)  # the end state counts too (short runs)
        except psutil.Error:
            pass  # the server is gone


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
