"""Stream a project's assets with a metadata filter through the SDK (issue 11's goal: at least
20,000 assets/s; first page within 50 ms), and time the filtered count.

    .venv/bin/python scripts/bench/assets_stream_bench.py [--assets 100000] [--page-size 1000] [--runs 3]

One real server subprocess (SQLite + local folder, 127.0.0.1, default settings). The assets
are appended once through ``project.assets.append`` (1000 per request); half of them match the
filter ``metadata_where={"shard": [0, 4]}``. Prints per run: the first page's latency, the
stream's assets/s (every matching asset read as an ``Asset``), the same pages read with plain
httpx and ``json()`` (the server's share: on a loaded machine compare the two, not the absolute
figure), and the count's latency.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bucketry_server, median  # noqa: E402

from bucketry import Client  # noqa: E402


def raw_rate(client: Client, project_id: str, where: str, page_size: int) -> float:
    """Assets/s of the same filtered listing read with plain httpx (no SDK objects)."""
    t0, n, cursor = time.perf_counter(), 0, None
    while True:
        params: dict[str, str | int] = {"metadata_where": where, "page_size": page_size}
        if cursor:
            params["cursor"] = cursor
        page = client.http.get(f"/projects/{project_id}/assets", params=params).json()
        n += len(page["results"])
        cursor = page.get("next_cursor")
        if not cursor:
            return n / (time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    where = {"shard": [0, 4]}
    with (
        tempfile.TemporaryDirectory() as tmp,
        bucketry_server(Path(tmp) / "data") as (url, token, _),
        Client(url, token=token, progress=False) as client,
    ):
        project = client.projects.create("bench-assets")
        t0 = time.perf_counter()
        for start in range(0, args.assets, 1000):
            batch = [
                {"content": f"https://example.com/{i}.png", "json_metadata": {"shard": i % 10}}
                for i in range(start, min(start + 1000, args.assets))
            ]
            assert project.assets.append(batch).ok
        print(f"appended {args.assets} assets in {time.perf_counter() - t0:.1f} s")
        rates, raws, firsts, counts = [], [], [], []
        for run in range(args.runs):
            listing = project.assets.list(metadata_where=where, page_size=args.page_size)
            t0 = time.perf_counter()
            pages = listing.pages()
            n = len(next(pages))
            first = time.perf_counter() - t0
            for page in pages:
                n += len(page)
            took = time.perf_counter() - t0
            t1 = time.perf_counter()
            counted = project.assets.count(metadata_where=where)
            count_s = time.perf_counter() - t1
            assert counted == n, (counted, n)
            rates.append(n / took)
            raws.append(raw_rate(client, project.id, json.dumps(where), args.page_size))
            firsts.append(first)
            counts.append(count_s)
            print(
                f"run {run + 1}: {n} assets in {took:.2f} s = {n / took:,.0f} assets/s "
                f"(plain httpx {raws[-1]:,.0f}/s); "
                f"first page {first * 1000:.0f} ms; count {count_s * 1000:.0f} ms"
            )
        print(
            f"median: {median(rates):,.0f} assets/s (plain httpx {median(raws):,.0f}/s), "
            f"first page {median(firsts) * 1000:.0f} ms, "
            f"count {median(counts) * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
