"""IMPORT_URL and EXPORT through POST /operations (bodies carry every default of
OperationCreate, as the generated client sends them)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bucketry_server.accounts.users import create_user
from tests.server.imported_helpers import auth, import_bucket, put
from tests.support.live_server import live_server

BODY = b"hello from the url " * 1000
DEFAULTS = {"overwrite": True, "dry_run": False, "delete_extraneous_files": False}


class _Source(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def _wait(api: str, h: dict[str, str], op_id: str) -> dict[str, Any]:
    for _ in range(300):
        op: dict[str, Any] = httpx.get(f"{api}/operations/{op_id}", headers=h).json()
        if op["status"] not in ("PENDING", "RUNNING"):
            return op
        time.sleep(0.05)
    raise AssertionError(op)


def test_import_url_and_export_through_the_engine(tmp_path: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Source)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    root = tmp_path / "root"
    (root / "exp").mkdir(parents=True)
    with live_server(tmp_path / "d", filesystem_roots=[root], operation_chunk_items=2) as srv:
        _, tok = create_user(srv.state.db, "wiring", admin=True)
        h, api = auth(tok), srv.api
        assert httpx.post(f"{api}/buckets", json={"name": "wire"}, headers=h).status_code == 201
        url = f"http://127.0.0.1:{httpd.server_address[1]}/file.txt"
        body = {"kind": "IMPORT_URL", "url": url, "destination": "bkt://wire/got/f.txt"}
        r = httpx.post(f"{api}/operations", json={**body, **DEFAULTS}, headers=h)
        assert r.status_code == 202, r.text
        op = _wait(api, h, r.json()["id"])
        assert op["status"] == "SUCCEEDED" and op["result"]["size"] == len(BODY), op
        for i in range(5):
            assert put(api, tok, "wire", f"pre/{i}", b"x" * (i + 1)).status_code == 201
        folder = {"provider": "FILESYSTEM", "provider_bucket": str(root / "exp")}
        assert import_bucket(api, tok, folder).status_code == 201
        body = {"kind": "EXPORT", "source": "bkt://wire/pre/", "destination": "bkt://exp/out/"}
        r = httpx.post(f"{api}/operations", json={**body, "part_size_mb": 5, **DEFAULTS}, headers=h)
        assert r.status_code == 202, r.text
        op = _wait(api, h, r.json()["id"])
        assert op["result"] == {"exported": 5, "bytes": 15, "skipped": 0}, op
        bad = {"kind": "IMPORT_URL", "url": url, "destination": "bkt://wire/x", "overwrite": False}
        r = httpx.post(f"{api}/operations", json=bad, headers=h)
        assert r.status_code == 400 and "overwrite" in r.json()["detail"], r.text
