"""Provider-signed URLs and the direct data path of imported buckets, over HTTP.

SeaweedFS (S3_COMPATIBLE) is reached through a recording TCP forwarder used as the bucket's
endpoint, so the tests see every byte that went to the provider; Azurite (AZURE_BLOB) and
fake-gcs-server (GCS, with a service-account key made by the test) directly.
Signed URLs of imported buckets whose provider can sign are the provider's own (``kind:
provider``) and work with plain httpx; ``?direct=true`` / ``Prefer: redirect`` answer 307 to
the provider after the usual authorization; managed buckets and requests needing the server
are proxied as before.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket, put
from tests.support.azurite import Azurite
from tests.support.fake_gcs import FakeGcs
from tests.support.gcs_keys import granting_token_endpoint, service_account
from tests.support.live_server import LiveServer
from tests.support.recording_proxy import RecordingProxy, recording_proxy
from tests.support.seaweed import SeaweedS3
from tests.support.secret_scan import remember

pytestmark = pytest.mark.emulator


@pytest.fixture
def s3_direct(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> Iterator[tuple[str, RecordingProxy]]:
    """An S3_COMPATIBLE bucket of alice whose endpoint is a recording proxy to SeaweedFS."""
    with recording_proxy(urlsplit(seaweed.endpoint_url).port or 80) as proxy:
        name = f"sw-direct-{unique}"
        r = import_bucket(
            server.api,
            users["alice"],
            {
                "provider": "S3_COMPATIBLE",
                "provider_bucket": SEAWEED_BUCKET,
                "endpoint_url": proxy.url,
                "region": "us-east-1",
                "name": name,
                "prefix": f"{name}/",
                "credentials": {
                    "access_key_id": seaweed.access_key,
                    "secret_access_key": seaweed.secret_key,
                },
            },
        )
        assert r.status_code == 201 and r.json()["status"] == "AVAILABLE", r.text
        yield name, proxy


def _sign(
    api: str, token: str, bucket: str, key: str, method: str, expires_in: int = 600
) -> dict[str, str]:
    r = httpx.post(
        f"{api}/buckets/{bucket}/signed-urls",
        json={"items": [{"key": key, "method": method, "expires_in": expires_in}]},
        headers=auth(token),
    )
    assert r.status_code == 200, r.text
    result: dict[str, str] = r.json()["results"][0]
    return result


def _direct(
    api: str, token: str, bucket: str, key: str, method: str, **headers: str
) -> httpx.Response:
    return httpx.request(
        method,
        f"{api}/buckets/{bucket}/blob",
        params={"key": key, **({} if "Prefer" in headers else {"direct": "true"})},
        headers={**auth(token), **headers},
        follow_redirects=False,
    )


def _proxied_get(api: str, token: str, bucket: str, key: str) -> bytes:
    r = httpx.get(f"{api}/buckets/{bucket}/blob", params={"key": key}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.content


def test_s3_signed_urls_are_the_providers(
    server: LiveServer, users: dict[str, str], s3_direct: tuple[str, RecordingProxy]
) -> None:
    bucket, proxy = s3_direct
    api, token = server.api, users["alice"]
    data = os.urandom(70_000)
    up = _sign(api, token, bucket, "signed/up.bin", "PUT")
    assert up["kind"] == "provider" and up["url"].startswith(proxy.url), up
    assert "X-Amz-Signature" in up["url"] and token not in up["url"]
    assert httpx.put(up["url"], content=data).status_code == 200
    assert data in proxy.sent  # the body went to the provider itself
    assert _proxied_get(api, token, bucket, "signed/up.bin") == data
    down = _sign(api, token, bucket, "signed/up.bin", "GET")
    assert down["kind"] == "provider" and down["url"].startswith(proxy.url)
    got = httpx.get(down["url"])
    assert got.status_code == 200 and got.content == data


def test_long_lived_signed_urls_are_the_servers(
    server: LiveServer, users: dict[str, str], s3_direct: tuple[str, RecordingProxy]
) -> None:
    """A provider URL cannot be revoked: beyond 900 s the URL is the server's, which dies
    with the token that made it."""
    bucket, _ = s3_direct
    api, token = server.api, users["alice"]
    long = _sign(api, token, bucket, "signed/long.bin", "GET", expires_in=86_400)
    assert long["kind"] == "server" and "/signed/" in long["url"], long
    assert _sign(api, token, bucket, "signed/long.bin", "GET", 900)["kind"] == "provider"


def test_s3_direct_get_and_put_redirect_to_the_provider(
    server: LiveServer, users: dict[str, str], s3_direct: tuple[str, RecordingProxy]
) -> None:
    bucket, proxy = s3_direct
    api, token = server.api, users["alice"]
    data = os.urandom(90_000)
    r = _direct(api, token, bucket, "d/one.bin", "PUT")
    assert r.status_code == 307, r.text
    location = r.headers["location"]
    assert location.startswith(proxy.url) and "X-Amz-Expires=300" in location
    before = len(proxy.sent)
    assert httpx.put(location, content=data).status_code == 200
    assert data in proxy.sent[before:]
    for how in ({}, {"Prefer": "redirect"}):
        g = _direct(api, token, bucket, "d/one.bin", "GET", **how)
        assert g.status_code == 307, g.text
        assert g.content == b"" and g.headers["location"].startswith(proxy.url)
        fetched = httpx.get(g.headers["location"])
        assert fetched.status_code == 200 and fetched.content == data
    assert token.encode() not in proxy.sent  # the bearer token never reached the provider
    missing = _direct(api, token, bucket, "d/none.bin", "GET")
    assert missing.status_code == 404, missing.text
    # A header only the server can honour keeps the request proxied.
    cond = _direct(api, token, bucket, "d/one.bin", "GET", **{"If-Match": "*"})
    assert cond.status_code == 200 and cond.content == data


def test_direct_put_needs_write_access(
    server: LiveServer, users: dict[str, str], s3_direct: tuple[str, RecordingProxy]
) -> None:
    bucket, _ = s3_direct
    api = server.api
    assert put(api, users["alice"], bucket, "ro/k.txt", b"k").status_code == 201
    pub = httpx.put(
        f"{api}/buckets/{bucket}/public", json={"public": True}, headers=auth(users["alice"])
    )
    assert pub.status_code == 200, pub.text
    refused = _direct(api, users["bob"], bucket, "ro/new.txt", "PUT")
    assert refused.status_code == 403 and "location" not in refused.headers, refused.text
    signed = httpx.post(
        f"{api}/buckets/{bucket}/signed-urls",
        json={"items": [{"key": "ro/new.txt", "method": "PUT"}]},
        headers=auth(users["bob"]),
    )
    assert signed.status_code == 403, signed.text
    read = _direct(api, users["bob"], bucket, "ro/k.txt", "GET")
    assert read.status_code == 307 and httpx.get(read.headers["location"]).content == b"k"
    anonymous = httpx.put(
        f"{api}/buckets/{bucket}/blob", params={"key": "ro/x", "direct": "true"}, content=b""
    )
    assert anonymous.status_code == 401, anonymous.text


def test_managed_buckets_ignore_the_preference(server: LiveServer, users: dict[str, str]) -> None:
    api, token = server.api, users["alice"]
    name = f"managed-direct-{uuid.uuid4().hex[:8]}"
    assert httpx.post(f"{api}/buckets", json={"name": name}, headers=auth(token)).is_success
    w = httpx.put(
        f"{api}/buckets/{name}/blob",
        params={"key": "m.txt", "direct": "true"},
        content=b"managed",
        headers=auth(token),
    )
    assert w.status_code == 201, w.text
    r = _direct(api, token, name, "m.txt", "GET")
    assert r.status_code == 200 and r.content == b"managed"
    signed = _sign(api, token, name, "m.txt", "GET")
    assert signed["kind"] == "server" and "/signed/" in signed["url"]


def test_azure_signed_and_direct(
    server: LiveServer, users: dict[str, str], azurite: Azurite, unique: str
) -> None:
    container = f"direct-{uuid.uuid4().hex[:10]}"
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(container)
    api, token, bucket = server.api, users["alice"], f"az-direct-{unique}"
    r = import_bucket(
        api,
        token,
        {
            "provider": "AZURE_BLOB",
            "provider_bucket": container,
            "name": bucket,
            "endpoint_url": azurite.endpoint_url,
            "credentials": {
                "account_name": azurite.account_name,
                "account_key": azurite.account_key,
            },
        },
    )
    assert r.status_code == 201, r.text
    blob_type = {"x-ms-blob-type": "BlockBlob"}
    up = _sign(api, token, bucket, "s/a.bin", "PUT")
    assert up["kind"] == "provider" and up["url"].startswith(azurite.endpoint_url)
    remember("Azure SAS signature", parse_qs(urlsplit(up["url"]).query)["sig"][0])
    assert httpx.put(up["url"], content=b"via sas", headers=blob_type).status_code == 201
    down = _sign(api, token, bucket, "s/a.bin", "GET")
    assert down["kind"] == "provider" and httpx.get(down["url"]).content == b"via sas"
    d = _direct(api, token, bucket, "s/b.bin", "PUT")
    assert d.status_code == 307 and d.headers["location"].startswith(azurite.endpoint_url)
    data = os.urandom(50_000)
    assert httpx.put(d.headers["location"], content=data, headers=blob_type).status_code == 201
    assert _proxied_get(api, token, bucket, "s/b.bin") == data
    g = _direct(api, token, bucket, "s/b.bin", "GET", Prefer="redirect")
    assert g.status_code == 307 and httpx.get(g.headers["location"]).content == data


@pytest.fixture(scope="module")
def gcs_token_uri() -> Iterator[str]:
    """A loopback OAuth endpoint granting every service-account key a token."""
    with granting_token_endpoint() as uri:
        yield uri


def _gcs_signer_bucket(
    api: str, token: str, fake_gcs: FakeGcs, token_uri: str, name: str
) -> tuple[str, str]:
    """A fake-gcs-server bucket registered with a service account whose key was made here
    (google-auth signs V4 URLs with it, locally); returns the provider bucket and the key."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    provider_bucket = f"direct-{uuid.uuid4().hex[:10]}"
    storage.Client(
        project="test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": fake_gcs.endpoint_url},
    ).create_bucket(provider_bucket)
    key_file, pem = service_account(token_uri)
    r = import_bucket(
        api,
        token,
        {
            "provider": "GCS",
            "provider_bucket": provider_bucket,
            "name": name,
            "endpoint_url": fake_gcs.endpoint_url,
            "credentials": {"service_account_json": key_file},
        },
    )
    assert r.status_code == 201, r.text
    assert (r.json()["status"], sorted(r.json()["actions"])) == ("AVAILABLE", ["READ", "WRITE"])
    assert not any(line in r.text for line in pem.splitlines()[1:-1])
    return provider_bucket, pem


