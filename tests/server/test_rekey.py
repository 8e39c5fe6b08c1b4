"""``bucketry-server rekey``: after a key rotation, every imported bucket's credentials are
re-sealed under the first key, so the old key can leave the ring and the bucket still works;
unreadable values are reported by bucket id and left alone; a second run changes nothing. The
sealed source URL of a pending IMPORT_URL operation is re-sealed the same way, so the import
still runs once the old key has left."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bucketry_server import cli
from bucketry_server.accounts.users import create_user
from bucketry_server.buckets.rekey import rekey
from bucketry_server.keyring import KeyRing, new_key_entry, parse_keys
from bucketry_server.models import Bucket, Operation
from bucketry_server.operations.rekeying import rekey_import_urls
from bucketry_server.operations.url_import import SEAL_PREFIX
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket, put
from tests.support.live_server import live_server
from tests.support.seaweed import SeaweedS3


def _run_rekey(
    capsys: pytest.CaptureFixture[str], data_dir: Path, url: str, keys: str
) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BUCKETRY_SECRET_KEYS", keys)
        code = cli.main(["rekey", "--data-dir", str(data_dir), "--database-url", url])
    return code, capsys.readouterr().out


def test_rekey_lets_the_old_key_leave_the_ring(
    tmp_path: Path, seaweed: SeaweedS3, capsys: pytest.CaptureFixture[str]
) -> None:
    k1, k2, lost = new_key_entry("k1"), new_key_entry("k2"), new_key_entry("k0")
    with live_server(tmp_path / "one", secret_keys=k1) as one:
        url = one.state.settings.effective_database_url
        _, token = create_user(one.state.db, "keeper")
        body = {
            "provider": "S3_COMPATIBLE",
            "provider_bucket": SEAWEED_BUCKET,
            "endpoint_url": seaweed.endpoint_url,
            "region": "us-east-1",
            "name": "rekeyed",
            "prefix": "rekeyed/",
            "credentials": {
                "access_key_id": seaweed.access_key,
                "secret_access_key": seaweed.secret_key,
            },
        }
        r = import_bucket(one.api, token, body)
        assert r.status_code == 201 and r.json()["status"] == "AVAILABLE", r.text
        bucket_id = r.json()["id"]
        assert put(one.api, token, "rekeyed", "kept.txt", b"still here").status_code == 201
        other = import_bucket(one.api, token, dict(body, name="orphaned", prefix="orphaned/"))
        assert other.status_code == 201, other.text
        orphan_id = other.json()["id"]
        with one.state.db.session() as s:  # sealed under a key no ring will hold
            row = s.get(Bucket, orphan_id)
            assert row is not None and row.credentials_enc
            assert row.credentials_enc.split(".")[1] == "k1"
            row.credentials_enc = KeyRing(parse_keys(lost)).seal(orphan_id, {"x": "y"})

        code, out = _run_rekey(capsys, tmp_path / "one", url, f"{k2},{k1}")
        assert code == 1, out
        assert "re-sealed 1, already current 0" in out and "unreadable 1" in out, out
        assert f"unreadable: {orphan_id}" in out and bucket_id not in out
        with one.state.db.session() as s:
            moved = s.get(Bucket, bucket_id)
            assert moved is not None and moved.credentials_enc
            assert moved.credentials_enc.split(".")[1] == "k2"
            assert seaweed.secret_key not in moved.credentials_enc

        again = rekey(one.state.db, KeyRing(parse_keys(f"{k2},{k1}")), batch=1)
        assert (again.resealed, again.current, again.unreadable) == (0, 1, [orphan_id])

        with live_server(tmp_path / "two", secret_keys=k2, database_url=url) as two:
            st = httpx.get(f"{two.api}/buckets/{bucket_id}/status", headers=auth(token))
            assert st.status_code == 200 and st.json()["status"] == "AVAILABLE", st.text
            got = httpx.get(
                f"{two.api}/buckets/{bucket_id}/blob",
                params={"key": "kept.txt"},
                headers=auth(token),
            )
            assert got.status_code == 200 and got.content == b"still here", got.text


def test_rekey_without_a_ring_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUCKETRY_SECRET_KEYS", raising=False)
    assert cli.main(["rekey", "--data-dir", str(tmp_path / "empty")]) == 2
    assert "no key ring" in capsys.readouterr().err
    assert not (tmp_path / "empty" / "credentials.keys").exists()


SIGNATURE = "sig=rekey-secret-0123"
BODY = b"fetched after the rotation " * 100


class _SignedSource(BaseHTTPRequestHandler):
    """Answers 200 only to the full URL (its query signed), 403 to the query-less one."""

    def do_GET(self) -> None:
        ok = SIGNATURE in self.path
        self.send_response(200 if ok else 403)
        self.send_header("Content-Length", str(len(BODY) if ok else 0))
        self.end_headers()
        if ok:
            self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _source() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SignedSource)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/data.bin?{SIGNATURE}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _import_url(api: str, token: str, url: str, key: str) -> str:
    body = {"kind": "IMPORT_URL", "url": url, "destination": f"bkt://landing/{key}"}
    r = httpx.post(f"{api}/operations", json=body, headers=auth(token))
    assert r.status_code == 202 and r.json()["status"] == "PENDING", r.text
    op_id: str = r.json()["id"]
    return op_id


def _ended(api: str, token: str, op_id: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        op: dict[str, object] = httpx.get(f"{api}/operations/{op_id}", headers=auth(token)).json()
        if op["status"] not in ("PENDING", "RUNNING") or time.monotonic() > deadline:
            return op
        time.sleep(0.2)


def test_rekey_reseals_pending_import_urls_so_they_run_after_the_old_key_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    k1, k2, lost = new_key_entry("k1"), new_key_entry("k2"), new_key_entry("k0")
    with (
        _source() as source,
        live_server(tmp_path / "one", secret_keys=k1, operation_workers=0) as one,
    ):
        url = one.state.settings.effective_database_url
        _, token = create_user(one.state.db, "importer")
        made = httpx.post(f"{one.api}/buckets", json={"name": "landing"}, headers=auth(token))
        assert made.status_code == 201, made.text
        pending = _import_url(one.api, token, source, "in.bin")
        orphan = _import_url(one.api, token, source, "orphan.bin")
        with one.state.db.session() as s:  # its URL sealed under a key no ring will hold
            op = s.get(Operation, orphan)
            assert op is not None and op.params["_url_sealed"].split(".")[1] == "k1"
            binding = SEAL_PREFIX + str(op.params["bucket_id"])
            op.params = op.params | {
                "_url_sealed": KeyRing(parse_keys(lost)).seal(binding, {"url": source})
            }

        code, out = _run_rekey(capsys, tmp_path / "one", url, f"{k2},{k1}")
        assert code == 1, out
        assert "pending import URLs: re-sealed 1, already current 0" in out, out
        assert f"unreadable import URL: {orphan}" in out and pending not in out, out
        assert SIGNATURE not in out
        with one.state.db.session() as s:
            op = s.get(Operation, pending)
            assert op is not None and op.params["_url_sealed"].split(".")[1] == "k2"
            assert SIGNATURE not in op.params["_url_sealed"]

        again = rekey_import_urls(one.state.db, KeyRing(parse_keys(f"{k2},{k1}")), batch=1)
        assert (again.resealed, again.current, again.unreadable) == (0, 1, [orphan])

        with live_server(tmp_path / "two", secret_keys=k2, database_url=url) as two:
            done = _ended(two.api, token, pending)
            assert done["status"] == "SUCCEEDED", done
            got = httpx.get(
                f"{two.api}/buckets/landing/blob", params={"key": "in.bin"}, headers=auth(token)
            )
            assert got.status_code == 200 and got.content == BODY, got.text
            failed = _ended(two.api, token, orphan)
            assert failed["status"] == "FAILED", failed
            assert failed["error"]["code"] == "url_unreadable", failed  # type: ignore[index]


def test_rekey_leaves_an_import_that_ended_meanwhile_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URL's re-sealing is a compare-and-set on an active operation: one that ends
    between the read and the write is counted ``changed`` and keeps its row as it ended."""
    from bucketry_server.operations import rekeying

    k1, k2 = new_key_entry("k1"), new_key_entry("k2")
    with live_server(tmp_path / "one", secret_keys=k1, operation_workers=0) as one:
        _, token = create_user(one.state.db, "ender")
        made = httpx.post(f"{one.api}/buckets", json={"name": "landing"}, headers=auth(token))
        assert made.status_code == 201, made.text
        op_id = _import_url(one.api, token, f"http://127.0.0.1:9/x?{SIGNATURE}", "gone.bin")
        real = rekeying.reseal

        def ends_first(*args: object, **kwargs: object) -> str | None:
            with one.state.db.session() as s:  # another worker ends it meanwhile
                op = s.get(Operation, op_id)
                assert op is not None
                op.status = "CANCELLED"
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(rekeying, "reseal", ends_first)
        report = rekey_import_urls(one.state.db, KeyRing(parse_keys(f"{k2},{k1}")))
        assert (report.resealed, report.changed) == (0, 1), report
        with one.state.db.session() as s:
            op = s.get(Operation, op_id)
            assert op is not None and op.status == "CANCELLED"
            assert op.params["_url_sealed"].split(".")[1] == "k1"
