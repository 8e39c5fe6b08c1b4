"""An imported S3_COMPATIBLE bucket (SeaweedFS) through Bucketry vs boto3 straight to SeaweedFS,
in one run: listing ``--objects`` keys (``bucket.list()`` lazy pages vs boto3's
ListObjectsV2 paginator), and a ``--size-mib`` download and upload (``bucket.download``/
``bucket.upload`` through the server vs boto3 ``download_file``/``upload_file``; with
``--direct`` also the SDK's direct path, when the SDK has ``direct=True``).

    .venv/bin/python scripts/bench/imported_bench.py [--objects 100000] [--size-mib 1024]
        [--runs 3] [--seed-threads 32] [--direct] [--skip-transfers] [--skip-listing]

SeaweedFS (``weed mini``, tests/support/seaweed.py) and a ``bucketry-server`` subprocess
(``--allowed-networks 127.0.0.0/8``) run on loopback; the objects are seeded with boto3 from
many threads. Variants run round-robin (one run of each per round) so background load hits
them alike; every figure is the median of ``--runs``. Each client run is a fresh child
process whose tree is sampled for RSS (it also reports its own peak).

Goals (issue 9): listing through the SDK >= 0.8x boto3's speed; 1 GiB through the server
>= 0.6x boto3, direct >= 0.9x, SDK client RSS <= 100 MiB. The transfers alone
(``--skip-listing``, 1 GiB, 3 runs) take under 3 minutes on a quiet machine.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import (  # noqa: E402
    MiB,
    PeakRSS,
    bucketry_server,
    child_maxrss,
    load_avg,
    load_seaweed,
    make_file,
    median,
    run_child,
)

S3_BUCKET = "bench"
NAME = "imported"
LIST_PREFIX = "list/"
DOWN_KEY = "big/download.bin"
UP_KEY = "big/upload.bin"
GOAL_LIST = 0.8
GOAL_PROXIED = 0.6
GOAL_DIRECT = 0.9
GOAL_RSS_MIB = 100


def s3_client(conf: dict[str, str], threads: int = 10) -> Any:
    """A boto3 S3 client for the SeaweedFS of ``conf`` (endpoint, access, secret)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=conf["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=conf["access"],
        aws_secret_access_key=conf["secret"],
        config=Config(max_pool_connections=threads),
    )


def sdk_has_direct() -> bool:
    """Whether the SDK's transfers take ``direct=True`` (an option being added in parallel)."""
    from bucketry import Bucket, TransferOptions

    fields = getattr(TransferOptions, "__dataclass_fields__", {})
    return "direct" in fields or "direct" in inspect.signature(Bucket.download).parameters


