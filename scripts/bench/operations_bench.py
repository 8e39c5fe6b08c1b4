"""Server-side COPY operations: a prefix of many small blobs and one large blob, between two
managed buckets and from a managed bucket into a FILESYSTEM bucket (issue 10).

    .venv/bin/python scripts/bench/operations_bench.py [--files 2000] [--file-kib 64]
        [--big-mib 256]

One real server (SQLite + local folder, 127.0.0.1, default engine settings); the blobs are
uploaded with tar batches, then each copy is one ``POST /operations`` timed until SUCCEEDED.
Prints seconds, files/s and MiB/s per copy.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MiB, bucketry_server  # noqa: E402


def _batch(api: str, auth: dict[str, str], bucket: str, files: dict[str, bytes]) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for key, data in files.items():
            info = tarfile.TarInfo(key)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    r = httpx.post(
        f"{api}/buckets/{bucket}/blobs/batch",
        content=out.getvalue(),
        headers={**auth, "Content-Type": "application/x-tar"},
        timeout=600,
    )
    assert r.status_code in (200, 201), r.text


def _copy(api: str, auth: dict[str, str], source: str, destination: str) -> tuple[float, Any]:
    start = time.perf_counter()
    body = {"kind": "COPY", "source": source, "destination": destination}
    op = httpx.post(f"{api}/operations", json=body, headers=auth, timeout=60).json()
    while op["status"] in ("PENDING", "RUNNING"):
        time.sleep(0.02)
        op = httpx.get(f"{api}/operations/{op['id']}", headers=auth, timeout=60).json()
    took = time.perf_counter() - start
    assert op["status"] == "SUCCEEDED", op
    return took, op["result"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--file-kib", type=int, default=64)
    parser.add_argument("--big-mib", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        (root / "folder").mkdir(parents=True)
        extra = ["--filesystem-root", str(root)]
        with bucketry_server(Path(tmp) / "data", extra) as (url, token, _pid):
            api, auth = url + "/api/v1", {"Authorization": f"Bearer {token}"}
            for name in ("src", "dst"):
                httpx.post(f"{api}/buckets", json={"name": name}, headers=auth).raise_for_status()
            body = {"provider": "FILESYSTEM", "provider_bucket": str(root / "folder")}
            httpx.post(f"{api}/buckets/import", json=body, headers=auth).raise_for_status()
            size = args.file_kib * 1024
            for start in range(0, args.files, 500):
                batch = {
                    f"small/{i:06d}.bin": os.urandom(size)
                    for i in range(start, min(start + 500, args.files))
                }
                _batch(api, auth, "src", batch)
            block = os.urandom(MiB)

            def big() -> Iterator[bytes]:
                for _ in range(args.big_mib):
                    yield block

            r = httpx.put(
                f"{api}/buckets/src/blob",
                params={"key": "big/one.bin"},
                content=big(),
                headers=auth,
                timeout=600,
            )
            r.raise_for_status()
            small_mib = args.files * size / MiB
            for label, src, dst, mib in (
                ("prefix managed->managed", "bkt://src/small/", "bkt://dst/small/", small_mib),
                ("prefix managed->folder", "bkt://src/small/", "bkt://folder/small/", small_mib),
                ("1 blob managed->managed", "bkt://src/big/", "bkt://dst/big/", args.big_mib),
                ("1 blob managed->folder", "bkt://src/big/", "bkt://folder/big/", args.big_mib),
            ):
                took, result = _copy(api, auth, src, dst)
                print(
                    f"{label:26s} {took:7.2f} s  {result['copied'] / took:8.0f} files/s  "
                    f"{mib / took:7.1f} MiB/s  {result}"
                )


if __name__ == "__main__":
    main()
