"""Where a Bucketry server spends its time per small request: a sampling profile of the real
server (every thread) while it takes many small PUTs and then serves full listings.

    .venv/bin/python scripts/bench/server_profile.py [--files 3000] [--file-kib 4]
        [--threads 8] [--interval-ms 2] [--top 35]

The server runs in a child process as ``bucketry-server serve`` would (same app, uvicorn with
httptools + uvloop) plus a sampler thread that reads ``sys._current_frames()`` every
``--interval-ms`` and counts, per phase, the stacks of threads that are not idle (idle = parked
in the event loop, a thread pool queue or a condition wait). A thread waiting for the GIL counts
as busy, so on two cores the shares are "where the threads are", not pure CPU. The client
(plain httpx, ``--threads`` threads on one pooled client) runs in this process and also prints:

* sequential latency of one PUT (ms, one connection) and throughput with ``--threads``;
* the server's CPU time per PUT and per listed entry (psutil);
* listing: pages of 1000 over all blobs, ms per page.

No py-spy needed; no server or SDK code is changed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import free_port, wait_http  # noqa: E402

IDLE_LEAVES = {
    ("runners.py", "run"),  # asyncio.run: the loop waits in C (epoll)
    ("base_events.py", "run_forever"),
    ("thread.py", "_worker"),  # concurrent.futures idle worker (queue.get in C)
    ("threading.py", "wait"),  # condition waits (anyio/starlette worker threads, queues)
    ("selectors.py", "select"),
    ("queue.py", "get"),
}


# -- inside the server process ---------------------------------------------------------------
class Sampler(threading.Thread):
    def __init__(self, interval: float, phase_file: Path) -> None:
        super().__init__(daemon=True, name="sampler")
        self.interval = interval
        self.phase_file = phase_file
        self.stop = threading.Event()
        # phase -> counters
        self.inclusive: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        self.leaf: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        self.samples: collections.Counter[str] = collections.Counter()
        self.busy: collections.Counter[str] = collections.Counter()

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stop.wait(self.interval):
            try:
                phase = self.phase_file.read_text().strip() or "idle"
            except OSError:
                phase = "idle"
            if phase == "dump":  # uvicorn re-raises SIGTERM after shutdown: dump before it
                self.dump(self.phase_file.with_name("profile.json"))
                return
            self.samples[phase] += 1
            for tid, frame in sys._current_frames().items():
                if tid == me:
                    continue
                stack = []
                f: Any = frame
                while f is not None:
                    code = f.f_code
                    stack.append((os.path.basename(code.co_filename), code.co_name, code))
                    f = f.f_back
                if not stack or (stack[0][0], stack[0][1]) in IDLE_LEAVES:
                    continue
                self.busy[phase] += 1
                seen = set()
                for _name, func, code in stack:
                    label = f"{_short(code.co_filename)}:{func}"
                    if label not in seen:
                        seen.add(label)
                        self.inclusive[phase][label] += 1
                self.leaf[phase][f"{_short(stack[0][2].co_filename)}:{stack[0][1]}"] += 1

    def dump(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "interval": self.interval,
                    "samples": self.samples,
                    "busy": self.busy,
                    "inclusive": {k: dict(v) for k, v in self.inclusive.items()},
                    "leaf": {k: dict(v) for k, v in self.leaf.items()},
                }
            )
        )


def _short(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("site-packages", "bucketry_server", "lib"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            return "/".join(parts[i + (1 if anchor != "bucketry_server" else 0) :])
    return Path(filename).name


def serve(argv: list[str]) -> None:
    data_dir, port, out, phase_file, interval = argv
    from bucketry_server.cli import main as server_main

    sampler = Sampler(float(interval), Path(phase_file))
    sampler.start()
    assert Path(out) == Path(phase_file).with_name("profile.json")
    server_main(
        [
            "serve",
            "--data-dir",
            data_dir,
            "--port",
            port,
            "--log-level",
            "warning",
            "--workers",
            "1",
        ]
    )


# -- the driver ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=3000, help="PUTs in the threaded phase")
    parser.add_argument("--file-kib", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--sequential", type=int, default=300, help="PUTs on one connection")
    parser.add_argument("--interval-ms", type=float, default=2.0)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    import httpx
    import psutil

    with tempfile.TemporaryDirectory(prefix="bkt-srvprof-") as tmp:
        tmpdir = Path(tmp)
        port = free_port()
        phase = tmpdir / "phase"
        phase.write_text("startup")
        out = tmpdir / "profile.json"
        proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--serve",
                str(tmpdir / "srv"),
                str(port),
                str(out),
                str(phase),
                str(args.interval_ms / 1000),
            ],
            stdout=subprocess.DEVNULL,
        )
        figures: dict[str, str] = {}
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/api/v1/health")
            token = (tmpdir / "srv" / "admin.token").read_text().strip()
            server = psutil.Process(proc.pid)
            auth = {"Authorization": f"Bearer {token}"}
            limits = httpx.Limits(
                max_connections=args.threads, max_keepalive_connections=args.threads
            )
            body = os.urandom(args.file_kib * 1024)
            with httpx.Client(base_url=url, headers=auth, timeout=60, limits=limits) as c:
                c.post("/api/v1/buckets", json={"name": "prof"}).raise_for_status()
                blob = "/api/v1/buckets/prof/blob"

                def cpu() -> float:
                    t = server.cpu_times()
                    return t.user + t.system

                phase.write_text("put-sequential")
                c0, t0 = cpu(), time.perf_counter()
                for i in range(args.sequential):
                    c.put(blob, params={"key": f"seq/{i:06d}"}, content=body).raise_for_status()
                wall, used = time.perf_counter() - t0, cpu() - c0
                figures["PUT, 1 connection, sequential"] = (
                    f"{wall / args.sequential * 1000:.2f} ms/PUT latency, server CPU "
                    f"{used / args.sequential * 1000:.2f} ms/PUT"
                )

                phase.write_text("put-threads")

                def put(i: int) -> None:
                    c.put(
                        blob, params={"key": f"par/d{i // 100:04d}/f{i % 100:04d}"}, content=body
                    ).raise_for_status()

                c0, t0 = cpu(), time.perf_counter()
                with ThreadPoolExecutor(args.threads) as pool:
                    list(pool.map(put, range(args.files)))
                wall, used = time.perf_counter() - t0, cpu() - c0
                figures[f"PUT, {args.threads} threads"] = (
                    f"{args.files / wall:.0f} PUT/s, server CPU {used / args.files * 1000:.2f} "
                    f"ms/PUT ({used / wall * 100:.0f}% of one core)"
                )

                phase.write_text("list")
                total = args.files + args.sequential
                c0, t0 = cpu(), time.perf_counter()
                pages = entries = 0
                for _ in range(3):
                    cursor = None
                    while True:
                        params: dict[str, Any] = {"page_size": 1000}
                        if cursor:
                            params["cursor"] = cursor
                        r = c.get("/api/v1/buckets/prof/blobs", params=params)
                        r.raise_for_status()
                        page = r.json()
                        pages += 1
                        entries += len(page["results"])
                        cursor = page.get("next_cursor")
                        if not cursor:
                            break
                wall, used = time.perf_counter() - t0, cpu() - c0
                figures["list, pages of 1000"] = (
                    f"{wall / pages * 1000:.1f} ms/page, {entries / wall:.0f} entries/s, server "
                    f"CPU {used / max(entries, 1) * 1e6:.1f} us/entry ({entries} entries of "
                    f"{3 * total} expected, {pages} pages)"
                )
                phase.write_text("dump")
                deadline = time.monotonic() + 30
                while not out.exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(0.2)  # let the write finish
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        profile = json.loads(out.read_text()) if out.exists() else None

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, text in figures.items():
        print(f"  {name}: {text}")
    if profile is None:
        print("(no profile written)")
        return
    for ph in ("put-sequential", "put-threads", "list"):
        busy = profile["busy"].get(ph, 0)
        if not busy:
            continue
        print(
            f"\n== phase {ph}: {profile['samples'].get(ph, 0)} ticks, {busy} busy thread "
            f"samples; inclusive share of busy samples (top {args.top}) =="
        )
        for label, n in sorted(profile["inclusive"][ph].items(), key=lambda kv: -kv[1])[: args.top]:
            print(f"  {n / busy * 100:5.1f}%  {label}")
        print("-- Bucketry server functions only (inclusive) --")
        own = [(k, v) for k, v in profile["inclusive"][ph].items() if k.startswith("bucketry_")]
        for label, n in sorted(own, key=lambda kv: -kv[1])[: args.top]:
            print(f"  {n / busy * 100:5.1f}%  {label}")
        print("-- leaf (Python frame on top; C calls are charged to their caller), top 20 --")
        for label, n in sorted(profile["leaf"][ph].items(), key=lambda kv: -kv[1])[:20]:
            print(f"  {n / busy * 100:5.1f}%  {label}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2:])
    else:
        main()
