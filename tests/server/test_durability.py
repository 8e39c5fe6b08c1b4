"""Durability: a server killed mid-write loses no acknowledged blob, shows no partial one and
leaves no orphan bytes after restart; schema migrations keep existing data."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.live_server import free_port

BIN = Path(sys.executable).parent


def _serve(
    data_dir: Path, port: int, env: dict[str, str] | None = None, workers: int = 1
) -> subprocess.Popen[bytes]:
    """``bucketry-server serve`` in a session of its own; one worker by default, so a crash
    point's SIGKILL ends the server (with more, uvicorn would restart the worker)."""
    proc = subprocess.Popen(
        [
            str(BIN / "bucketry-server"),
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _objects(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs" / "objects").rglob("obj_*") if p.exists()]


def _settled(data_dir: Path, count: int, timeout: float = 10.0) -> list[Path]:
    """The store's objects once there are ``count`` of them, or after ``timeout`` seconds
    (composed parts and replaced versions are deleted just after the answer)."""
    deadline = time.monotonic() + timeout
    while len(found := _objects(data_dir)) != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


@pytest.mark.slow
def test_kill_during_upload_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    proc = _serve(data, port)
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        token = (data / "admin.token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.post(api + "/buckets", json={"name": "dur"}, headers=auth).status_code == 201
        kept = os.urandom(3 * 1024 * 1024)
        r = httpx.put(
            api + "/buckets/dur/blob", params={"key": "kept.bin"}, content=kept, headers=auth
        )
        assert r.status_code == 201
        sent = threading.Event()

        def slow_body() -> Iterator[bytes]:
            for i in range(200):
                yield b"x" * (256 * 1024)
                if i == 8:
                    sent.set()
                time.sleep(0.05)

        def upload() -> None:
            try:
                httpx.put(
                    api + "/buckets/dur/blob",
                    params={"key": "partial.bin"},
                    content=slow_body(),
                    headers=auth,
                    timeout=30,
                )
            except httpx.HTTPError:
                pass

        worker = threading.Thread(target=upload)
        worker.start()
        assert sent.wait(20)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        worker.join(30)
        assert any((data / "blobs" / "tmp").iterdir())  # the interrupted write left a temp file
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    proc = _serve(data, port)
    try:
        got = httpx.get(api + "/buckets/dur/blob", params={"key": "kept.bin"}, headers=auth)
        assert (
            got.status_code == 200
            and hashlib.sha256(got.content).digest() == hashlib.sha256(kept).digest()
        )
        assert (
            httpx.head(
                api + "/buckets/dur/blob", params={"key": "partial.bin"}, headers=auth
            ).status_code
            == 404
        )
        assert list((data / "blobs" / "tmp").iterdir()) == []
        assert len(_objects(data)) == 1
        usage = httpx.get(api + "/buckets/dur/usage", headers=auth).json()
        assert usage["objects"] == 1 and usage["bytes"] == len(kept)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["complete.claimed", "complete.composed", "complete.committed"])
def test_crash_during_completion_keeps_the_upload(tmp_path: Path, point: str) -> None:
    """A SIGKILL at any point of multipart completion loses nothing acknowledged: before the
    commit the upload and its parts survive the restart and ``complete`` can be retried; after
    it the blob is there whole and the parts' bytes are reclaimed."""
    data = tmp_path / "data"
    port = free_port()
    small_parts = {"BUCKETRY_MIN_PART_SIZE": "65536"}
    proc = _serve(data, port, {**small_parts, "BUCKETRY_TEST_CRASH_AT": point})
    api = f"http://127.0.0.1:{port}/api/v1"
    payload = os.urandom(3 * 65536 + 1000)
    try:
        token = (data / "admin.token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.post(api + "/buckets", json={"name": "mpu"}, headers=auth).status_code == 201
        r = httpx.post(api + "/buckets/mpu/uploads", json={"key": "big.bin"}, headers=auth)
        assert r.status_code == 201
        uploads = f"{api}/buckets/mpu/uploads/{r.json()['id']}"
        parts = []
        for n, start in enumerate(range(0, len(payload), 65536), 1):
            piece = payload[start : start + 65536]
            got = httpx.put(f"{uploads}/parts/{n}", content=piece, headers=auth)
            assert got.status_code == 200
            parts.append({"part_number": n, "etag": got.json()["etag"]})
        with pytest.raises(httpx.HTTPError):  # the server dies mid-request
            httpx.post(f"{uploads}/complete", json={"parts": parts}, headers=auth, timeout=30)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    proc = _serve(data, port, small_parts)
    try:
        if point != "complete.committed":
            kept = httpx.get(uploads, headers=auth)
            assert kept.status_code == 200, kept.text
            assert [p["etag"] for p in kept.json()["parts"]] == [p["etag"] for p in parts]
            done = httpx.post(f"{uploads}/complete", json={"parts": parts}, headers=auth)
            assert done.status_code == 201, done.text
        assert httpx.get(uploads, headers=auth).status_code == 404
        got = httpx.get(api + "/buckets/mpu/blob", params={"key": "big.bin"}, headers=auth)
        assert got.status_code == 200 and got.content == payload
        usage = httpx.get(api + "/buckets/mpu/usage", headers=auth).json()
        assert usage["objects"] == 1 and usage["bytes"] == len(payload)
        assert len(_settled(data, 1)) == 1  # the blob's composite; the parts' files are gone
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.mark.parametrize("workers", [1, 2])
def test_orphan_objects_are_swept_at_start(tmp_path: Path, workers: int) -> None:
    """Bytes renamed into place whose row never committed (crash between the two) go away,
    also when several workers serve (their parent sweeps once before starting them)."""
    from bucketry_server.cli import _prepare
    from bucketry_server.config import Settings

    data = tmp_path / "data"
    port = free_port()
    _prepare(Settings(data_dir=data))  # a data folder served before (what serve prepares)
    orphan = data / "blobs" / "objects" / "ab" / "cd" / ("obj_abcd" + "0" * 28)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")
    proc = _serve(data, port, workers=workers)
    try:
        assert not orphan.exists()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def test_migrations_upgrade_keeps_data(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from bucketry_server.db import MIGRATIONS

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO users (id, name, is_admin, created_at) VALUES ('usr_1', 'old', 0, '2026-01-01')"
            )
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM users")).scalar_one() == "old"
        indexes = {row[1] for row in conn.execute(text("PRAGMA index_list('buckets')"))}
        assert "ix_buckets_name_id" in indexes


@pytest.mark.slow
def test_kill_during_concurrent_puts_keeps_every_acknowledged_blob(tmp_path: Path) -> None:
    """Eight clients PUT small blobs (their commits grouped into shared transactions) until
    the server is SIGKILLed: after a restart every PUT that was answered 201 is there, whole."""
    data = tmp_path / "data"
    port = free_port()
    proc = _serve(data, port)
    api = f"http://127.0.0.1:{port}/api/v1"
    acknowledged: dict[str, bytes] = {}
    stop = threading.Event()
    try:
        auth = {"Authorization": f"Bearer {(data / 'admin.token').read_text().strip()}"}
        assert httpx.post(api + "/buckets", json={"name": "many"}, headers=auth).status_code == 201

        def client(n: int) -> None:
            with httpx.Client(headers=auth, timeout=10) as c:
                for i in range(100_000):
                    if stop.is_set():
                        return
                    key, body = f"c{n}/{i:06d}", os.urandom(64) + bytes([n])
                    try:
                        r = c.put(api + "/buckets/many/blob", params={"key": key}, content=body)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if r.status_code == 201:
                        acknowledged[key] = body

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        stop.set()
        for t in threads:
            t.join(30)
        assert len(acknowledged) >= 200
    finally:
        stop.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    proc = _serve(data, port)
    try:
        with httpx.Client(headers=auth, timeout=10) as c:
            for key, body in acknowledged.items():
                got = c.get(api + "/buckets/many/blob", params={"key": key})
                assert got.status_code == 200 and got.content == body, key
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
