"""DNS rebinding: a provider host that resolves to a refused address when a connection is made
is refused at connect time (no request reaches it), whatever it resolved to before."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bucketry_server.backends.aws_s3 import S3Client
from bucketry_server.backends.azure_blob import AzureBlobClient
from bucketry_server.backends.gcs import GcsClient
from bucketry_server.backends.remote.client import ObjectClient, ProviderConfig, ProviderError
from tests.support.secret_scan import remember

REBOUND = "rebound.bucketry.test"  # resolves to 127.0.0.1 (the resolver is patched below)


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def _answer(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_POST = do_HEAD = _answer

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def listener() -> Iterator[int]:
    """A loopback HTTP server recording every request it gets; yields its port."""
    _Counting.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def rebound_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """:data:`REBOUND` resolves to 127.0.0.1 for every library (``socket.getaddrinfo``)."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == REBOUND else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def service_account_key(token_uri: str) -> str:
    """A service-account key file (JSON text) with a fresh RSA key and ``token_uri``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    remember("GCS private key", pem)
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "bucketry-test",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "tester@bucketry-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": token_uri,
        }
    )


def _config(provider: str, url: str, allowed: tuple[str, ...], **creds: str) -> ProviderConfig:
    return ProviderConfig(
        provider=provider,
        bucket="rebound",
        endpoint_url=url,
        credentials=creds,
        connect_timeout=2.0,
        read_timeout=2.0,
        allowed_networks=allowed,
    )


def _s3(url: str, allowed: tuple[str, ...]) -> ObjectClient:
    config = _config("S3_COMPATIBLE", url, allowed, access_key_id="a", secret_access_key="s")
    return S3Client(config, path_style=True)


def _azure(url: str, allowed: tuple[str, ...]) -> ObjectClient:
    return AzureBlobClient(
        _config("AZURE_BLOB", url, allowed, account_name="acct", account_key="a2V5")
    )


def _gcs(url: str, allowed: tuple[str, ...]) -> ObjectClient:
    return GcsClient(_config("GCS", url, allowed, anonymous="true"))


def _gcs_token(url: str, allowed: tuple[str, ...]) -> ObjectClient:
    # A public API endpoint that is never reached: the token refresh comes first.
    key_file = service_account_key(f"{url}/token")
    return GcsClient(_config("GCS", "http://192.0.2.1:9", allowed, service_account_json=key_file))


CLIENTS: dict[str, Callable[[str, tuple[str, ...]], ObjectClient]] = {
    "s3": _s3,
    "azure": _azure,
    "gcs": _gcs,
    "gcs-token-uri": _gcs_token,
}


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_host_rebound_to_loopback_is_refused_at_connect(
    make: Callable[[str, tuple[str, ...]], ObjectClient], listener: int
) -> None:
    client = make(f"http://{REBOUND}:{listener}", ())
    with pytest.raises(ProviderError):
        client.head("k")
    assert _Counting.hits == []  # no request (and no credential) reached the address
    client.close()


@pytest.mark.parametrize("make", [_s3, _azure, _gcs], ids=["s3", "azure", "gcs"])
def test_allowed_network_lets_the_rebound_host_through(
    make: Callable[[str, tuple[str, ...]], ObjectClient], listener: int
) -> None:
    client = make(f"http://{REBOUND}:{listener}", ("127.0.0.0/8",))
    with pytest.raises(ProviderError):  # the listener answers 500
        client.head("k")
    assert _Counting.hits  # the guard lets an allowed address through: the test can tell
    client.close()
