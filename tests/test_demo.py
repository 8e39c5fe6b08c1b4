"""The main job: the tour that ``scripts/demo`` runs (``scripts/demo_tour.py``) goes green
against a real server, as a separate process configured only by environment: the session's
server that allows a FILESYSTEM root (``imports_server``), as an administrator, so that the
thirteenth step (an imported bucket) runs too, as under ``scripts/demo``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bucketry import Client, NotFoundError
from tests.support.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "scripts" / "demo_tour.py"


#: Lines the tour prints when each step did what it says.
TOUR_LINES = [
    "signed in as 'admin'",
    "went multipart on a grid of 8 slots of 9.0 MiB: parts #1 9.0 MiB",
    "bucket.list('tour/', first=3, page_size=2) -> 2 requests",
    "bucket.glob('tour/**/*.txt') -> 4 blobs",
    "[dry run: nothing changed]",
    "after the dry run the server is unchanged: 8 blobs, same ETags",
    "dry run again: 9 skip, 0 upload, 0 delete",
    # step 5: edits right after a sync go up; a newer remote copy is kept only by update
    "notes/todo.txt rewritten (same size), jan.txt appended",
    "upload          1  local newer (mtime)\n",
    "upload          1  local newer (mtime), size differs",
    "skip            1  remote newer — not overwritten (update=True)",
    "upload          1  remote newer (mtime), size differs — mirrored",
    "bucket.usage(): 10 objects, 144.1 MiB",
    "X-Request-ID req_",
    "all 10 files match the originals (sha256) and the server (crc32c)",
    "again with update=True: 0 downloaded, 10 skipped, 0 failed",
    # step 11: one server-side COPY operation of the whole prefix, waited on
    "copied 10 blobs, 144.1 MiB, skipped 0",
    "all 10 blobs under backup/ match their sources (size and sha256)",
    # step 11: the ended operation is kept, with its Idempotency-Key
    "-> SUCCEEDED, finished_at 20",
    "again (SUCCEEDED, nothing copied twice)",
    "dry run matched 10, then deleted 10",
    # step 12: a project fed by the bucket through a connection
    "connection.sync(dry_run=True) -> dry run: +5 to add, -0 to remove, 0 unchanged",
    "after the dry run: 0 assets, last_checked None (nothing written)",
    "sync again -> +0 to add, -0 to remove, 5 unchanged; added 0, removed 0",
    "status_in=['LABELED']) -> 1; assets.count(metadata_where={'lines': [1, 5]}) -> 1",
    # step 13: an imported FILESYSTEM bucket: folder totals, the CRC32C check on writes
    "[13/13] An imported bucket",
    "bucket.status(): AVAILABLE",
    "bucket.actions(): ['READ', 'WRITE']",
    "bucket.content(page_size=2): 2 pages, data/ (folder), images/ (folder), notes/",
    "  data/            3274 B  2 blobs, latest ",
    "  notes/            923 B  4 blobs, latest ",
    "bucket.listdir(order_by='size', descending=True): images/, data/, notes/, readme.txt",
    "blob.write_bytes(4500 B) -> crc32c Ahn9mA== ",
    "-> HTTP 400 'checksum_mismatch'; no file written",
    "bucket.sync(back, direction='download'): sha256 of 9 files match",
    "Tour complete: 13 steps",
]


@pytest.mark.slow
def test_demo_tour_runs_green(
    imports_server: LiveServer, imports_users: dict[str, str], imports_root: Path, tmp_path: Path
) -> None:
    server, token = imports_server, imports_users["admin"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUCKETRY_")}
    env.update(
        BUCKETRY_URL=server.url,
        BUCKETRY_TOKEN=token,
        BUCKETRY_CONFIG=str(tmp_path / "no-config.toml"),  # never a developer's own config
        BUCKETRY_DEMO_IMPORTS=str(imports_root),
        TMPDIR=str(tmp_path),
    )
    proc = subprocess.run(
        [sys.executable, str(TOUR)],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"tour failed:\n{out[-6000:]}\n{proc.stderr[-6000:]}"

    for expected in TOUR_LINES:
        assert expected in out, f"missing {expected!r} in:\n{out}"
    assert out.count(" ok (") == 13

    resumed = re.search(
        r"rerun of the same call: sent (\d+) parts .* reused (\d+), resumed=True", out
    )
    assert resumed is not None, out
    sent, reused = int(resumed[1]), int(resumed[2])
    assert sent + reused == 8 and reused >= 1

    # The tour removes its bucket and its local files.
    name = re.search(r"client\.buckets\.create\('(tour-[0-9a-f]+)'\)", out)
    assert name is not None, out
    with Client(server.url, token=token) as client, pytest.raises(NotFoundError):
        client.buckets.get(name[1])
    imported = re.search(r"-> (bkt_[0-9a-f]+) \(8 files already in (\S+)\)", out)
    assert imported is not None, out
    with Client(server.url, token=token) as client, pytest.raises(NotFoundError):
        client.buckets.get(imported[1])  # unregistered; its folder stays on the server host
    assert (Path(imported[2]) / "new" / "hello.txt").is_file()
    assert not any(p.name.startswith("bucketry-tour-") for p in tmp_path.iterdir())
