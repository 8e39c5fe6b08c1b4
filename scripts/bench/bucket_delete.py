"""Deleting a managed bucket full of small blobs (``DELETE /buckets/{b}?force=true``).

    .venv/bin/python scripts/bench/bucket_delete.py [--blobs 2500] [--postgres]

One in-process server (SQLite or, with ``--postgres``, a throw-away PostgreSQL cluster; local
folder store, 127.0.0.1); the blobs are uploaded with tar batches of 1000, then the bucket is
deleted. Prints the DELETE's seconds and the event loop's longest stall while it ran (a 10 ms
ticker on the server's loop); then the purge that follows the answer in the background: its
seconds until the bucket row, every blob row, ledger mark and object file is gone, its
blob-deleting transactions and the longest one, and the loop's longest stall meanwhile.
(Against a tree from before the background purge the blobs go inside the DELETE, so the
purge figures cover only the files.)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tarfile
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_avg  # noqa: E402

from bucketry_server.accounts.users import create_user  # noqa: E402
from bucketry_server.buckets import deletion  # noqa: E402
from bucketry_server.models import Blob, Bucket, ObjectLedger  # noqa: E402
from tests.support.live_server import POSTGRES_ENV, live_server  # noqa: E402


def _tar(start: int, n: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(start, start + n):
            data = b"x" * (i % 97 * 13)
            info = tarfile.TarInfo(f"d{i % 50}/f{i:06d}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Ticker:
    """The longest gap between 10 ms ticks of a task on the server's event loop."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.running = True

    async def run(self) -> None:
        last = time.perf_counter()
        while self.running:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.01)
            last = now


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blobs", type=int, default=2500)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    with ExitStack() as stack:
        if args.postgres:
            import os

            from tests.support.postgres import start_postgres

            os.environ[POSTGRES_ENV] = stack.enter_context(start_postgres())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        srv = stack.enter_context(live_server(tmp / "data"))
        run(srv, args.blobs, "postgresql" if args.postgres else "sqlite")


def run(srv: Any, blobs: int, db: str) -> None:
    _, token = create_user(srv.state.db, "bench")
    h = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{srv.api}/buckets", json={"name": "doomed"}, headers=h).is_success
    t0 = time.perf_counter()
    for start in range(0, blobs, 1000):
        body = _tar(start, min(1000, blobs - start))
        r = httpx.post(
            f"{srv.api}/buckets/doomed/blobs/batch", content=body, headers=h, timeout=600
        )
        assert r.status_code == 200, r.text
    print(f"{db}: {blobs} blobs uploaded in {time.perf_counter() - t0:.1f} s ({load_avg()})")

    bucket_id = httpx.get(f"{srv.api}/buckets/doomed", headers=h).json()["id"]
    batches: list[float] = []
    name = "_purge_batch" if hasattr(deletion, "_purge_batch") else "_drop_batch"  # before
    drop = getattr(deletion, name)

    def timed_drop(*a: Any) -> Any:
        t = time.perf_counter()
        try:
            return drop(*a)
        finally:
            batches.append(time.perf_counter() - t)

    setattr(deletion, name, timed_drop)
    loop = srv.server.config.app.state.operations.loop
    idle = Ticker()  # the same ticker while the server idles: the machine's own stalls
    tick = asyncio.run_coroutine_threadsafe(idle.run(), loop)
    time.sleep(2)
    idle.running = False
    tick.result(5)
    ticker = Ticker()
    tick = asyncio.run_coroutine_threadsafe(ticker.run(), loop)
    t0 = time.perf_counter()
    r = httpx.delete(f"{srv.api}/buckets/doomed", params={"force": "true"}, headers=h, timeout=600)
    answered = time.perf_counter() - t0
    ticker.running = False
    tick.result(5)
    assert r.status_code == 200 and r.json()["blobs"] == blobs, r.text
    in_answer = len(batches)
    purging = Ticker()
    tick = asyncio.run_coroutine_threadsafe(purging.run(), loop)
    while not _purged(srv, bucket_id):
        time.sleep(0.01)
    gone = time.perf_counter() - t0
    purging.running = False
    tick.result(5)
    longest = max(batches, default=0.0) * 1000
    print(
        f"  DELETE answered in {answered:.3f} s ({in_answer} blob transactions in it); event "
        f"loop stalled {ticker.worst * 1000:.0f} ms at most (idle: {idle.worst * 1000:.0f} ms)"
    )
    print(
        f"  purge: everything gone {gone:.2f} s after the DELETE was sent; {len(batches)} blob "
        f"transactions, longest {longest:.0f} ms; event loop stalled "
        f"{purging.worst * 1000:.0f} ms at most meanwhile ({load_avg()})"
    )


def _purged(srv: Any, bucket_id: str) -> bool:
    """Whether the bucket row, its blob rows and every ledger mark are gone (the files of
    marked objects go before their marks)."""
    with srv.state.db.session() as s:
        if s.get(Bucket, bucket_id) is not None:
            return False
        if s.scalar(select(Blob.id).where(Blob.bucket_id == bucket_id).limit(1)) is not None:
            return False
        return not s.scalar(select(func.count()).select_from(ObjectLedger))


if __name__ == "__main__":
    main()
