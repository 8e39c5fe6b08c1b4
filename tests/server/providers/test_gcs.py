"""GCS: the google-cloud-storage ObjectClient against a real fake-gcs-server passes the
ObjectClient contract (anonymous, and with a service account whose key the test makes), plus
GCS's own cases (generations, resumable uploads, service-account
keys: signing, a rejected key)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from bucketry_server.backends.gcs import GcsClient
from bucketry_server.backends.remote.client import (
    ObjectClient,
    ProviderBadChecksum,
    ProviderConfig,
    ProviderError,
    ProviderForbidden,
    ProviderNotFound,
    ProviderUnreachable,
    ProviderVersionChanged,
)
from bucketry_server.crc32c import crc32c, to_wire
from tests.server.providers.contract import ClientFactory, ObjectClientContract
from tests.support.fake_gcs import FakeGcs
from tests.support.gcs_keys import granting_token_endpoint, service_account

pytestmark = pytest.mark.emulator


def _config(endpoint: str, bucket: str, **creds: str) -> ProviderConfig:
    return ProviderConfig(
        provider="GCS",
        bucket=bucket,
        endpoint_url=endpoint,
        credentials=creds or {"anonymous": "true"},
        connect_timeout=2.0,
        read_timeout=5.0,
    )


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: connection refused


class _RejectingTokenEndpoint(BaseHTTPRequestHandler):
    """An OAuth token endpoint that refuses every key (as Google does for a revoked one)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT"})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def rejecting_token_uri() -> Iterator[str]:
    """The token URI of a loopback endpoint refusing every service-account key."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RejectingTokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/token"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def gcs_bucket(fake_gcs: FakeGcs) -> str:
    name = f"b-{uuid.uuid4().hex[:12]}"
    admin = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": fake_gcs.endpoint_url},
    )
    admin.create_bucket(name)
    return name


class FakeGcsFactory:
    """Clients of fake-gcs-server: anonymous, or with ``key_file`` (a service account whose
    token endpoint grants tokens) for :meth:`good`."""

    def __init__(
        self, fake_gcs: FakeGcs, bucket: str, token_uri: str, key_file: str | None = None
    ) -> None:
        self.endpoint = fake_gcs.endpoint_url
        self.bucket = bucket
        self.token_uri = token_uri
        self.key_file = key_file

    def good(self) -> ObjectClient:
        if self.key_file is not None:
            creds = {"service_account_json": self.key_file}
            return GcsClient(_config(self.endpoint, self.bucket, **creds))
        return GcsClient(_config(self.endpoint, self.bucket))

    def wrong_secret(self) -> ObjectClient | None:
        # The emulator has no authentication: the key is refused by the token endpoint.
        key_file, _ = service_account(self.token_uri)
        return GcsClient(_config(self.endpoint, self.bucket, service_account_json=key_file))

    def missing_bucket(self) -> ObjectClient:
        return GcsClient(_config(self.endpoint, "no-such-bucket"))

    def dead_endpoint(self) -> ObjectClient | None:
        return GcsClient(_config(f"http://127.0.0.1:{_dead_port()}", self.bucket))


class TestGcsContract(ObjectClientContract):
    conditions_on_large_writes = False  # fake-gcs-server ignores ifGenerationMatch there

    @pytest.fixture
    def factory(
        self, fake_gcs: FakeGcs, gcs_bucket: str, rejecting_token_uri: str
    ) -> ClientFactory:
        return FakeGcsFactory(fake_gcs, gcs_bucket, rejecting_token_uri)


@pytest.fixture(scope="module")
def granting_token_uri() -> Iterator[str]:
    """The token URI of a loopback endpoint granting every service-account key a token."""
    with granting_token_endpoint() as uri:
        yield uri


class TestGcsContractWithServiceAccount(ObjectClientContract):
    """The contract again with a service account (bearer tokens, V4 signed URLs): on an
    emulator endpoint without IAM, its probe also says WRITE."""

    conditions_on_large_writes = False  # fake-gcs-server ignores ifGenerationMatch there

    @pytest.fixture
    def factory(
        self,
        fake_gcs: FakeGcs,
        gcs_bucket: str,
        rejecting_token_uri: str,
        granting_token_uri: str,
    ) -> ClientFactory:
        key_file, _ = service_account(granting_token_uri)
        return FakeGcsFactory(fake_gcs, gcs_bucket, rejecting_token_uri, key_file)


@pytest.fixture
def client(fake_gcs: FakeGcs, gcs_bucket: str) -> Iterator[GcsClient]:
    c = GcsClient(_config(fake_gcs.endpoint_url, gcs_bucket))
    yield c
    c.close()


def _put(client: GcsClient, key: str, data: bytes) -> str:
    return client.write(key, iter([data]), content_type="text/plain", metadata={}).etag


def test_list_pages_with_start_offset(client: GcsClient) -> None:
    keys = sorted([f"p/{i:02d}" for i in range(10)] + ["p/05/x", "q/1", "p0", "o"])
    for key in keys:
        _put(client, key, key.encode())
    got: list[str] = []
    cursor: str | None = None
    pages = 0
    while page := client.list_page("p/", cursor, 4):
        pages += 1
        got += [o.key for o in page]
        cursor = page[-1].key
    assert got == [k for k in keys if k.startswith("p/")] and pages >= 3
    assert [o.key for o in client.list_page("", "p/09", 3)] == ["p0", "q/1"]
    assert client.list_page("p/", "a", 1)[0].key == "p/00"
    assert client.list_page("p/", "zzz", 5) == []


def test_generation_is_the_etag_and_pins_reads(client: GcsClient) -> None:
    data = os.urandom(2 * 1024 * 1024 + 5)
    etag = _put(client, "g.bin", data)
    info = client.head("g.bin")
    assert info is not None and info.etag == etag and etag.isdigit()
    chunks = list(client.read("g.bin", 3, None, etag=etag))
    assert b"".join(chunks) == data[3:] and len(chunks) == 3
    stream = client.read("g.bin", 0, None, etag=etag)
    assert next(stream) == data[: 1024 * 1024]
    newer = _put(client, "g.bin", b"replaced")
    assert newer != etag
    with pytest.raises(ProviderVersionChanged):
        list(stream)  # the version changed between two chunks of one read
    with pytest.raises(ProviderVersionChanged):
        client.read("g.bin", etag=etag)
    with pytest.raises(ProviderNotFound):
        client.read("missing")


def test_streamed_resumable_write(client: GcsClient) -> None:
    digest = hashlib.sha256()
    total = 0

    def chunks() -> Iterator[bytes]:
        nonlocal total
        for i in range(17):
            piece = bytes([i]) * (512 * 1024 + 1)
            digest.update(piece)
            total += len(piece)
            yield piece

    info = client.write("big", chunks(), content_type="application/x-test", metadata={"o": "t"})
    assert total > 8 * 1024 * 1024 and info.size == total
    assert info.content_type == "application/x-test" and info.metadata == {"o": "t"}
    assert hashlib.sha256(b"".join(client.read("big"))).digest() == digest.digest()
    assert client.write("empty", iter([]), content_type="text/plain", metadata={}).size == 0


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [("http://127.0.0.1:9", ["READ", "WRITE"]), (None, ["READ"])],
)
def test_write_without_an_iam_api_only_on_an_emulator_endpoint(
    endpoint: str | None, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 404 from ``testIamPermissions`` for a bucket just listed means an endpoint without
    IAM: WRITE on an ``endpoint_url`` (an emulator), never on Google's own endpoint."""
    from google.api_core import exceptions as gexc

    key_file, _ = service_account("http://127.0.0.1:9/token")
    config = _config("", "b", service_account_json=key_file)
    client = GcsClient(dataclasses.replace(config, endpoint_url=endpoint))

    class _Listing:
        pages: Iterator[object] = iter([])

    def no_iam(*args: object, **kwargs: object) -> list[str]:
        raise gexc.NotFound("no IAM API")

    monkeypatch.setattr(client._client, "list_blobs", lambda *a, **k: _Listing())
    monkeypatch.setattr(client._bucket, "test_iam_permissions", no_iam)
    result = client.probe()
    assert (result.status, result.actions) == ("AVAILABLE", expected)