def _assert_gcs_url(url: str, fake_gcs: FakeGcs, path: str, expires: int, pem: str) -> None:
    """A V4 URL signed for the emulator's host (not storage.googleapis.com)."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == fake_gcs.endpoint_url, url
    assert "googleapis.com" not in url and parts.path == path
    query = parse_qs(parts.query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == [str(expires)] and len(query["X-Goog-Signature"][0]) == 512
    assert query["X-Goog-SignedHeaders"] == ["host"]
    remember("GCS V4 signature", query["X-Goog-Signature"][0])  # a bearer credential too
    assert not any(line in url for line in pem.splitlines()[1:-1])


def test_gcs_signed_and_direct(
    server: LiveServer, users: dict[str, str], fake_gcs: FakeGcs, gcs_token_uri: str, unique: str
) -> None:
    """fake-gcs-server does not check signatures, so the URLs' shape is asserted too."""
    api, token, bucket = server.api, users["alice"], f"gcs-direct-{unique}"
    provider_bucket, pem = _gcs_signer_bucket(api, token, fake_gcs, gcs_token_uri, bucket)
    up = _sign(api, token, bucket, "s/a.bin", "PUT", expires_in=600)
    assert up["kind"] == "provider", up
    _assert_gcs_url(up["url"], fake_gcs, f"/{provider_bucket}/s/a.bin", 600, pem)
    assert httpx.put(up["url"], content=b"via v4").status_code == 200
    assert _proxied_get(api, token, bucket, "s/a.bin") == b"via v4"
    down = _sign(api, token, bucket, "s/a.bin", "GET", expires_in=120)
    assert down["kind"] == "provider", down
    _assert_gcs_url(down["url"], fake_gcs, f"/{provider_bucket}/s/a.bin", 120, pem)
    assert httpx.get(down["url"]).content == b"via v4"

    d = _direct(api, token, bucket, "d/b.bin", "PUT")
    assert d.status_code == 307, d.text
    _assert_gcs_url(d.headers["location"], fake_gcs, f"/{provider_bucket}/d/b.bin", 300, pem)
    data = os.urandom(50_000)
    assert httpx.put(d.headers["location"], content=data).status_code == 200
    assert _proxied_get(api, token, bucket, "d/b.bin") == data
    for how in ({}, {"Prefer": "redirect"}):
        g = _direct(api, token, bucket, "d/b.bin", "GET", **how)
        assert g.status_code == 307, g.text
        _assert_gcs_url(g.headers["location"], fake_gcs, f"/{provider_bucket}/d/b.bin", 300, pem)
        assert httpx.get(g.headers["location"]).content == data
    assert token not in d.headers["location"]
