"""One large download, SDK against raw single streams, with the CPU each side spends: figures
that stay meaningful on a busy machine, where wall times are not.

    .venv/bin/python scripts/bench/download_bench.py [--size-mib 1024] [--runs 5]

Variants (round-robin, one run of each per round, medians of ``--runs``), every one writing a
real file from the same Bucketry server on loopback:

- ``curl -> file`` and ``httpx iter_raw -> file`` (httpx's defaults: 64 KiB socket reads): the
  raw single streams;
- ``SDK download`` with its default CRC32C verified in the same pass, and with no checksum;
- ``SDK download, 64 KiB reads``: the same with a caller-built ``httpx.HTTPTransport`` (the SDK
  widens the reads of its own transport only, see ``bucketry._wide_reads``);
- ``ranges N x M MiB``: the alternative the SDK does not take (see ``transfer/downloads.py``):
  N threads GET ranges of M MiB of the pinned ETag over the SDK's connections, ``pwrite`` them
  and combine the ranges' CRC32C, as s3transfer downloads.

Printed per variant: MiB/s (median wall time), the ratio to the best raw stream, the client's
CPU seconds (user + system, its own ``getrusage``; curl's from ``RUSAGE_CHILDREN``), the
server's CPU seconds over the same run (its whole process tree), and the client's peak RSS.

Goal (issue 12): SDK with CRC32C >= 0.9x the best raw single stream, client RSS <= 100 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from common import (  # noqa: E402
    MiB,
    PeakRSS,
    bucketry_server,
    child_maxrss,
    load_avg,
    make_file,
    median,
    run_child,
)

BUCKET = "bench"
KEY = "download.bin"
GOAL_RATIO = 0.9
GOAL_RSS = 100 * MiB


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child(argv: list[str]) -> None:
    """One download in a fresh process; prints ``{"elapsed", "cpu", "maxrss"}``."""
    mode, url, token, out = argv[:4]
    options: dict[str, Any] = json.loads(argv[4]) if len(argv) > 4 else {}
    import httpx

    if mode == "httpx":
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=600, headers=auth) as client:
            start, cpu = time.perf_counter(), _cpu()
            blob = f"{url}/api/v1/buckets/{BUCKET}/blob"
            with client.stream("GET", blob, params={"key": KEY}) as r, open(out, "wb") as f:
                r.raise_for_status()
                for chunk in r.iter_raw():
                    f.write(chunk)
    elif mode == "ranged":
        from bucketry import Client

        with Client(url, token, progress=False) as client:
            bucket = client.buckets.get(BUCKET)
            start, cpu = time.perf_counter(), _cpu()
            ranged(client, bucket.ref, Path(out), options["streams"], options["range_mib"] * MiB)
    else:
        from bucketry import Client

        transport = httpx.HTTPTransport() if options.pop("narrow", False) else None
        with Client(url, token, progress=False, transport=transport) as client:
            bucket = client.buckets.get(BUCKET)
            start, cpu = time.perf_counter(), _cpu()
            bucket.download(KEY, Path(out), **options)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    print(json.dumps({"elapsed": elapsed, "cpu": cpu, "maxrss": child_maxrss()}))


def ranged(client: Any, ref: str, out: Path, streams: int, length: int) -> None:
    """The alternative to one stream, as s3transfer does it: ``streams`` threads GET ranges of
    ``length`` bytes of the pinned ETag over the SDK's connections (wide reads), write them
    with ``pwrite`` and combine the ranges' CRC32C into the blob's, which must match."""
    import os
    import threading

    from bucketry.transfer.crc import combine_all, crc32c, to_wire

    info = client.bucket(ref).blob(KEY).stat()
    spans = [(at, min(length, info.size - at)) for at in range(0, info.size, length)]
    crcs: list[tuple[int, int]] = [(0, 0)] * len(spans)
    todo = iter(range(len(spans)))
    lock = threading.Lock()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def worker() -> None:
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            at, n = spans[i]
            crc, pos = 0, at
            headers = {"Range": f"bytes={at}-{at + n - 1}", "If-Match": info.etag}
            blob = f"/buckets/{ref}/blob"
            with client.http.stream("GET", blob, params={"key": KEY}, headers=headers) as r:
                if r.status_code != 206:
                    raise RuntimeError(f"range GET answered {r.status_code}")
                for chunk in r.iter_raw():
                    os.pwrite(fd, chunk, pos)
                    pos += len(chunk)
                    crc = crc32c(chunk, crc)
            crcs[i] = (crc, n)

    try:
        threads = [threading.Thread(target=worker) for _ in range(streams)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        os.close(fd)
    if to_wire(combine_all(crcs)) != info.crc32c:
        raise RuntimeError("ranged download: CRC32C mismatch")


class Variant:
    def __init__(self, name: str, raw: bool, run: Callable[[], tuple[float, float, int]]) -> None:
        self.name, self.raw, self.run = name, raw, run
        self.times: list[float] = []
        self.cpus: list[float] = []
        self.server_cpus: list[float] = []
        self.rss = 0


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children so far."""
    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024, help="blob size (default 1024)")
    parser.add_argument("--runs", type=int, default=5, help="runs per variant (median)")
    args = parser.parse_args()
    size = args.size_mib * MiB
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    with tempfile.TemporaryDirectory(prefix="bkt-dlbench-") as tmp:
        tmpdir = Path(tmp)
        src = make_file(tmpdir / "payload.bin", size)
        out = tmpdir / "out.bin"
        with bucketry_server(tmpdir / "srv") as (url, token, pid):
            from bucketry import Client

            with Client(url, token, progress=False) as client:
                client.buckets.create(BUCKET)
                client.buckets.get(BUCKET).upload(src, KEY)
            src.unlink()

            def python(mode: str, **options: Any) -> Callable[[], tuple[float, float, int]]:
                def run() -> tuple[float, float, int]:
                    argv = [*me, mode, url, token, str(out), json.dumps(options)]
                    result, peak = run_child(argv, timeout=1800)
                    return result["elapsed"], result["cpu"], peak

                return run

            def curl() -> tuple[float, float, int]:
                blob = f"{url}/api/v1/buckets/{BUCKET}/blob?key={KEY}"
                argv = ["curl", "-sS", "--fail", "-H", f"Authorization: Bearer {token}"]
                start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
                proc = subprocess.Popen([*argv, "-o", str(out), blob])
                with PeakRSS(proc.pid) as rss:
                    proc.wait()
                if proc.returncode:
                    raise RuntimeError(f"curl failed: {proc.returncode}")
                elapsed = time.perf_counter() - start
                return elapsed, _cpu(resource.RUSAGE_CHILDREN) - cpu, rss.peak

            variants = [
                Variant("curl -> file", True, curl),
                Variant("httpx iter_raw -> file", True, python("httpx")),
                Variant("SDK download, crc32c (default)", False, python("sdk")),
                Variant("SDK download, no checksum", False, python("sdk", checksum=False)),
                Variant("SDK download, crc32c, 64 KiB reads", False, python("sdk", narrow=True)),
                Variant(
                    "ranges 2 x 64 MiB, crc32c", False, python("ranged", streams=2, range_mib=64)
                ),
                Variant(
                    "ranges 4 x 16 MiB, crc32c", False, python("ranged", streams=4, range_mib=16)
                ),
            ]
            load_before = load_avg()
            for r in range(args.runs):
                for v in variants:
                    out.unlink(missing_ok=True)
                    os.sync()  # untimed: each variant starts with no dirty pages to flush
                    server_cpu = _tree_cpu(pid)
                    elapsed, cpu, peak = v.run()
                    v.server_cpus.append(_tree_cpu(pid) - server_cpu)
                    v.times.append(elapsed)
                    v.cpus.append(cpu)
                    v.rss = max(v.rss, peak)
                print(f"  round {r + 1}/{args.runs} done; {load_avg()}", file=sys.stderr)
            load_after = load_avg()
    report(args, size, variants, load_before, load_after)


