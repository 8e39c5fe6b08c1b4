"""A provider failing on its own side (5xx, throttling) is a 502 ``provider_error``, retried by
the SDK, not a 409: each provider's mapping driven with its library's own exception objects,
and once end to end through the HTTP API against an S3 endpoint that answers 500. Real
conflicts stay 409/412-like, and no library message (URLs, signatures) reaches the detail."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from botocore.exceptions import ClientError
from google.api_core import exceptions as gexc

from bucketry_server.backends.aws_s3 import S3Client
from bucketry_server.backends.azure_blob import AzureBlobClient
from bucketry_server.backends.gcs import GcsClient
from bucketry_server.backends.remote.client import ObjectClient, ProviderConfig, ProviderError
from bucketry_server.backends.remote.errors import domain_error
from bucketry_server.problems import status_of
from tests.server.imported_helpers import auth, import_bucket
from tests.support.live_server import LiveServer

#: What a library message may carry and a problem must never show.
LEAK = "https://acct.example.net/c/k?sig=LEAKED-SIGNATURE"


def _s3() -> S3Client:
    return S3Client(
        ProviderConfig(
            provider="S3_COMPATIBLE",
            bucket="b",
            endpoint_url="http://127.0.0.1:9",
            region="us-east-1",
            credentials={"access_key_id": "a", "secret_access_key": "s"},
        ),
        path_style=True,
    )


def _azure() -> AzureBlobClient:
    key = base64.b64encode(b"k" * 64).decode()
    return AzureBlobClient(
        ProviderConfig(
            provider="AZURE_BLOB",
            bucket="c",
            endpoint_url="http://127.0.0.1:9/acct",
            credentials={"account_name": "acct", "account_key": key},
        )
    )


def _gcs() -> GcsClient:
    return GcsClient(
        ProviderConfig(
            provider="GCS",
            bucket="g",
            endpoint_url="http://127.0.0.1:9",
            credentials={"anonymous": "true"},
        )
    )


def _s3_error(code: str, status: int) -> ClientError:
    body = {
        "Error": {"Code": code, "Message": f"failed at {LEAK}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(body, "HeadObject")  # type: ignore[arg-type]


def _azure_error(status: int, code: str, kind: type[HttpResponseError] = HttpResponseError) -> Any:
    exc = kind(message=f"{code}: see {LEAK}")
    exc.status_code = status
    exc.error_code = code  # as azure-storage-blob's error processing sets it
    return exc


def _raising(exc: BaseException) -> Callable[..., Any]:
    def call(*args: object, **kwargs: object) -> Any:
        raise exc

    return call


def _head_fails(client: ObjectClient, exc: BaseException) -> ProviderError:
    """What ``client.head`` raises when its library call raises ``exc``."""
    if isinstance(client, S3Client):
        client.s3.head_object = _raising(exc)  # type: ignore[method-assign]
    elif isinstance(client, AzureBlobClient):
        blob = type("Blob", (), {"get_blob_properties": _raising(exc)})()
        client._container.get_blob_client = lambda key: blob  # type: ignore[method-assign]
    else:
        assert isinstance(client, GcsClient)
        client._bucket.get_blob = _raising(exc)  # type: ignore[method-assign]
    with pytest.raises(ProviderError) as info:
        client.head("k")
    return info.value


@pytest.mark.parametrize(
    ("make", "exc"),
    [
        (_s3, _s3_error("InternalError", 500)),
        (_s3, _s3_error("SlowDown", 503)),
        (_s3, _s3_error("ServiceUnavailable", 503)),
        (_azure, _azure_error(503, "ServerBusy")),
        (_azure, _azure_error(500, "InternalError")),
        (_gcs, gexc.ServiceUnavailable(f"backend error {LEAK}")),
        (_gcs, gexc.InternalServerError(f"backend error {LEAK}")),
        (_gcs, gexc.TooManyRequests(f"rate limited {LEAK}")),
    ],
    ids=lambda v: getattr(v, "__name__", type(v).__name__),
)
def test_provider_side_failures_are_bad_gateways(
    make: Callable[[], ObjectClient], exc: BaseException
) -> None:
    client = make()
    try:
        err = domain_error(_head_fails(client, exc))
    finally:
        client.close()
    assert (status_of(err), err.code) == (502, "provider_error"), (err.code, err.detail)
    assert err.detail and "failed" in err.detail
    assert "LEAKED" not in err.detail and "https://" not in err.detail


@pytest.mark.parametrize(
    ("make", "exc", "status", "code"),
    [
        (_s3, _s3_error("PreconditionFailed", 412), 409, "version_changed"),
        (_s3, _s3_error("OperationAborted", 409), 409, "provider_error"),
        (
            _azure,
            _azure_error(409, "BlobAlreadyExists", ResourceExistsError),
            409,
            "provider_error",
        ),
        (_gcs, gexc.Conflict(f"exists {LEAK}"), 409, "provider_error"),
        (_gcs, gexc.PreconditionFailed(f"changed {LEAK}"), 409, "version_changed"),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_real_conflicts_stay_conflicts(
    make: Callable[[], ObjectClient], exc: BaseException, status: int, code: str
) -> None:
    client = make()
    try:
        err = domain_error(_head_fails(client, exc))
    finally:
        client.close()
    assert (status_of(err), err.code) == (status, code)
    assert "LEAKED" not in (err.detail or "")


class _Failing(BaseHTTPRequestHandler):
    """An S3 endpoint whose every answer is 500 InternalError (a message naming a URL)."""

    def _fail(self) -> None:
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code>"
            f"<Message>We encountered an internal error at {LEAK}</Message></Error>"
        ).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _fail

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def failing_s3() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_failing_provider_is_a_502_through_the_api(
    server: LiveServer, users: dict[str, str], unique: str, failing_s3: str
) -> None:
    token = users["alice"]
    body = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": "b",
        "name": f"failing-{unique}",
        "endpoint_url": failing_s3,
        "credentials": {"access_key_id": "a", "secret_access_key": "failing-secret"},
    }
    r = import_bucket(server.api, token, body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "UNREACHABLE"
    h = auth(token)
    api, name = server.api, f"failing-{unique}"
    for got in (
        httpx.get(f"{api}/buckets/{name}/blobs", headers=h, timeout=60),
        httpx.get(f"{api}/buckets/{name}/blob", params={"key": "k"}, headers=h, timeout=60),
    ):
        assert got.status_code == 502, got.text
        problem = got.json()
        assert problem["code"] == "provider_error" and "500" in problem["detail"]
        assert "LEAKED" not in got.text and "failing-secret" not in got.text
