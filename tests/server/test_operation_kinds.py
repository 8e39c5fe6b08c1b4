"""The ``import_url`` and ``export`` operation kinds, driven directly through a small in-test
:class:`OpContext` over the session server's real state (no engine needed).

import_url fetches from a local HTTP server on 127.0.0.1 (allowed by the test settings); its
SSRF cases patch the resolver or clear the allowed networks. export writes into an imported
SeaweedFS bucket.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from bucketry_server.accounts.principals import Principal, resolve_principal
from bucketry_server.errors import DomainError
from bucketry_server.operations.context import OperationCancelled
from bucketry_server.operations.export import run_export, validate_export
from bucketry_server.operations.url_import import run_import_url, validate_import_url
from bucketry_server.state import AppState
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket, put
from tests.support.live_server import LiveServer
from tests.support.seaweed import SeaweedS3

MIB = 1024 * 1024
T = TypeVar("T")


@dataclass
class Ctx:
    """An :class:`OpContext` for tests: progress recorded in fields; ``cancel_at`` makes the
    n-th ``check()`` raise ``OperationCancelled`` (a cancel arriving mid-way)."""

    state: AppState
    token: str
    params: dict[str, object]
    operation_id: str = "op_test"
    cancel_at: int | None = None
    checks: int = 0
    items: int = 0
    bytes_done: int = 0
    totals: list[tuple[int | None, int | None]] = field(default_factory=list)

    def principal(self) -> Principal:
        with self.state.db.session() as s:
            return resolve_principal(s, self.token)

    def set_totals(self, *, items: int | None = None, bytes_total: int | None = None) -> None:
        self.totals.append((items, bytes_total))

    def add_progress(self, *, items: int = 0, bytes_done: int = 0) -> None:
        self.items += items
        self.bytes_done += bytes_done

    async def check(self) -> None:
        self.checks += 1
        if self.cancel_at is not None and self.checks >= self.cancel_at:
            raise OperationCancelled()


def run(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run the coroutine function ``fn(*args)`` in a fresh event loop."""
    return anyio.run(lambda: fn(*args))


def failure(fn: Callable[..., Awaitable[Any]], *args: Any) -> DomainError:
    """The domain error ``fn(*args)`` raises."""
    with pytest.raises(DomainError) as info:
        run(fn, *args)
    return info.value


# --------------------------------------------------------------------------- a source server
@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # send Content-Length (else the body ends when the connection closes)


@dataclass
class Source:
    url: str
    routes: dict[str, Route]
    seen: list[tuple[str, dict[str, str]]]


@pytest.fixture(scope="module")
def source() -> Iterator[Source]:
    """An HTTP/1.0 server on 127.0.0.1 answering ``routes`` and recording every request."""
    routes: dict[str, Route] = {}
    seen: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append((self.path, dict(self.headers.items())))
            route = routes.get(self.path.split("?", 1)[0], Route(404, b"no such route"))
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                for i in range(0, len(route.body), 64 * 1024):
                    self.wfile.write(route.body[i : i + 64 * 1024])
            except OSError:
                pass  # the importer stopped reading (a limit or a cancel)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Source(f"http://127.0.0.1:{httpd.server_address[1]}", routes, seen)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _bucket(server: LiveServer, token: str, name: str) -> str:
    r = httpx.post(f"{server.api}/buckets", json={"name": name}, headers=auth(token))
    assert r.status_code == 201, r.text
    bucket_id: str = r.json()["id"]
    return bucket_id


def _get(server: LiveServer, token: str, bucket: str, key: str) -> httpx.Response:
    return httpx.get(
        f"{server.api}/buckets/{bucket}/blob", params={"key": key}, headers=auth(token), timeout=60
    )


def _import(server: LiveServer, token: str, url: str, destination: str, **ctx: Any) -> Ctx:
    """Validate as the request would, then build the context the engine would run."""
    with server.state.db.session() as s:
        principal = resolve_principal(s, token)
    params = run(
        validate_import_url, server.state, principal, {"url": url, "destination": destination}
    )
    return Ctx(server.state, token, params, **ctx)


