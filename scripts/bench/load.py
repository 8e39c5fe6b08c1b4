"""A bounded mixed load on a real Bucketry server: ``--clients`` concurrent clients for
``--duration`` seconds, each doing one request after another (no think time), on loopback.

    .venv/bin/python scripts/bench/load.py [--clients 50] [--duration 60] [--workers N]
        [--seed-blobs 200] [--keys 2000] [--part-mib 5]

The workload (weights per request): list a page of 100 (15), small PUT of 4 KiB (30), small
GET (25), HEAD (20), and a multipart upload of two ``--part-mib`` parts (5: create, two parts,
complete, counted as one ``multipart`` request). PUTs overwrite one of ``--keys`` keys, so the
catalogue stays bounded. Prints requests/s, p50/p99 per kind, errors per kind (non-2xx or
transport errors) and the server process tree's RSS at start and end, plus the load average.

Goal (issue 12): 0 errors, p99 < 500 ms, RSS growth <= 50 MiB over the minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from common import MiB, bucketry_server, load_avg  # noqa: E402

BUCKET = "load"
WEIGHTS = {"list": 15, "put": 30, "get": 25, "head": 20, "multipart": 5}


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its children (the workers)."""
    p = psutil.Process(pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)])


class Load:
    """The clients' shared counters and the request kinds."""

    def __init__(self, c: httpx.AsyncClient, args: argparse.Namespace) -> None:
        self.c = c
        self.args = args
        self.small = os.urandom(4096)
        self.part = os.urandom(args.part_mib * MiB)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.first_error: dict[str, str] = {}
        self.blob = f"/buckets/{BUCKET}/blob"

    def key(self) -> str:
        return f"k/{random.randrange(self.args.seed_blobs):05d}"

    async def one(self, kind: str) -> None:
        """Do one request of ``kind`` and record its latency or its error."""
        start = time.perf_counter()
        try:
            ok = await getattr(self, f"do_{kind}")()
        except httpx.HTTPError as exc:
            ok, detail = False, repr(exc)
        else:
            detail = "non-2xx status"
        if ok:
            self.latency[kind].append(time.perf_counter() - start)
        else:
            self.errors[kind] += 1
            self.first_error.setdefault(kind, detail)

    async def do_list(self) -> bool:
        r = await self.c.get(f"/buckets/{BUCKET}/blobs", params={"page_size": 100})
        return r.is_success

    async def do_put(self) -> bool:
        key = f"k/{random.randrange(self.args.keys):05d}"
        return (await self.c.put(self.blob, params={"key": key}, content=self.small)).is_success

    async def do_get(self) -> bool:
        return (await self.c.get(self.blob, params={"key": self.key()})).is_success

    async def do_head(self) -> bool:
        return (await self.c.head(self.blob, params={"key": self.key()})).is_success

    async def do_multipart(self) -> bool:
        key = f"mp/{random.randrange(100):03d}"
        r = await self.c.post(f"/buckets/{BUCKET}/uploads", json={"key": key})
        if not r.is_success:
            return False
        up = f"/buckets/{BUCKET}/uploads/{r.json()['id']}"
        parts = []
        for n in (1, 2):
            got = await self.c.put(f"{up}/parts/{n}", content=self.part)
            if not got.is_success:
                return False
            parts.append({"part_number": n, "etag": got.json()["etag"]})
        return (await self.c.post(f"{up}/complete", json={"parts": parts})).is_success

    async def client(self, deadline: float) -> None:
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() < deadline:
            await self.one(random.choices(kinds, weights)[0])


async def run(url: str, token: str, pid: int, args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(
        base_url=url + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        limits=limits,
        timeout=60,
    ) as c:
        (await c.post("/buckets", json={"name": BUCKET})).raise_for_status()
        load = Load(c, args)
        for i in range(args.seed_blobs):
            r = await c.put(load.blob, params={"key": f"k/{i:05d}"}, content=load.small)
            r.raise_for_status()
        rss0, t0 = tree_rss(pid), time.perf_counter()
        deadline = time.monotonic() + args.duration
        await asyncio.gather(*(load.client(deadline) for _ in range(args.clients)))
        wall, rss1 = time.perf_counter() - t0, tree_rss(pid)
    report(load, wall, rss0, rss1)


def report(load: Load, wall: float, rss0: int, rss1: int) -> None:
    total = sum(len(v) for v in load.latency.values()) + sum(load.errors.values())
    print(f"{total} requests in {wall:.1f} s: {total / wall:.0f} requests/s; {load_avg()}")
    print(f"{'kind':<10} {'ok':>7} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in WEIGHTS:
        lat = sorted(load.latency.get(kind, []))
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
        print(f"{kind:<10} {len(lat):>7} {load.errors[kind]:>7} {p50:>8.1f} {p99:>8.1f}")
    for kind, detail in load.first_error.items():
        print(f"  first {kind} error: {detail}")
    print(
        f"server RSS: start {rss0 / MiB:.0f} MiB, end {rss1 / MiB:.0f} MiB, "
        f"growth {(rss1 - rss0) / MiB:+.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=0, help="server --workers (0: default)")
    parser.add_argument("--seed-blobs", type=int, default=200, help="blobs GET/HEAD read")
    parser.add_argument("--keys", type=int, default=2000, help="distinct keys PUT writes")
    parser.add_argument("--part-mib", type=int, default=5, help="multipart part size")
    args = parser.parse_args()
    if not (0 < args.clients <= 1000 and 0 < args.duration <= 3600):
        parser.error("--clients must be 1..1000 and --duration 1..3600 s")
    extra = ["--workers", str(args.workers)] if args.workers else []
    print(f"{args.clients} clients x {args.duration:.0f} s, workers {args.workers or 'default'}")
    with (
        tempfile.TemporaryDirectory(prefix="bkt-load-") as tmp,
        bucketry_server(Path(tmp) / "srv", extra) as (url, token, pid),
    ):
        asyncio.run(run(url, token, pid, args))


if __name__ == "__main__":
    main()
