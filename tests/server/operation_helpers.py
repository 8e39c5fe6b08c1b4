"""Helpers of the operation-kind tests (not a test module): an in-test ``OpContext`` over the
session server's real state, a local HTTP source on 127.0.0.1 (the ``source`` fixture: import
it into the test module), buckets made through the HTTP API."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from bucketry_server.accounts.principals import Principal, resolve_principal
from bucketry_server.errors import DomainError
from bucketry_server.operations.context import OperationCancelled
from bucketry_server.operations.url_import import validate_import_url
from bucketry_server.state import AppState
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket
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
    """What the source answers for one path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # send Content-Length (else the body ends when the connection closes)
    pause: float = 0.0  # seconds slept before each 64 KiB piece (a slow, trickling source)


@dataclass
class Source:
    """The running source: its root URL, its routes (by path) and the requests it saw."""

    url: str
    routes: dict[str, Route]
    seen: list[tuple[str, dict[str, str]]]


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Source]:
    """An HTTP/1.0 server on 127.0.0.1 (over TLS with ``tls``) answering its ``routes`` and
    recording every request."""
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
                    time.sleep(route.pause)
                    self.wfile.write(route.body[i : i + 64 * 1024])
                    self.wfile.flush()
            except OSError:
                pass  # the importer stopped reading (a limit or a cancel)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield Source(f"{scheme}://127.0.0.1:{httpd.server_address[1]}", routes, seen)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module", name="source")
def source_fixture() -> Iterator[Source]:
    """The plain-HTTP source of a test module (see :func:`serving`)."""
    with serving() as source:
        yield source


def self_signed(name: str, folder: Path) -> Path:
    """A key and a self-signed certificate for the DNS name ``name`` in one PEM file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = folder / f"{name}.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return pem


def copy_start_latency(
    api: str, headers: dict[str, str], bucket: str, n: int, wait: float = 10.0
) -> float:
    """Create a COPY operation of ``bucket``'s ``src/`` through ``api`` (a fresh connection:
    on ``serve --workers`` the kernel spreads them over the workers); seconds from the answer
    to its creation (the row committed, the wake-up sent) to its start, negative when a worker
    took it before the answer left. Fails if it has not started within ``wait`` seconds.

    Not from its ``created_at``: that is stamped before the insert waits for the database's
    write lock, and on a busy disk another commit can hold that lock for seconds (a CI run
    measured 1.97 s from ``created_at``), while no wake-up can be sent before the row is there
    to find. The claim stamps ``started_at`` before it waits for that lock."""
    body = {
        "kind": "COPY",
        "source": f"bkt://{bucket}/src/",
        "destination": f"bkt://{bucket}/d{n}/",
    }
    r = httpx.post(f"{api}/operations", json=body, headers=headers)
    answered = datetime.now(UTC)
    assert r.status_code == 202, r.text
    op_id = r.json()["id"]
    deadline = time.monotonic() + wait
    while (op := httpx.get(f"{api}/operations/{op_id}", headers=headers).json())[
        "started_at"
    ] is None:
        assert time.monotonic() < deadline, f"operation {op_id} not started within {wait} s"
        time.sleep(0.02)
    return (datetime.fromisoformat(op["started_at"]) - answered).total_seconds()


def make_bucket(server: LiveServer, token: str, name: str) -> str:
    r = httpx.post(f"{server.api}/buckets", json={"name": name}, headers=auth(token))
    assert r.status_code == 201, r.text
    bucket_id: str = r.json()["id"]
    return bucket_id


def get_blob(server: LiveServer, token: str, bucket: str, key: str) -> httpx.Response:
    return httpx.get(
        f"{server.api}/buckets/{bucket}/blob", params={"key": key}, headers=auth(token), timeout=60
    )


def prepare_import(server: LiveServer, token: str, url: str, destination: str, **ctx: Any) -> Ctx:
    """Validate as the request would, then build the context the engine would run."""
    with server.state.db.session() as s:
        principal = resolve_principal(s, token)
    params = run(
        validate_import_url, server.state, principal, {"url": url, "destination": destination}
    )
    return Ctx(server.state, token, params, **ctx)


def seaweed_bucket(server: LiveServer, token: str, s3: SeaweedS3, name: str) -> str:
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


def s3_client(s3: SeaweedS3) -> Any:
    """A boto3 client of the session's SeaweedFS."""
    from bucketry_server.storage import S3Store

    return S3Store(
        SEAWEED_BUCKET,
        endpoint_url=s3.endpoint_url,
        region="us-east-1",
        access_key_id=s3.access_key,
        secret_access_key=s3.secret_key,
    ).client


def s3_head(s3: SeaweedS3, key: str) -> dict[str, Any] | None:
    """The provider's HEAD of ``key`` in the SeaweedFS test bucket, or None."""
    client = s3_client(s3)
    try:
        head: dict[str, Any] = client.head_object(Bucket=SEAWEED_BUCKET, Key=key)
    except client.exceptions.ClientError:
        return None
    return head