def test_presign_needs_a_service_account(fake_gcs: FakeGcs, gcs_bucket: str) -> None:
    anonymous = GcsClient(_config(fake_gcs.endpoint_url, gcs_bucket))
    assert anonymous.presign("k", "GET", 60) is None
    key_file, _ = service_account("http://127.0.0.1:9/token")
    signer = GcsClient(_config(fake_gcs.endpoint_url, gcs_bucket, service_account_json=key_file))
    url = signer.presign("dir/k.txt", "GET", 60)
    assert url is not None and url.startswith(fake_gcs.endpoint_url)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"] and query["X-Goog-Signature"]
    assert urlsplit(url).path == f"/{gcs_bucket}/dir/k.txt"
    # fake-gcs-server does not check signatures, but it serves the signed path.
    _put(anonymous, "dir/k.txt", b"signed")
    assert httpx.get(url).content == b"signed"
    with pytest.raises(ValueError):
        signer.presign("k", "DELETE", 60)


def test_rejected_key_is_forbidden_and_never_echoed(
    fake_gcs: FakeGcs, gcs_bucket: str, rejecting_token_uri: str
) -> None:
    key_file, pem = service_account(rejecting_token_uri)
    client = GcsClient(_config(fake_gcs.endpoint_url, gcs_bucket, service_account_json=key_file))
    result = client.probe()
    assert result.status == "FORBIDDEN" and not result.actions
    secret_line = pem.splitlines()[5]
    assert secret_line not in (result.detail or "")
    with pytest.raises(ProviderForbidden) as exc:
        client.head("k")
    assert secret_line not in str(exc.value) and exc.value.__cause__ is None


