"""A bounded mixed load on a real Bucketry server: ``--clients`` concurrent clients for
``--duration`` seconds, each doing one request after another (no think time), on loopback.

    .venv/bin/python scripts/bench/load.py [--clients 50] [--duration 60] [--workers N]
        [--seed-blobs 200] [--keys 2000] [--part-mib 5] [--client raw|httpx]
        [--kinds list,put,get,head,multipart] [--pause S]

The workload (weights per request): list a page of 100 (15), small PUT of 4 KiB (30), small
GET (25), HEAD (20), and a multipart upload of two ``--part-mib`` parts (5: create, two parts,
complete, counted as one ``multipart`` request); ``--kinds`` keeps only the kinds named (with
their weights), e.g. ``--kinds list`` to measure the server CPU of one kind alone. PUTs overwrite one of ``--keys`` keys, so the
catalogue stays bounded. Prints requests/s, p50/p99 per kind and a latency histogram, errors
per kind (non-2xx or transport errors), the p50/p99 of the multipart kind's steps
(mp.create, mp.part, mp.complete), the CPU seconds per request of the server process tree
and of this load generator, and the server's RSS at start and end, plus the load average.

Two clients, both 50 concurrent closed-loop clients with the same workload on keep-alive
HTTP/1.1 connections:

* ``raw`` (default): each client owns one connection (asyncio streams on uvloop, a minimal
  HTTP/1.1 reader). It costs a fraction of httpx's CPU per request, so on a small machine the
  figures are the server's, not the load generator's (it shares the same cores).
* ``httpx``: one ``httpx.AsyncClient`` pool shared by the clients (the first version of this
  benchmark). httpx's async pool spends several ms of CPU per request at this concurrency, so
  on 2 cores it takes CPU from the server and its figures include that.

Goal (issue 12): 0 errors, p99 < 500 ms, RSS growth <= 50 MiB over the minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from common import MiB, bucketry_server, load_avg  # noqa: E402

BUCKET = "load"
WEIGHTS = {"list": 15, "put": 30, "get": 25, "head": 20, "multipart": 5}
#: Upper bounds (ms) of the latency histogram's buckets.
BUCKETS_MS = (10, 25, 50, 100, 250, 500, 1000, 2500)


def tree_cpu(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process and its live children (the workers)."""
    user = system = 0.0
    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return user, system
    for q in procs:
        try:
            t = q.cpu_times()
        except psutil.Error:
            continue
        user, system = user + t.user, system + t.system
    return user, system


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its children (the workers)."""
    p = psutil.Process(pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)])


class RawConnection:
    """One keep-alive HTTP/1.1 connection: requests one after another, reconnecting after the
    server closes it. Reads ``Content-Length`` and chunked bodies."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path
        common = {"Host": f"{self.host}:{self.port}", **headers}
        self.head = "".join(f"{k}: {v}\r\n" for k, v in common.items())
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request and read its answer: (status, body); a body that is not a PUT's
        is JSON."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        reader, writer = self.streams
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        kind = "Content-Type: application/json\r\n" if body and method != "PUT" else ""
        head = f"{method} {target} HTTP/1.1\r\n{self.head}{kind}Content-Length: {len(body)}\r\n\r\n"
        try:
            writer.write(head.encode() + body if len(body) < 65536 else head.encode())
            if len(body) >= 65536:
                writer.write(body)
            status, close, data = await self._answer(reader, method == "HEAD")
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, data

    async def _answer(
        self, reader: asyncio.StreamReader, head_only: bool
    ) -> tuple[int, bool, bytes]:
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        close = fields.get("connection", "").lower() == "close"
        if head_only or status in (204, 304):
            return status, close, b""
        if fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size + 2))
            await reader.readuntil(b"\r\n")
            return status, close, b"".join(c[:-2] for c in chunks)
        return status, close, await reader.readexactly(int(fields.get("content-length", 0)))

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


class HttpxConnection:
    """The same interface over one shared ``httpx.AsyncClient`` pool."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.c = client

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request through the pool: (status, body); a body that is not a PUT's is
        JSON."""
        json_type = {"Content-Type": "application/json"} if body and method != "PUT" else None
        r = await self.c.request(
            method, path, params=params, content=body or None, headers=json_type
        )
        return r.status_code, r.content

    def close(self) -> None:
        pass


