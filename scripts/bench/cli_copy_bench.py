"""``bucketry cp -r bkt://… bkt://…`` before and after issue 10: one server-side copy request
per blob (the old CLI loop, ``blob.copy_to``) against ONE COPY operation waited on by the SDK.

    .venv/bin/python scripts/bench/cli_copy_bench.py [--files 1000] [--file-kib 4] [--runs 3]

One real server subprocess (SQLite + local folder, 127.0.0.1, default settings); the blobs are
uploaded once (tar batches), then each run copies the prefix both ways into fresh prefixes.
Prints seconds and files/s per run and the median ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bucketry_server, median  # noqa: E402

from bucketry import Client  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--file-kib", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        bucketry_server(Path(tmp) / "data") as (url, token, _),
    ):
        folder = Path(tmp) / "files"
        folder.mkdir()
        for i in range(args.files):
            (folder / f"{i:05d}.bin").write_bytes(os.urandom(args.file_kib * 1024))
        with Client(url, token=token, progress=False) as client:
            src = client.buckets.create("bench-src")
            loop_dst, op_dst = (
                client.buckets.create("bench-loop"),
                client.buckets.create("bench-op"),
            )
            src.upload(folder, "x/")  # tar batches
            keys = [info.key for info in src.list("x/", recursive=True)]
            ratios = []
            for run in range(args.runs):
                t0 = time.perf_counter()
                for key in keys:
                    src.blob(key).copy_to(loop_dst, f"r{run}/{key}")
                loop = time.perf_counter() - t0
                t0 = time.perf_counter()
                op = client.operations.copy((src, "x/"), (op_dst, f"r{run}/x/"))
                op.wait(poll=0.05)
                one = time.perf_counter() - t0
                assert op.result and op.result["copied"] == len(keys), op.result
                ratios.append(loop / one)
                print(
                    f"run {run}: {len(keys)} x {args.file_kib} KiB: per-blob copies {loop:.2f} s "
                    f"({len(keys) / loop:.0f}/s), one COPY operation {one:.2f} s "
                    f"({len(keys) / one:.0f}/s), x{loop / one:.1f}",
                    flush=True,
                )
            print(f"median: one operation is x{median(ratios):.1f} faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
