"""Connection sync of a managed bucket into an empty project (issue 11 benchmark).

    .venv/bin/python scripts/bench/connection_sync.py [--files 100000] [--added 1000]

Starts a real server (SQLite + local folder, 127.0.0.1), seeds ``--files`` small blobs into a
managed bucket through the server's own tar batch route (10,000 members a request, spread over
folders), connects the bucket to an empty project and times, end to end through HTTP:

* the first sync (every file becomes an asset),
* a re-sync with nothing changed (``delete_extraneous_files`` on),
* a re-sync after adding ``--added`` files,

and the peak RSS of the server process during the syncs (sampled every 20 ms).
Goals (issue 11, 100,000 files): first sync <= 30 s, unchanged re-sync <= 5 s,
re-sync after adding 1,000 <= 6 s.
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
from common import MiB, PeakRSS, bucketry_server, load_avg  # noqa: E402

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


def timed_sync(api: httpx.Client, connection: str, pid: int) -> tuple[float, int, dict[str, Any]]:
    """(seconds, peak server RSS, result) of one sync with delete_extraneous_files."""
    with PeakRSS(pid) as rss:
        t0 = time.perf_counter()
        r = api.post(
            f"/connections/{connection}/sync",
            json={"delete_extraneous_files": True, "plan_limit": 10},
        )
        seconds = time.perf_counter() - t0
    r.raise_for_status()
    return seconds, rss.peak, r.json()


def report(rows: list[tuple[str, tuple[float, int, dict[str, Any]], float]]) -> None:
    """Print the figures (before the temporary data folder is removed, which takes long)."""
    print(load_avg())
    print(f"{'step':<28} {'seconds':>8} {'goal':>6} {'added':>7} {'removed':>7} {'peak RSS':>9}")
    for name, (seconds, peak, result), goal in rows:
        print(
            f"{name:<28} {seconds:8.2f} {goal:6.0f} {result['added']:7d} "
            f"{result['removed']:7d} {peak / MiB:7.0f} MiB"
        )
    print(
        f"number_of_assets after the last sync: {rows[-1][1][2]['connection']['number_of_assets']}"
    )
    sys.stdout.flush()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--added", type=int, default=1_000)
    args = parser.parse_args()
    keys = [f"d{i // 1000:04}/f{i:07}.bin" for i in range(args.files)]
    more = [f"new/f{i:07}.bin" for i in range(args.added)]
    with tempfile.TemporaryDirectory() as tmp, bucketry_server(Path(tmp)) as (url, token, pid):
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=900) as api:
            bucket = api.post("/buckets", json={"name": "conbench"}).json()["id"]
            t0 = time.perf_counter()
            seed(api, bucket, keys)
            print(f"seeded {args.files} files in {time.perf_counter() - t0:.1f}s", flush=True)
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