Connection = RawConnection | HttpxConnection


class Load:
    """The clients' shared counters and the request kinds."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.small = os.urandom(4096)
        self.part = os.urandom(args.part_mib * MiB)
        self.latency: dict[str, list[float]] = defaultdict(list)
        #: Latency of each step of the ``multipart`` kind (create, each part, complete).
        self.steps: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.first_error: dict[str, str] = {}
        self.blob = f"/buckets/{BUCKET}/blob"
        self.weights = {k: WEIGHTS[k] for k in args.kinds}

    def key(self) -> str:
        return f"k/{random.randrange(self.args.seed_blobs):05d}"

    async def one(self, c: Connection, kind: str) -> None:
        """Do one request of ``kind`` and record its latency or its error."""
        start = time.perf_counter()
        try:
            ok = await getattr(self, f"do_{kind}")(c)
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            ok, detail = False, repr(exc)
        else:
            detail = "non-2xx status"
        if ok:
            self.latency[kind].append(time.perf_counter() - start)
        else:
            self.errors[kind] += 1
            self.first_error.setdefault(kind, detail)

    async def do_list(self, c: Connection) -> bool:
        status, _ = await c.request("GET", f"/buckets/{BUCKET}/blobs", {"page_size": 100})
        return status < 300

    async def do_put(self, c: Connection) -> bool:
        key = f"k/{random.randrange(self.args.keys):05d}"
        return (await c.request("PUT", self.blob, {"key": key}, self.small))[0] < 300

    async def do_get(self, c: Connection) -> bool:
        return (await c.request("GET", self.blob, {"key": self.key()}))[0] < 300

    async def do_head(self, c: Connection) -> bool:
        return (await c.request("HEAD", self.blob, {"key": self.key()}))[0] < 300

    async def do_multipart(self, c: Connection) -> bool:
        key = f"mp/{random.randrange(100):03d}"
        body = json.dumps({"key": key}).encode()
        status, body = await self._step(c, "create", "POST", f"/buckets/{BUCKET}/uploads", body)
        if status >= 300:
            return False
        up = f"/buckets/{BUCKET}/uploads/{json.loads(body)['id']}"
        parts = []
        for n in (1, 2):
            status, body = await self._step(c, "part", "PUT", f"{up}/parts/{n}", self.part)
            if status >= 300:
                return False
            parts.append({"part_number": n, "etag": json.loads(body)["etag"]})
        done = json.dumps({"parts": parts}).encode()
        return (await self._step(c, "complete", "POST", f"{up}/complete", done))[0] < 300

    async def _step(
        self, c: Connection, step: str, method: str, path: str, body: bytes
    ) -> tuple[int, bytes]:
        """One request of a multipart upload, its latency recorded under ``step`` if 2xx."""
        start = time.perf_counter()
        status, answer = await c.request(method, path, None, body)
        if status < 300:
            self.steps[step].append(time.perf_counter() - start)
        return status, answer

    async def client(self, c: Connection, deadline: float) -> None:
        kinds, weights = list(self.weights), list(self.weights.values())
        try:
            while time.monotonic() < deadline:
                await self.one(c, random.choices(kinds, weights)[0])
        finally:
            c.close()


async def run(url: str, token: str, pid: int, args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=url + "/api/v1", headers=headers, limits=limits, timeout=60
    ) as c:
        (await c.post("/buckets", json={"name": BUCKET})).raise_for_status()
        load = Load(args)
        for i in range(args.seed_blobs):
            r = await c.put(load.blob, params={"key": f"k/{i:05d}"}, content=load.small)
            r.raise_for_status()
        if args.client == "raw":
            conns: list[Connection] = [
                RawConnection(url + "/api/v1", headers) for _ in range(args.clients)
            ]
        else:
            conns = [HttpxConnection(c)] * args.clients
        if args.pause:  # time to attach a profiler (py-spy) to the server tree
            print(f"server pid {pid}; starting in {args.pause:.0f} s", flush=True)
            await asyncio.sleep(args.pause)
        rss0, t0 = tree_rss(pid), time.perf_counter()
        cpu0, me0 = tree_cpu(pid), _own_cpu()
        deadline = time.monotonic() + args.duration
        await asyncio.gather(*(load.client(conn, deadline) for conn in conns))
        wall, rss1 = time.perf_counter() - t0, tree_rss(pid)
        (user1, sys1), (user0, sys0) = tree_cpu(pid), cpu0
        cpu = (user1 - user0, sys1 - sys0, _own_cpu() - me0)
    report(load, wall, (rss0, rss1), cpu)


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def report(load: Load, wall: float, rss: tuple[int, int], cpu: tuple[float, float, float]) -> None:
    total = sum(len(v) for v in load.latency.values()) + sum(load.errors.values())
    print(f"{total} requests in {wall:.1f} s: {total / wall:.0f} requests/s; {load_avg()}")
    print(f"{'kind':<12} {'ok':>7} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}  requests <= ms:")
    print(f"{'':<45}" + "".join(f"{b:>6}" for b in BUCKETS_MS) + "  more")
    for kind in load.weights:
        _row(kind, load.latency.get(kind, []), load.errors[kind])
    for step in ("create", "part", "complete"):  # the multipart kind's steps, ok ones only
        _row(f" mp.{step}", load.steps.get(step, []), None)
    for kind, detail in load.first_error.items():
        print(f"  first {kind} error: {detail}")
    user, system, client = cpu
    server = user + system
    print(
        f"CPU per request: server {server / max(total, 1) * 1000:.2f} ms "
        f"(user {user / max(total, 1) * 1000:.2f}, system {system / max(total, 1) * 1000:.2f}) "
        f"({server / wall:.2f} cores), load generator {client / max(total, 1) * 1000:.2f} ms "
        f"({client / wall:.2f} cores)"
    )
    print(
        f"server RSS: start {rss[0] / MiB:.0f} MiB, end {rss[1] / MiB:.0f} MiB, "
        f"growth {(rss[1] - rss[0]) / MiB:+.0f} MiB"
    )


def _row(name: str, latencies: list[float], errors: int | None) -> None:
    """Print one kind's (or step's) count, errors, p50, p99 and histogram."""
    lat = sorted(latencies)
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
    counts = [0] * (len(BUCKETS_MS) + 1)
    for s in lat:
        counts[next((i for i, b in enumerate(BUCKETS_MS) if s * 1000 <= b), -1)] += 1
    hist = "".join(f"{n:>6}" for n in counts)
    err = "" if errors is None else errors
    print(f"{name:<12} {len(lat):>7} {err:>7} {p50:>8.1f} {p99:>8.1f}  {hist}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=0, help="server --workers (0: default)")
    parser.add_argument("--seed-blobs", type=int, default=200, help="blobs GET/HEAD read")
    parser.add_argument("--keys", type=int, default=2000, help="distinct keys PUT writes")
    parser.add_argument("--part-mib", type=int, default=5, help="multipart part size")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: one lean connection per client (default); httpx: one shared AsyncClient",
    )
    parser.add_argument(
        "--kinds",
        type=lambda v: v.split(","),
        default=list(WEIGHTS),
        help="comma-separated kinds to run (default: all, " + ",".join(WEIGHTS) + ")",
    )
    parser.add_argument("--pause", type=float, default=0, help="seconds to wait before the run")
    args = parser.parse_args()
    if unknown := set(args.kinds) - set(WEIGHTS):
        parser.error(f"--kinds: unknown kind(s) {', '.join(sorted(unknown))}")
    if not (0 < args.clients <= 1000 and 0 < args.duration <= 3600):
        parser.error("--clients must be 1..1000 and --duration 1..3600 s")
    extra = ["--workers", str(args.workers)] if args.workers else []
    print(
        f"{args.clients} clients x {args.duration:.0f} s, workers {args.workers or 'default'}, "
        f"client {args.client}, kinds {','.join(args.kinds)}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="bkt-load-") as tmp,
        bucketry_server(Path(tmp) / "srv", extra) as (url, token, pid),
    ):
        try:
            import uvloop
        except ImportError:
            asyncio.run(run(url, token, pid, args))
        else:
            uvloop.run(run(url, token, pid, args))


if __name__ == "__main__":
    main()
