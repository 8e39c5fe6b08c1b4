"""IMPORT_URL and EXPORT in the engine, driven by hand (issue 10): an EXPORT chunk killed
mid-way resumes after its last checkpoint without redoing or double-counting blobs; a signed
source URL's query is never in the API's params, the stored params or the server log.

The server runs no workers of its own (``operation_workers=0``): each test drives an engine
on the server's event loop, so every step is deterministic.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Coroutine, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.models import Operation
from bucketry_server.operations import adapters, export, queue
from bucketry_server.operations.engine import Engine, RunningContext
from bucketry_server.operations.kinds import ChunkRange, get_kind
from bucketry_server.operations.leases import LeaseConfig, claim_chunk
from tests.server.imported_helpers import auth, import_bucket, put
from tests.support.live_server import LiveServer, live_server

T = TypeVar("T")
LEASE = 1.0
SECRET = "X-Amz-Signature=deadbeefcafe0123456789"
BODY = b"signed source body " * 500


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, Path]]:
    root = tmp_path_factory.mktemp("export-root")
    with live_server(
        tmp_path_factory.mktemp("transfers-data"),
        filesystem_roots=[root],
        operation_workers=0,
        operation_lease_seconds=LEASE,
        operation_heartbeat_seconds=0.1,
        operation_max_attempts=2,
        operation_chunk_items=3,
    ) as srv:
        _, token = create_user(srv.state.db, "transfers", admin=True)
        yield srv, token, root


def on_loop(srv: LiveServer, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run ``coro`` on the server's event loop (where the store and engine live)."""
    engine: Engine = srv.server.config.app.state.operations  # type: ignore[attr-defined]
    assert engine.loop is not None
    return asyncio.run_coroutine_threadsafe(coro, engine.loop).result(timeout)


def _status(srv: LiveServer, op_id: str) -> str:
    with srv.state.db.session() as s:
        op = s.get(Operation, op_id)
        assert op is not None
        return op.status


def _drain(srv: LiveServer, engine: Engine, op_id: str) -> None:
    async def drain() -> None:
        while _status(srv, op_id) in ("PENDING", "RUNNING"):
            if not await engine.run_once():
                await asyncio.sleep(0.05)

    on_loop(srv, drain())


def _create(srv: LiveServer, token: str, body: dict[str, Any]) -> str:
    r = httpx.post(f"{srv.api}/operations", json=body, headers=auth(token))
    assert r.status_code == 202, r.text
    op_id: str = r.json()["id"]
    return op_id


class Killed(Exception):
    """The simulated death of a worker."""