# -- child processes (one measured operation each, JSON on stdout) ----------------------------
def child(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--conf", required=True)
    p.add_argument("--path", default="")
    a = p.parse_args(argv)
    conf: dict[str, str] = json.loads(a.conf)
    path = Path(a.path)
    count = 0
    if a.mode.startswith("sdk"):
        from bucketry import Client

        with Client(conf["url"], conf["token"], progress=False) as client:
            bucket = client.buckets.get(NAME)
            extra: dict[str, Any] = {"direct": True} if a.mode.endswith("direct") else {}
            start = time.perf_counter()
            if a.mode == "sdk-list":
                for _ in bucket.list(LIST_PREFIX, page_size=1000):
                    count += 1
            elif a.mode.startswith("sdk-download"):
                bucket.download(DOWN_KEY, path, **extra)
            else:
                bucket.upload(path, UP_KEY, **extra)
            elapsed = time.perf_counter() - start
    else:
        s3 = s3_client(conf)
        start = time.perf_counter()
        if a.mode == "boto3-list":
            pages = s3.get_paginator("list_objects_v2").paginate(
                Bucket=S3_BUCKET, Prefix=LIST_PREFIX, PaginationConfig={"PageSize": 1000}
            )
            for page in pages:
                count += len(page.get("Contents", []))
        elif a.mode == "boto3-download":
            s3.download_file(S3_BUCKET, DOWN_KEY, str(path))
        else:
            s3.upload_file(str(path), S3_BUCKET, UP_KEY)
        elapsed = time.perf_counter() - start
    print(json.dumps({"elapsed": elapsed, "count": count, "maxrss": child_maxrss()}))


# -- the parent -----------------------------------------------------------------------------------
class Variant:
    def __init__(self, name: str, group: str, base: bool, run: Callable[[], tuple[float, int]]):
        self.name, self.group, self.base, self.run = name, group, base, run
        self.times: list[float] = []
        self.rss = 0


def seed(conf: dict[str, str], objects: int, threads: int, big: Path | None) -> float:
    """Create the S3 bucket, ``objects`` small keys under LIST_PREFIX and (if given) the big
    download object; returns the seconds the small keys took."""
    s3 = s3_client(conf, threads)
    for attempt in range(50):  # the first write may wait for a volume
        try:
            s3.create_bucket(Bucket=S3_BUCKET)
            break
        except Exception:
            if attempt == 49:
                raise
            time.sleep(0.2)
    start = time.perf_counter()

    def put(i: int) -> None:
        s3.put_object(Bucket=S3_BUCKET, Key=f"{LIST_PREFIX}{i // 1000:04d}/{i:07d}.txt", Body=b"x")

    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(put, range(objects), chunksize=256):
            pass
    took = time.perf_counter() - start
    if big is not None:
        s3.upload_file(str(big), S3_BUCKET, DOWN_KEY)
    return took


def import_bucket(url: str, token: str, conf: dict[str, str]) -> None:
    from bucketry import Client

    with Client(url, token, progress=False) as client:
        client.buckets.import_external(
            provider="S3_COMPATIBLE",
            provider_bucket_name=S3_BUCKET,
            endpoint_url=conf["endpoint"],
            region="us-east-1",
            credentials={"access_key_id": conf["access"], "secret_access_key": conf["secret"]},
            name=NAME,
        )


def variants(args: argparse.Namespace, conf: dict[str, str], tmpdir: Path) -> list[Variant]:
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    src, out = tmpdir / "payload.bin", tmpdir / "out.bin"
    expected = args.objects

    def child_run(mode: str, path: Path | None = None) -> Callable[[], tuple[float, int]]:
        def run() -> tuple[float, int]:
            out.unlink(missing_ok=True)
            cmd = [*me, mode, "--conf", json.dumps(conf), "--path", str(path or "")]
            result, peak = run_child(cmd, timeout=3600)
            if mode.endswith("list") and result["count"] != expected:
                raise RuntimeError(f"{mode} listed {result['count']} keys, not {expected}")
            return result["elapsed"], peak

        return run

    found: list[Variant] = []
    if not args.skip_listing:
        found += [
            Variant("boto3 paginator (1000/page)", "list", True, child_run("boto3-list")),
            Variant("SDK bucket.list() via server", "list", False, child_run("sdk-list")),
        ]
    if not args.skip_transfers:
        direct = args.direct and args.has_direct
        found += [
            Variant("boto3 download_file", "download", True, child_run("boto3-download", out)),
            Variant("SDK download via server", "download", False, child_run("sdk-download", out)),
            Variant("boto3 upload_file", "upload", True, child_run("boto3-upload", src)),
            Variant("SDK upload via server", "upload", False, child_run("sdk-upload", src)),
        ]
        if direct:
            found.insert(-2, Variant("SDK download direct", "download", False,
                                     child_run("sdk-download-direct", out)))  # fmt: skip
            found.append(
                Variant("SDK upload direct", "upload", False, child_run("sdk-upload-direct", src))
            )
    return found


def report(args: argparse.Namespace, found: list[Variant], loads: tuple[str, str]) -> None:
    size = args.size_mib * MiB
    print(f"\n== imported S3_COMPATIBLE bucket (SeaweedFS), median of {args.runs} runs ==")
    print(f"before: {loads[0]}\nafter:  {loads[1]}")
    for group in ("list", "download", "upload"):
        members = [v for v in found if v.group == group]
        if not members:
            continue
        base = next(v for v in members if v.base)
        base_t = median(base.times)
        what = f"{args.objects} keys" if group == "list" else f"{args.size_mib} MiB"
        print(f"\n{group} ({what}), ratio = speed vs {base.name}")
        print(f"  {'variant':32s} {'rate':>14s} {'median s':>9s} {'runs s':>20s} "
              f"{'ratio':>7s} {'peak RSS':>9s}")  # fmt: skip
        for v in members:
            t = median(v.times)
            rate = (
                f"{args.objects / t:8.0f} keys/s"
                if group == "list"
                else f"{size / t / MiB:7.0f} MiB/s"
            )
            verdict = ""
            if not v.base:
                goal = GOAL_LIST if group == "list" else GOAL_PROXIED
                goal = GOAL_DIRECT if v.name.endswith("direct") else goal
                ok = base_t / t >= goal and (group == "list" or v.rss <= GOAL_RSS_MIB * MiB)
                verdict = "  ok" if ok else "  MISS"
            runs = " ".join(f"{x:.2f}" for x in v.times)
            print(f"  {v.name:32s} {rate:>14s} {t:9.2f} {runs:>20s} {base_t / t:6.2f}x "
                  f"{v.rss / MiB:5.0f} MiB{verdict}")  # fmt: skip
    if args.direct and not args.has_direct:
        print("\n--direct: skipped, this SDK has no direct=True transfer option")
    print(
        f"\ngoals: SDK listing >= {GOAL_LIST}x boto3's speed; transfers via the server >= "
        f"{GOAL_PROXIED}x, direct >= {GOAL_DIRECT}x, SDK RSS <= {GOAL_RSS_MIB} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=100_000, help="keys to list (100000)")
    parser.add_argument("--size-mib", type=int, default=1024, help="transfer size (1024)")
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (median)")
    parser.add_argument("--seed-threads", type=int, default=32, help="boto3 seeding threads")
    parser.add_argument("--direct", action="store_true", help="also the SDK's direct path")
    parser.add_argument("--skip-listing", action="store_true")
    parser.add_argument("--skip-transfers", action="store_true")
    args = parser.parse_args()
    args.has_direct = sdk_has_direct()
    seaweed = load_seaweed()
    with tempfile.TemporaryDirectory(prefix="bkt-impbench-") as tmp:
        tmpdir = Path(tmp)
        big = None
        if not args.skip_transfers:
            big = make_file(tmpdir / "payload.bin", args.size_mib * MiB)
        (tmpdir / "weed").mkdir()
        with (
            seaweed.start_seaweedfs(tmpdir / "weed") as s3,
            bucketry_server(tmpdir / "srv", ["--allowed-networks", "127.0.0.0/8"]) as (
                url,
                token,
                pid,
            ),
        ):
            conf = {"endpoint": s3.endpoint_url, "access": s3.access_key, "secret": s3.secret_key}
            conf |= {"url": url, "token": token}
            keys = 0 if args.skip_listing else args.objects
            took = seed(conf, keys, args.seed_threads, big)
            print(f"seeded {keys} keys in {took:.1f} s; {load_avg()}", file=sys.stderr)
            import_bucket(url, token, conf)
            found = variants(args, conf, tmpdir)
            load_before = load_avg()
            with PeakRSS(pid) as server_rss:
                for r in range(args.runs):
                    for v in found:
                        elapsed, peak = v.run()
                        v.times.append(elapsed)
                        v.rss = max(v.rss, peak)
                    print(f"  round {r + 1}/{args.runs} done; {load_avg()}", file=sys.stderr)
            load_after = load_avg()
    report(args, found, (load_before, load_after))
    print(f"server peak RSS {server_rss.peak / MiB:.0f} MiB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