# --------------------------------------------------------------------------- import_url
def test_import_url_streams_into_a_blob_with_its_checksum(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = _bucket(server, token, f"imp-{unique}")
    data = os.urandom(3 * MIB + 123)
    source.routes["/files/report.csv"] = Route(body=data, headers={"Content-Type": "text/csv"})
    source.routes["/hop"] = Route(302, headers={"Location": "/files/report.csv?sig=SECRET"})
    source.seen.clear()
    ctx = _import(server, token, f"{source.url}/hop?token=abc", f"bkt://imp-{unique}/in/r.csv")
    assert ctx.params["bucket_id"] == bucket and ctx.params["key"] == "in/r.csv"
    result = run(run_import_url, ctx)
    assert result == {
        "bucket": f"imp-{unique}",
        "key": "in/r.csv",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "text/csv",
        "url": f"{source.url}/files/report.csv",  # the final URL, its query dropped
    }
    assert ctx.bytes_done == len(data) and ctx.items == 1 and ctx.totals == [(1, len(data))]
    assert ctx.checks >= 3  # every hop, and at least once per MiB
    got = _get(server, token, bucket, "in/r.csv")
    assert got.status_code == 200 and got.content == data
    head = httpx.head(
        f"{server.api}/buckets/{bucket}/blob", params={"key": "in/r.csv"}, headers=auth(token)
    )
    assert head.headers["content-type"].startswith("text/csv")
    assert [p for p, _ in source.seen] == ["/hop?token=abc", "/files/report.csv?sig=SECRET"]
    for _, headers in source.seen:  # no credential of the server's or the caller's travels
        assert not {"authorization", "cookie"} & {h.lower() for h in headers}
        assert headers["Host"] == source.url.removeprefix("http://")


def test_import_url_guesses_the_type_and_follows_at_most_five_redirects(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = _bucket(server, token, f"imp-{unique}")
    source.routes["/plain"] = Route(body=b'{"a": 1}')
    ctx = _import(server, token, f"{source.url}/plain", f"bkt://{bucket}/x.json")
    assert run(run_import_url, ctx)["content_type"] == "application/json"
    source.routes["/loop"] = Route(301, headers={"Location": "/loop"})
    ctx = _import(server, token, f"{source.url}/loop", f"bkt://{bucket}/loop.bin")
    err = failure(run_import_url, ctx)
    assert err.code == "too_many_redirects" and "url" in str(err.detail)
    assert _get(server, token, bucket, "loop.bin").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1/",
        "http://user:pw@127.0.0.1/x",
        "http:///no-host",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x",
        "http://[::1]/x",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://127.0.0.1/ x",
        "http://127.0.0.1/" + "a" * 3000,
    ],
)
def test_import_url_refused_at_validation(
    server: LiveServer, users: dict[str, str], unique: str, url: str
) -> None:
    token = users["alice"]
    _bucket(server, token, f"imp-{unique}")
    with server.state.db.session() as s:
        principal = resolve_principal(s, token)
    params = {"url": url, "destination": f"bkt://imp-{unique}/k"}
    err = failure(validate_import_url, server.state, principal, params)
    assert err.code in ("invalid_url", "invalid_endpoint", "invalid_parameter"), err.code
    assert (
        str(err.detail).startswith("url: ")
        and err.errors
        and err.errors[0]["loc"]
        == [
            "body",
            "url",
        ]
    )


