"""GCS service accounts for tests: a key file with a freshly generated RSA key (so
google-auth signs V4 URLs locally, for real) and a loopback OAuth token endpoint that grants
every key a dummy access token (fake-gcs-server accepts any bearer token).

Every generated private key is remembered by the session's secret scan
(:mod:`tests.support.secret_scan`), so the server log of the whole run is searched for it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.secret_scan import remember

__all__ = ["granting_token_endpoint", "service_account"]


def service_account(token_uri: str) -> tuple[str, str]:
    """A service-account key file (JSON text) whose ``token_uri`` is ``token_uri``, with a
    fresh RSA 2048 key; also returns the private key (PEM), which the secret scan remembers."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "bucketry-test",
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": "signer@bucketry-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }
    remember("GCS private key", pem)
    return json.dumps(info), pem


class _GrantingTokenEndpoint(BaseHTTPRequestHandler):
    """An OAuth token endpoint that grants every JWT assertion a dummy access token."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = {"access_token": f"ya29.test-{uuid.uuid4().hex}", "expires_in": 3600}
        body = json.dumps({**token, "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def granting_token_endpoint() -> Iterator[str]:
    """Serve :class:`_GrantingTokenEndpoint` on 127.0.0.1 until the context exits; yields
    its token URI."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GrantingTokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/token"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
