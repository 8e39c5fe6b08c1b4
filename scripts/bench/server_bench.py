"""Server throughput: Bucketry blob PUT/GET vs a raw streaming sink/source on the same uvicorn,
both driven by curl and by httpx streaming, in one run; plus the server's peak RSS.

    python scripts/bench/server_bench.py [--size-mib 1024] [--runs 3]

Goals (issue 3): PUT >= 0.7x raw (hashing + fsync on), GET >= 0.9x raw, RSS < 150 MiB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import (  # noqa: E402
    MiB,
    PeakRSS,
    bucketry_server,
    curl,
    free_port,
    make_file,
    process,
    timed,
    wait_http,
)


def httpx_put(url: str, path: Path, headers: dict[str, str]) -> None:
    with open(path, "rb") as f:
        r = httpx.put(url, content=f, headers=headers, timeout=600)
    r.raise_for_status()


def httpx_get(url: str, headers: dict[str, str]) -> None:
    with httpx.stream("GET", url, headers=headers, timeout=600) as r:
        r.raise_for_status()
        for _ in r.iter_raw():
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib * MiB
    with tempfile.TemporaryDirectory(prefix="bkt-bench-") as tmp:
        tmpdir = Path(tmp)
        src = make_file(tmpdir / "payload.bin", size)
        raw_port = free_port()
        raw_cmd = [sys.executable, str(Path(__file__).with_name("raw_app.py")), str(raw_port)]
        with (
            process(raw_cmd, env={"RAW_DATA": str(tmpdir / "raw")}),
            bucketry_server(tmpdir / "srv") as (url, token, pid),
        ):
            raw = f"http://127.0.0.1:{raw_port}"
            wait_http(raw + "/source")
            auth = {"Authorization": f"Bearer {token}"}
            httpx.post(
                url + "/api/v1/buckets", json={"name": "bench"}, headers=auth
            ).raise_for_status()
            blob = url + "/api/v1/buckets/bench/blob?key=payload.bin"
            results: dict[str, float] = {}
            with PeakRSS(pid) as rss:
                results["curl PUT raw"] = timed(
                    lambda: curl("-T", str(src), raw + "/sink"), args.runs
                )
                results["curl PUT bucketry"] = timed(
                    lambda: curl("-T", str(src), "-H", f"Authorization: Bearer {token}", blob),
                    args.runs,
                )
                results["httpx PUT raw"] = timed(
                    lambda: httpx_put(raw + "/sink", src, {}), args.runs
                )
                results["httpx PUT bucketry"] = timed(lambda: httpx_put(blob, src, auth), args.runs)
                results["curl GET raw"] = timed(lambda: curl(raw + "/source"), args.runs)
                results["curl GET bucketry"] = timed(
                    lambda: curl("-H", f"Authorization: Bearer {token}", blob), args.runs
                )
                results["httpx GET raw"] = timed(lambda: httpx_get(raw + "/source", {}), args.runs)
                results["httpx GET bucketry"] = timed(lambda: httpx_get(blob, auth), args.runs)
    print(f"size {args.size_mib} MiB, median of {args.runs} runs")
    for name, secs in results.items():
        print(f"  {name:22s} {size / secs / MiB:8.0f} MiB/s  ({secs:.2f} s)")
    for client in ("curl", "httpx"):
        for verb in ("PUT", "GET"):
            ratio = results[f"{client} {verb} raw"] / results[f"{client} {verb} bucketry"]
            print(f"  ratio {client} {verb} bucketry/raw = {ratio:.2f}")
    print(f"  server peak RSS {rss.peak / MiB:.0f} MiB")


if __name__ == "__main__":
    main()