def test_import_url_refuses_loopback_unless_allowed_and_bad_destinations(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = users["alice"]
    _bucket(server, token, f"imp-{unique}")
    with server.state.db.session() as s:
        alice = resolve_principal(s, token)
        bob = resolve_principal(s, users["bob"])
    good = {"url": f"{source.url}/plain", "destination": f"bkt://imp-{unique}/k"}
    monkeypatch.setattr(server.state.settings, "allowed_networks", [])
    err = failure(validate_import_url, server.state, alice, good)
    assert err.code == "invalid_endpoint" and "loopback" in str(err.detail)
    monkeypatch.undo()
    for params, code in [
        ({**good, "destination": f"bkt://imp-{unique}/"}, "invalid_parameter"),
        ({**good, "destination": f"s3://imp-{unique}/k"}, "invalid_parameter"),
        ({**good, "destination": f"bkt://imp-{unique}/a/../b"}, "invalid_key"),
        ({**good, "content_type": "not a type"}, "invalid_content_type"),
        ({**good, "urll": "x"}, "invalid_parameter"),
    ]:
        assert failure(validate_import_url, server.state, alice, params).code == code
    assert failure(validate_import_url, server.state, bob, good).code == "not_found"


def _resolver(
    monkeypatch: pytest.MonkeyPatch, name: str, answers: list[str], then: str
) -> list[str]:
    """Make ``name`` resolve to ``answers`` one lookup after the other, then always ``then``;
    returns the list of answers given (one per lookup)."""
    real = socket.getaddrinfo
    given: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        addr = answers[len(given)] if len(given) < len(answers) else then
        given.append(addr)
        return real(addr, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return given


def test_import_url_dns_rebinding_refused(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = users["alice"]
    bucket = _bucket(server, token, f"imp-{unique}")
    port = source.url.rsplit(":", 1)[1]
    # Public while the request is checked, a private address when the fetch starts.
    given = _resolver(monkeypatch, "rebind.bucketry.test", ["93.184.216.34"], "10.0.0.1")
    ctx = _import(server, token, f"http://rebind.bucketry.test:{port}/plain", f"bkt://{bucket}/r")
    err = failure(run_import_url, ctx)
    assert err.code == "invalid_endpoint" and "10.0.0.1" in str(err.detail)
    assert given == ["93.184.216.34", "10.0.0.1"]
    assert _get(server, token, bucket, "r").status_code == 404


def test_import_url_connects_to_the_checked_address(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name is resolved once per hop and the connection pinned to that address: a later
    lookup (answering where nothing listens) is never made."""
    token = users["alice"]
    bucket = _bucket(server, token, f"imp-{unique}")
    port = source.url.rsplit(":", 1)[1]
    source.routes["/pinned"] = Route(body=b"pinned body")
    source.seen.clear()
    given = _resolver(monkeypatch, "pin.bucketry.test", ["127.0.0.1", "127.0.0.1"], "127.0.0.2")
    ctx = _import(server, token, f"http://pin.bucketry.test:{port}/pinned", f"bkt://{bucket}/p")
    assert run(run_import_url, ctx)["size"] == len(b"pinned body")
    assert given == ["127.0.0.1", "127.0.0.1"]  # validation, then the one hop
    assert source.seen[-1][1]["Host"] == f"pin.bucketry.test:{port}"


def test_import_url_redirect_to_a_refused_address(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = _bucket(server, token, f"imp-{unique}")
    for path, target in [
        ("/to-metadata", "http://169.254.169.254/latest/meta-data/iam/"),
        ("/to-private", "http://10.1.2.3:8080/admin"),
        ("/to-file", "file:///etc/passwd"),
    ]:
        source.routes[path] = Route(302, headers={"Location": target})
        ctx = _import(server, token, source.url + path, f"bkt://{bucket}/x")
        err = failure(run_import_url, ctx)
        assert err.code in ("invalid_endpoint", "invalid_url"), err.code
        assert "redirect to" in str(err.detail) and "refused" in str(err.detail)
        assert _get(server, token, bucket, "x").status_code == 404


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "streamed"])
def test_import_url_size_limit(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
    length: bool,
) -> None:
    token = users["alice"]
    bucket = _bucket(server, token, f"imp-{unique}")
    monkeypatch.setattr(server.state.settings, "import_url_max_bytes", 2 * MIB)
    source.routes["/big"] = Route(body=os.urandom(3 * MIB), length=length)
    ctx = _import(server, token, f"{source.url}/big", f"bkt://{bucket}/big")
    err = failure(run_import_url, ctx)
    assert err.code == "payload_too_large" and "IMPORT_URL_MAX_BYTES" in str(err.detail)
    if length:
        assert ctx.bytes_done == 0  # refused on the header, before a byte
    else:
        assert 0 < ctx.bytes_done <= 2 * MIB  # refused at the limit
    assert _get(server, token, bucket, "big").status_code == 404
    exact = Route(body=os.urandom(2 * MIB), length=length)
    source.routes["/exact"] = exact
    ctx = _import(server, token, f"{source.url}/exact", f"bkt://{bucket}/exact")
    assert run(run_import_url, ctx)["size"] == 2 * MIB


def test_import_url_cancel_mid_stream_leaves_no_blob(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = _bucket(server, token, f"imp-{unique}")
    source.routes["/long"] = Route(body=os.urandom(8 * MIB))
    ctx = _import(server, token, f"{source.url}/long", f"bkt://{bucket}/long", cancel_at=3)
    with pytest.raises(OperationCancelled):
        run(run_import_url, ctx)
    assert 0 < ctx.bytes_done < 8 * MIB
    assert _get(server, token, bucket, "long").status_code == 404


# --------------------------------------------------------------------------- export
def _seaweed_bucket(server: LiveServer, token: str, s3: SeaweedS3, name: str) -> str:
    body = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": SEAWEED_BUCKET,
        "endpoint_url": s3.endpoint_url,
        "region": "us-east-1",
        "name": name,
        "prefix": f"{name}/",
        "credentials": {"access_key_id": s3.access_key, "secret_access_key": s3.secret_key},
    }
    r = import_bucket(server.api, token, body)
    assert r.status_code == 201 and r.json()["status"] == "AVAILABLE", r.text
    bucket_id: str = r.json()["id"]
    return bucket_id


def _s3_head(s3: SeaweedS3, key: str) -> dict[str, Any] | None:
    from bucketry_server.storage import S3Store

    client = S3Store(
        SEAWEED_BUCKET,
        endpoint_url=s3.endpoint_url,
        region="us-east-1",
        access_key_id=s3.access_key,
        secret_access_key=s3.secret_key,
    ).client
    try:
        head: dict[str, Any] = client.head_object(Bucket=SEAWEED_BUCKET, Key=key)
    except client.exceptions.ClientError:
        return None
    return head


def test_export_prefix_to_seaweedfs_multipart(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> None:
    token = users["alice"]
    managed = _bucket(server, token, f"exsrc-{unique}")
    dest_name = f"exdst-{unique}"
    dest = _seaweed_bucket(server, token, seaweed, dest_name)
    big = os.urandom(12 * MIB)
    for key, data in [("data/big.bin", big), ("data/sub/a.txt", b"small"), ("other.txt", b"x")]:
        assert put(server.api, token, managed, key, data).status_code == 201
    with server.state.db.session() as s:
        alice = resolve_principal(s, token)
    params = run(
        validate_export,
        server.state,
        alice,
        {
            "source": f"bkt://exsrc-{unique}/data/",
            "destination": f"bkt://{dest_name}/out/",
            "part_size_mb": 5,
        },
    )
    ctx = Ctx(server.state, token, params)
    result = run(run_export, ctx)
    assert result == {"exported": 2, "bytes": len(big) + 5, "skipped": 0}
    assert ctx.totals == [(2, len(big) + 5)] and ctx.items == 2
    assert ctx.bytes_done == len(big) + 5 and ctx.checks >= 12
    got = _get(server, token, dest, "out/big.bin")
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(big).hexdigest()
    assert _get(server, token, dest, "out/sub/a.txt").content == b"small"
    assert _get(server, token, dest, "out/other.txt").status_code == 404
    head = _s3_head(seaweed, f"{dest_name}/out/big.bin")
    assert head is not None and head["ETag"].strip('"').endswith("-3"), head  # 5 + 5 + 2 MiB

    # One chunk of the engine: just the keys given.
    ctx = Ctx(server.state, token, params)
    assert run(run_export, ctx, ["data/sub/a.txt"]) == {"exported": 1, "bytes": 5, "skipped": 0}
    assert failure(run_export, ctx, ["other.txt"]).code == "invalid_parameter"

    # A cancel mid-blob leaves no object (the multipart upload is aborted).
    single = dict(params, source_path="data/big.bin", destination_prefix="again/")
    ctx = Ctx(server.state, token, single, cancel_at=4)
    with pytest.raises(OperationCancelled):
        run(run_export, ctx)
    assert 0 < ctx.bytes_done < len(big)
    assert _s3_head(seaweed, f"{dest_name}/again/big.bin") is None


def test_export_validation(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> None:
    token = users["alice"]
    _bucket(server, token, f"exsrc-{unique}")
    _bucket(server, token, f"exman-{unique}")
    dest_name = f"exdst-{unique}"
    _seaweed_bucket(server, token, seaweed, dest_name)
    assert put(server.api, token, f"exsrc-{unique}", "k.bin", b"k").status_code == 201
    with server.state.db.session() as s:
        alice = resolve_principal(s, token)
        bob = resolve_principal(s, users["bob"])
    good = {"source": f"bkt://exsrc-{unique}/k.bin", "destination": f"bkt://{dest_name}/o/"}
    params = run(validate_export, server.state, alice, good)
    assert params["part_size_mb"] == 8 and params["source_path"] == "k.bin"
    for over, code, name in [
        ({"destination": f"bkt://exman-{unique}/o/"}, "invalid_destination", "destination"),
        ({"destination": f"bkt://{dest_name}/o"}, "invalid_parameter", "destination"),
        ({"part_size_mb": 4}, "invalid_parameter", "part_size_mb"),
        ({"part_size_mb": 5121}, "invalid_parameter", "part_size_mb"),
        ({"part_size_mb": "8"}, "invalid_parameter", "part_size_mb"),
        ({"source": "bkt:///k.bin"}, "invalid_parameter", "source"),
        ({"source": f"bkt://exsrc-{unique}/missing"}, "not_found", "source"),
        ({"extra": 1}, "invalid_parameter", "extra"),
    ]:
        err = failure(validate_export, server.state, alice, {**good, **over})
        assert err.code == code and str(err.detail).startswith(f"{name}: "), (over, err.detail)
    assert failure(validate_export, server.state, bob, good).code == "not_found"