def test_export_chunk_killed_midway_resumes_after_its_checkpoint(
    eng: tuple[LiveServer, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, token, root = eng
    monkeypatch.setattr(adapters, "BATCH", 1, raising=False)  # a checkpoint per blob
    h = auth(token)
    assert httpx.post(f"{srv.api}/buckets", json={"name": "exsrc"}, headers=h).status_code == 201
    for i in range(7):
        assert put(srv.api, token, "exsrc", f"pre/{i}", b"y" * (i + 1)).status_code == 201
    (root / "exdst").mkdir()
    folder = {"provider": "FILESYSTEM", "provider_bucket": str(root / "exdst")}
    assert import_bucket(srv.api, token, folder).status_code == 201
    body = {"kind": "EXPORT", "source": "bkt://exsrc/pre/", "destination": "bkt://exdst/out/"}
    op_id = _create(srv, token, {**body, "part_size_mb": 5})
    engine, db, cfg = Engine(srv.state), srv.state.db, LeaseConfig(LEASE, 2, 2)
    assert on_loop(srv, engine.run_once("planner"))
    claim = claim_chunk(db, "doomed", cfg)
    assert claim is not None and claim.operation_id == op_id and claim.idx == 0
    written: list[str] = []
    real = export._export_one

    async def spy(ctx: Any, source: Any, dest: Any, blob: Any, key: str) -> None:
        written.append(key)
        await real(ctx, source, dest, blob, key)

    monkeypatch.setattr(export, "_export_one", spy)
    checks = 0

    async def dies_before_the_third_blob(_: str) -> None:
        nonlocal checks
        checks += 1
        if checks == 4:  # the page, blobs 0 and 1 exported, then death before blob 2
            raise Killed

    ctx = RunningContext(srv.state, claim, dies_before_the_third_blob)
    with pytest.raises(Killed):
        on_loop(
            srv, get_kind("EXPORT").run_chunk(ctx, ChunkRange(claim.range_after, claim.range_last))
        )
    assert ctx.live.checkpoint == "pre/1" and ctx.live.counts == {
        "exported": 2,
        "bytes": 3,
        "skipped": 0,
    }
    assert queue.beat_chunk(db, "doomed", claim, ctx.live, cfg) == queue.OK  # its last beat
    while on_loop(srv, engine.run_once()):  # the other chunks
        pass
    time.sleep(LEASE + 0.2)  # the dead worker's lease expires
    _drain(srv, engine, op_id)
    done = httpx.get(f"{srv.api}/operations/{op_id}", headers=h).json()
    assert done["status"] == "SUCCEEDED", done
    # exact: neither lost nor counted twice, and blobs 0 and 1 were not exported again
    assert done["result"] == {"exported": 7, "bytes": sum(range(1, 8)), "skipped": 0}
    assert sorted(written) == [f"out/{i}" for i in range(7)], written
    assert sorted(p.name for p in (root / "exdst" / "out").iterdir()) == [str(i) for i in range(7)]


class _Signed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if SECRET not in self.path:
            self.send_response(403)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def test_signed_url_query_never_shown(
    eng: tuple[LiveServer, str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    srv, token, _ = eng
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Signed)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    h = auth(token)
    assert httpx.post(f"{srv.api}/buckets", json={"name": "signed"}, headers=h).status_code == 201
    base = f"http://127.0.0.1:{httpd.server_address[1]}/data.bin"
    body = {"kind": "IMPORT_URL", "url": f"{base}?{SECRET}", "destination": "bkt://signed/d.bin"}
    caplog.set_level(logging.DEBUG)
    try:
        op_id = _create(srv, token, body)
        created = httpx.get(f"{srv.api}/operations/{op_id}", headers=h).json()
        assert created["params"]["url"] == base and "_url_sealed" not in created["params"]
        _drain(srv, Engine(srv.state), op_id)
    finally:
        httpd.shutdown()
    done = httpx.get(f"{srv.api}/operations/{op_id}", headers=h).json()
    assert done["status"] == "SUCCEEDED", done  # the worker fetched the full, signed URL
    assert done["result"]["size"] == len(BODY) and done["result"]["url"] == base
    listed = httpx.get(f"{srv.api}/operations", headers=h).text
    with srv.state.db.session() as s:
        op = s.get(Operation, op_id)
        assert op is not None
        stored = json.dumps(op.params)
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log
    for text in (json.dumps(done), listed, stored, caplog.text):
        assert "deadbeef" not in text


def test_sealed_source_url_opens_only_for_its_bucket(eng: tuple[LiveServer, str, Path]) -> None:
    from bucketry_server.errors import Invalid
    from bucketry_server.operations.url_import import seal_url, source_url

    state = eng[0].state
    url = f"https://example.com/a?{SECRET}"
    sealed = seal_url(state, "bkt_one", url)
    assert "deadbeef" not in sealed
    assert source_url(state, {"bucket_id": "bkt_one", "_url_sealed": sealed}) == url
    with pytest.raises(Invalid) as info:  # copied onto another bucket's operation
        source_url(state, {"bucket_id": "bkt_two", "_url_sealed": sealed})
    assert info.value.code == "url_unreadable" and "deadbeef" not in str(info.value.detail)
    legacy = {"bucket_id": "bkt_one", "url": url}  # recorded before URLs were sealed
    assert source_url(state, legacy) == url


def test_a_url_recorded_whole_is_shown_without_its_query(
    eng: tuple[LiveServer, str, Path],
) -> None:
    srv, token, _ = eng
    h = auth(token)
    assert httpx.post(f"{srv.api}/buckets", json={"name": "legacy"}, headers=h).status_code == 201
    url = f"http://127.0.0.1:9/old.bin?{SECRET}"
    op_id = _create(srv, token, {"kind": "IMPORT_URL", "url": url, "destination": "bkt://legacy/o"})
    with srv.state.db.session() as s:  # as rows were recorded before URLs were sealed
        op = s.get(Operation, op_id)
        assert op is not None
        op.params = {k: v for k, v in op.params.items() if k != "_url_sealed"} | {"url": url}
    shown = httpx.get(f"{srv.api}/operations/{op_id}", headers=h).json()
    assert shown["params"]["url"] == "http://127.0.0.1:9/old.bin", shown
    listed = httpx.get(f"{srv.api}/operations", params={"kind": "IMPORT_URL"}, headers=h).text
    assert "deadbeef" not in listed
    assert httpx.post(f"{srv.api}/operations/{op_id}/cancel", headers=h).status_code == 200