def report(
    args: argparse.Namespace, size: int, variants: list[Variant], before: str, after: str
) -> None:
    """Print the table (medians) and the verdict of each SDK variant."""
    print(f"\n== download, {args.size_mib} MiB, median of {args.runs} runs, loopback ==")
    print(f"before: {before}\nafter:  {after}")
    best = min((v for v in variants if v.raw), key=lambda v: median(v.times))
    best_t = median(best.times)
    print(f"best raw single stream: {best.name} ({size / best_t / MiB:.0f} MiB/s)")
    print(
        f"  {'variant':36s} {'MiB/s':>6s} {'runs s':>26s} {'vs best':>8s} "
        f"{'client CPU s':>12s} {'server CPU s':>12s} {'peak RSS':>9s}"
    )
    for v in variants:
        t = median(v.times)
        verdict = ""
        if not v.raw:
            ok = best_t / t >= GOAL_RATIO and v.rss <= GOAL_RSS
            verdict = "  ok" if ok else "  MISS"
        runs = " ".join(f"{x:.2f}" for x in v.times)
        print(
            f"  {v.name:36s} {size / t / MiB:6.0f} {runs:>26s} {best_t / t:7.2f}x "
            f"{median(v.cpus):12.2f} {median(v.server_cpus):12.2f} {v.rss / MiB:6.0f} MiB"
            f"{verdict}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