def test_dead_and_hanging_endpoints_answer_in_bounded_time(gcs_bucket: str) -> None:
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)  # accepts (in the kernel) and never answers
    try:
        for port in (_dead_port(), hang.getsockname()[1]):
            client = GcsClient(
                ProviderConfig(
                    provider="GCS",
                    bucket=gcs_bucket,
                    endpoint_url=f"http://127.0.0.1:{port}",
                    credentials={"anonymous": "true"},
                    connect_timeout=1.0,
                    read_timeout=1.0,
                )
            )
            t0 = time.monotonic()
            assert client.probe().status == "UNREACHABLE"
            assert time.monotonic() - t0 < 10
            with pytest.raises(ProviderUnreachable):
                client.head("k")
            assert time.monotonic() - t0 < 20
    finally:
        hang.close()


def test_incomplete_or_bad_credentials_are_refused() -> None:
    with pytest.raises(ProviderError):
        GcsClient(ProviderConfig(provider="GCS", bucket="b", credentials={}))
    bad = json.dumps({"type": "service_account", "private_key": "s3cret-key-material"})
    with pytest.raises(ProviderError) as exc:
        GcsClient(
            ProviderConfig(provider="GCS", bucket="b", credentials={"service_account_json": bad})
        )
    assert "s3cret" not in str(exc.value)


def test_any_user_metadata_survives(client: GcsClient) -> None:
    metadata = {"x-custom": "été, 中", "Key With Space": " padded ", "a": "", "A": "case twin"}
    written = client.write("m.txt", iter([b"m"]), content_type="text/plain", metadata=metadata)
    assert written.metadata == metadata
    head = client.head("m.txt")
    assert head is not None and head.metadata == metadata
    big = client.write(
        "m.big", iter([b"x" * (9 * 1024 * 1024)]), content_type="text/plain", metadata=metadata
    )
    assert big.metadata == metadata  # the resumable path carries it too


def test_objects_carry_gcs_own_crc32c_on_head_listing_and_compose(client: GcsClient) -> None:
    """GCS keeps a CRC32C of every object (composites too): the client reads it back on the
    write's answer, HEAD and listings; a multipart completion's equals the combined one."""
    data = os.urandom(300_000)
    info = client.write(
        "c/one", iter([data]), content_type="text/plain", metadata={}, crc32c=crc32c(data)
    )
    assert info.crc32c == to_wire(crc32c(data))
    head = client.head("c/one")
    assert head is not None and head.crc32c == info.crc32c
    assert [o.crc32c for o in client.list_page("c/", None, 10)] == [info.crc32c]
    up = client.start_multipart("c/two", content_type="text/plain", metadata={})
    parts = [client.write_part("c/two", up, n, iter([data])) for n in (1, 2)]
    whole = crc32c(data + data)
    done = client.complete_multipart(
        "c/two", up, parts, content_type="text/plain", metadata={}, crc32c=whole
    )
    assert done.crc32c == to_wire(whole)


def test_a_completion_with_another_crc32c_keeps_the_object_it_would_replace(
    client: GcsClient,
) -> None:
    """A multipart completion whose declared CRC32C is not the composite's is refused
    without touching the object already under the key (no overwrite-then-delete), and the
    upload stays open: completed again with the right CRC32C it succeeds."""
    old = _put(client, "c/keep", b"old bytes")
    data = os.urandom(300_000)
    up = client.start_multipart("c/keep", content_type="text/plain", metadata={})
    parts = [client.write_part("c/keep", up, n, iter([data])) for n in (1, 2)]
    with pytest.raises(ProviderBadChecksum):
        client.complete_multipart(
            "c/keep", up, parts, content_type="text/plain", metadata={}, crc32c=crc32c(b"x")
        )
    head = client.head("c/keep")
    assert head is not None and head.etag == old
    assert b"".join(client.read("c/keep")) == b"old bytes"
    done = client.complete_multipart(
        "c/keep", up, parts, content_type="text/plain", metadata={}, crc32c=crc32c(data + data)
    )
    assert done.crc32c == to_wire(crc32c(data + data))
    assert b"".join(client.read("c/keep")) == data + data
    assert client.list_page(".bucketry-uploads/", None, 10) == []
