"""Asset queries at scale: append N assets through the API, then time filtered counts, the
first page and a full filtered stream (issue 11 benchmarks, server side).

    .venv/bin/python scripts/bench/assets_bench.py [--assets 100000] [--runs 5] [--direct]

A real server subprocess (SQLite + local folder, 127.0.0.1) gets one project; assets are
appended in requests of 1000 (``json_metadata`` ``{"split": train|val|test, "score": 0..99}``,
every third one ``ONGOING``); ``--direct`` writes the same rows (assets and their
``asset_meta``) straight into the server's SQLite file in batches of 10,000 instead, for
sizes where going through the API would take too long to set up. Then, median of ``--runs``: counts with no filter, ``status_in``,
``metadata_where`` equality / any-of / numeric range, a combination with a category search;
the first page of a metadata-filtered listing (and of one whose value matches nothing); and the whole metadata-filtered listing
streamed in pages of 1000 with ``fields=id&fields=external_id`` (assets/s).

Goals (issue 11): filtered count over 1,000,000 assets <= 1 s; first page <= 50 ms; streaming
>= 20,000 assets/s (the SDK adds its own cost on top).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import Table, create_engine

from bucketry_server.assets.rows import meta_rows, ordered_id
from bucketry_server.models import Asset, AssetMeta

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bucketry_server, load_avg, median  # noqa: E402

SPLITS = ("train", "val", "test")


def _append(api: httpx.Client, pid: str, total: int) -> float:
    t0 = time.perf_counter()
    for start in range(0, total, 1000):
        assets = [
            {
                "content": f"https://example.com/{i}.jpg",
                "external_id": f"img-{i:08d}",
                "json_metadata": {"split": SPLITS[i % 3 if i % 10 else 1], "score": i % 100},
                "status": "ONGOING" if i % 3 == 0 else "TODO",
            }
            for i in range(start, min(start + 1000, total))
        ]
        r = api.post(f"/projects/{pid}/assets", json={"assets": assets})
        r.raise_for_status()
        assert r.json()["failed"] == 0, r.text[:500]
    return time.perf_counter() - t0


def _rows(pid: str, start: int, stop: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    assets, meta = [], []
    for i in range(start, stop):
        asset_id = ordered_id("ast")
        metadata = {"split": SPLITS[i % 3 if i % 10 else 1], "score": i % 100}
        assets.append(
            {
                "id": asset_id,
                "project_id": pid,
                "content": f"https://example.com/{i}.jpg",
                "json_content": None,
                "external_id": f"img-{i:08d}",
                "json_metadata": metadata,
                "status": "ONGOING" if i % 3 == 0 else "TODO",
                "priority": 0,
                "consensus_mark": None,
                "honeypot_mark": None,
                "is_honeypot": False,
                "is_used_for_consensus": False,
                "to_be_labeled_by": [],
                "skipped": False,
                "latest_label_id": None,
                "connection_id": None,
                "source_key": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        meta += meta_rows(pid, asset_id, metadata)
    return assets, meta


def _insert_direct(data_dir: Path, pid: str, total: int) -> float:
    engine = create_engine(f"sqlite:///{data_dir / 'bucketry.db'}")
    assets_table, meta_table = cast(Table, Asset.__table__), cast(Table, AssetMeta.__table__)
    t0 = time.perf_counter()
    for start in range(0, total, 10_000):
        assets, meta = _rows(pid, start, min(start + 10_000, total))
        with engine.begin() as conn:
            conn.execute(assets_table.insert(), assets)
            conn.execute(meta_table.insert(), meta)
    engine.dispose()
    return time.perf_counter() - t0


def _timed(
    api: httpx.Client, path: str, params: dict[str, object], runs: int
) -> tuple[float, object]:
    times, last = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        r = api.get(path, params=params)
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
        last = r.json()
    return median(times), last


def _stream(api: httpx.Client, pid: str, params: dict[str, object]) -> tuple[float, int]:
    t0 = time.perf_counter()
    n, cursor = 0, None
    while True:
        query = {**params, "page_size": 1000, "fields": ["id", "external_id"]}
        if cursor:
            query["cursor"] = cursor
        r = api.get(f"/projects/{pid}/assets", params=query)
        r.raise_for_status()
        body = r.json()
        n += len(body["results"])
        cursor = body["next_cursor"]
        if not cursor:
            return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--direct", action="store_true", help="insert rows into SQLite directly")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bucketry_server(Path(tmp)) as (url, token, _pid):
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=600) as api:
            pid = api.post("/projects", json={"title": "bench"}).json()["id"]
            if args.direct:
                seconds = _insert_direct(Path(tmp), pid, args.assets)
                how = "direct insert"
            else:
                seconds = _append(api, pid, args.assets)
                how = "append through the API"
            print(f"{how}, {args.assets} assets: {seconds:.1f} s ({args.assets / seconds:,.0f}/s)")
            count = f"/projects/{pid}/assets/count"
            cases: list[tuple[str, dict[str, object]]] = [
                ("count, no filter", {}),
                ("count status_in=ONGOING", {"status_in": "ONGOING"}),
                (
                    "count metadata_where split=val",
                    {"metadata_where": json.dumps({"split": "val"})},
                ),
                (
                    "count metadata_where split any of",
                    {"metadata_where": json.dumps({"split": ["val", "test"]})},
                ),
                (
                    "count metadata_where score in [10, 19]",
                    {"metadata_where": json.dumps({"score": [10, 19]})},
                ),
                (
                    "count status + metadata + category search",
                    {
                        "status_in": "ONGOING",
                        "metadata_where": json.dumps({"split": "val"}),
                        "label_category_search": "JOB.A.count == 0",
                    },
                ),
            ]
            for name, params in cases:
                seconds, body = _timed(api, count, params, args.runs)
                print(f"{name}: {seconds * 1000:.1f} ms (count {body['count']})")  # type: ignore[index]
            val = {"metadata_where": json.dumps({"split": "val"})}
            seconds, _ = _timed(
                api, f"/projects/{pid}/assets", {**val, "page_size": 100}, args.runs
            )
            print(f"first page (100, metadata filter): {seconds * 1000:.1f} ms")
            none = {"metadata_where": json.dumps({"split": "none"})}
            seconds, _ = _timed(
                api, f"/projects/{pid}/assets", {**none, "page_size": 100}, args.runs
            )
            print(f"first page (100, metadata value matching nothing): {seconds * 1000:.1f} ms")
            seconds, n = _stream(api, pid, val)
            print(
                f"stream metadata-filtered listing: {n} assets in {seconds:.2f} s ({n / seconds:,.0f}/s)"
            )
    print(f"load {load_avg()}")


if __name__ == "__main__":
    main()
