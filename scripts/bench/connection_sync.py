"""Connection sync of a managed bucket into an empty project (issue 11 benchmark).

    .venv/bin/python scripts/bench/connection_sync.py [--files 100000] [--added 1000]
        [--workers N]

Starts a real server (SQLite + local folder, 127.0.0.1), seeds ``--files`` small blobs into a
managed bucket through the server's own tar batch route (10,000 members a request, spread over
folders), connects the bucket to an empty project and times, end to end through HTTP:

* the first sync (every file becomes an asset),
* a re-sync with nothing changed (``delete_extraneous_files`` on),
* a re-sync after adding ``--added`` files,

and the server's memory during each sync. ``--workers`` is the server's ``--workers`` (default
0: one per CPU, as ``serve``). The server is a process tree (with several workers: uvicorn's
supervisor, the workers, multiprocessing's resource tracker), so three figures are printed
(``common.PeakRSS``):

* ``RSS sum``: the peak of the sum of the processes' RSS, sampled every 20 ms. It counts a page
  once per process mapping it (shared libraries...), so it overstates a multi-process server.
* ``PSS``: the peak of the sum of their PSS (a shared page counts 1/n in each of its n
  sharers), sampled every 250 ms: the honest figure of what the server costs. The goal of
  issue 11 (peak server RSS <= 300 MiB for 1,000,000 files) is read against both.
* per process: each one's peak RSS and PSS (the one running the sync is the operation
  leader), and before the first sync the tree at rest (after seeding).

A bucket over 5,000 objects syncs as a CONNECTION_SYNC operation (202): the time is until it
has SUCCEEDED. Goals (issue 11, 100,000 files): first sync <= 30 s, unchanged re-sync <= 5 s,
re-sync after adding 1,000 <= 6 s; 1,000,000 files: <= 5 min, <= 45 s.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import (  # noqa: E402
    MiB,
    PeakRSS,
    bucketry_server,
    format_tree,
    load_avg,
    tree_memory,
)

MEMBERS = 10_000


def tar_of(keys: list[str]) -> bytes:
    """A tar archive with one small member per key (its own name as content)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for key in keys:
            data = key.encode()
            info = tarfile.TarInfo(key)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def seed(api: httpx.Client, bucket: str, keys: list[str]) -> None:
    """Write ``keys`` through ``POST /buckets/{b}/blobs/batch`` in tars of 10,000 members."""
    for start in range(0, len(keys), MEMBERS):
        body = tar_of(keys[start : start + MEMBERS])
        r = api.post(
            f"/buckets/{bucket}/blobs/batch",
            content=body,
            headers={"Content-Type": "application/x-tar"},
        )
        r.raise_for_status()


Timed = tuple[float, PeakRSS, dict[str, Any]]


def timed_sync(api: httpx.Client, connection: str, pid: int) -> Timed:
    """(seconds, the server's memory peaks, result) of one sync with delete_extraneous_files."""
    with PeakRSS(pid) as rss:
        t0 = time.perf_counter()
        r = api.post(
            f"/connections/{connection}/sync",
            json={"delete_extraneous_files": True, "plan_limit": 10},
        )
        r.raise_for_status()
        result = r.json()
        if r.status_code == 202:  # a large bucket: a CONNECTION_SYNC operation, polled
            while result["status"] not in ("SUCCEEDED", "FAILED", "CANCELLED"):
                time.sleep(0.05)
                result = api.get(f"/operations/{result['id']}").json()
            if result["status"] != "SUCCEEDED":
                raise RuntimeError(f"sync operation ended {result['status']}: {result['error']}")
            result = {**result["result"], "operation": result["id"]}
        seconds = time.perf_counter() - t0
    return seconds, rss, result


def report(rows: list[tuple[str, Timed, float]]) -> None:
    """Print the figures (before the temporary data folder is removed, which takes long)."""
    print(load_avg())
    head = f"{'step':<28} {'seconds':>8} {'goal':>6} {'added':>7} {'removed':>7}"
    print(f"{head} {'RSS sum':>11} {'PSS':>9}")
    for name, (seconds, rss, result), goal in rows:
        print(
            f"{name:<28} {seconds:8.2f} {goal:6.0f} {result['added']:7d} "
            f"{result['removed']:7d} {rss.peak / MiB:7.0f} MiB {rss.peak_pss / MiB:5.0f} MiB"
        )
    for name, (_, rss, _), _ in rows:
        print(f"  {name}, per process peaks (MiB): {rss.per_process()}")
    last = rows[-1][1][2]
    count = (
        last["number_of_assets"] if "operation" in last else last["connection"]["number_of_assets"]
    )
    print(f"number_of_assets after the last sync: {count} (over 5,000 objects: operations)")
    sys.stdout.flush()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--added", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=0, help="server processes (0: per CPU)")
    args = parser.parse_args()
    extra = ["--workers", str(args.workers)] if args.workers else []
    keys = [f"d{i // 1000:04}/f{i:07}.bin" for i in range(args.files)]
    more = [f"new/f{i:07}.bin" for i in range(args.added)]
    with tempfile.TemporaryDirectory() as tmp, bucketry_server(Path(tmp), extra) as server:
        url, token, pid = server
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=900) as api:
            bucket = api.post("/buckets", json={"name": "conbench"}).json()["id"]
            t0 = time.perf_counter()
            seed(api, bucket, keys)
            print(f"seeded {args.files} files in {time.perf_counter() - t0:.1f}s", flush=True)
            print(f"server at rest after seeding: {format_tree(tree_memory(pid))}", flush=True)
            project = api.post("/projects", json={"title": "bench"}).json()["id"]
            con = api.post("/connections", json={"project_id": project, "bucket": bucket})
            con.raise_for_status()
            cid = con.json()["id"]
            rows = []
            first = timed_sync(api, cid, pid)
            rows.append(("first sync", first, 30.0))
            again = timed_sync(api, cid, pid)
            rows.append(("re-sync, unchanged", again, 5.0))
            seed(api, bucket, more)
            added = timed_sync(api, cid, pid)
            rows.append((f"re-sync after adding {args.added}", added, 6.0))
            report(rows)
        print("(removing the temporary data folder)", flush=True)


if __name__ == "__main__":
    main()
