"""AZURE_BLOB (Azurite) and GCS (fake-gcs-server) buckets end to end through the HTTP API:
register, status for good / wrong / missing, the whole data plane; no secret in the
responses or log lines. (Provider-signed URLs are tested on the clients: tests/server/providers/.)"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.server.imported_helpers import auth, exercise_data_plane, import_bucket, list_all, put
from tests.server.providers.test_azure_blob import WRONG_KEY
from tests.support.azurite import Azurite
from tests.support.fake_gcs import FakeGcs
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.emulator


def _azure_body(
    az: Azurite, container: str, name: str, key: str | None = None
) -> dict[str, object]:
    return {
        "provider": "AZURE_BLOB",
        "provider_bucket": container,
        "name": name,
        "endpoint_url": az.endpoint_url,
        "credentials": {"account_name": az.account_name, "account_key": key or az.account_key},
    }


def _gcs_body(fake: FakeGcs, provider_bucket: str, name: str) -> dict[str, object]:
    return {
        "provider": "GCS",
        "provider_bucket": provider_bucket,
        "name": name,
        "endpoint_url": fake.endpoint_url,
        "credentials": {"anonymous": "true"},
    }


def _gcs_with_bucket(fake: FakeGcs, provider_bucket: str) -> storage.Client:
    """An anonymous client of the emulator, after creating ``provider_bucket`` there."""
    gcs = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": fake.endpoint_url},
    )
    gcs.create_bucket(provider_bucket)
    return gcs


def test_azure_container_as_a_bucket(
    server: LiveServer,
    users: dict[str, str],
    azurite: Azurite,
    unique: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every log line of the in-process server and the SDK
    container = f"e2e-{uuid.uuid4().hex[:10]}"
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(container)
    token = users["alice"]
    r = import_bucket(server.api, token, _azure_body(azurite, container, f"az-{unique}"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["provider"], body["status"]) == ("AZURE_BLOB", "AVAILABLE")
    assert sorted(body["actions"]) == ["READ", "WRITE"]
    assert azurite.account_key not in r.text
    exercise_data_plane(server.api, token, f"az-{unique}", store=server.state)
    wrong = import_bucket(
        server.api, token, _azure_body(azurite, container, f"az-wrong-{unique}", WRONG_KEY)
    )
    assert wrong.status_code == 201 and wrong.json()["status"] == "FORBIDDEN", wrong.text
    assert WRONG_KEY not in wrong.text
    missing = import_bucket(server.api, token, _azure_body(azurite, "nope", f"az-miss-{unique}"))
    assert missing.status_code == 201 and missing.json()["status"] == "NOT_FOUND", missing.text
    assert azurite.account_name in caplog.text  # the SDK's request lines are captured
    assert azurite.account_key not in caplog.text and WRONG_KEY not in caplog.text


def test_gcs_bucket_as_a_bucket(
    server: LiveServer, users: dict[str, str], fake_gcs: FakeGcs, unique: str
) -> None:
    name = f"e2e-{uuid.uuid4().hex[:10]}"
    _gcs_with_bucket(fake_gcs, name)
    token = users["alice"]
    r = import_bucket(server.api, token, _gcs_body(fake_gcs, name, f"gcs-{unique}"))
    assert r.status_code == 201, r.text
    assert (r.json()["status"], sorted(r.json()["actions"])) == ("AVAILABLE", ["READ", "WRITE"])
    exercise_data_plane(server.api, token, f"gcs-{unique}", store=server.state)
    st = httpx.get(f"{server.api}/buckets/gcs-{unique}/status", headers=auth(token)).json()
    assert st["status"] == "AVAILABLE"
    missing = import_bucket(
        server.api, token, _gcs_body(fake_gcs, "no-such-bucket", f"gcs-miss-{unique}")
    )
    assert missing.status_code == 201 and missing.json()["status"] == "NOT_FOUND", missing.text


def test_gcs_part_landing_after_its_upload_was_aborted_is_removed(
    server: LiveServer, users: dict[str, str], fake_gcs: FakeGcs, unique: str
) -> None:
    """A part still streaming while its upload is aborted lands as a GCS object after the
    abort deleted the upload's temporary objects: it is answered 404 and deleted too."""
    provider_bucket = f"late-{uuid.uuid4().hex[:10]}"
    gcs = _gcs_with_bucket(fake_gcs, provider_bucket)
    token, name = users["alice"], f"gcs-late-{unique}"
    assert (
        import_bucket(server.api, token, _gcs_body(fake_gcs, provider_bucket, name)).status_code
        == 201
    )
    created = httpx.post(
        f"{server.api}/buckets/{name}/uploads", json={"key": "late.bin"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    upload = created.json()["id"]

    def part_body() -> Iterator[bytes]:
        yield b"a" * 1000
        gone = httpx.delete(f"{server.api}/buckets/{name}/uploads/{upload}", headers=auth(token))
        assert gone.status_code in (200, 204), gone.text
        yield b"b" * 1000

    part = httpx.put(
        f"{server.api}/buckets/{name}/uploads/{upload}/parts/1",
        content=part_body(),
        headers=auth(token),
    )
    assert part.status_code == 404, part.text
    assert [b.name for b in gcs.list_blobs(provider_bucket)] == []


def test_gcs_multipart_parts_are_hidden_and_their_folder_reserved(
    server: LiveServer, users: dict[str, str], fake_gcs: FakeGcs, unique: str
) -> None:
    """The part objects of an upload in progress (under ``<prefix>.bucketry-uploads/``) are
    not listed (nor copied or exported with a prefix), and user keys there are refused."""
    provider_bucket = f"parts-{uuid.uuid4().hex[:10]}"
    gcs = _gcs_with_bucket(fake_gcs, provider_bucket)
    token, name = users["alice"], f"gcs-parts-{unique}"
    assert (
        import_bucket(server.api, token, _gcs_body(fake_gcs, provider_bucket, name)).status_code
        == 201
    )
    assert put(server.api, token, name, "seen.txt", b"hello").status_code == 201
    created = httpx.post(
        f"{server.api}/buckets/{name}/uploads", json={"key": "big.bin"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    upload = created.json()["id"]
    part = httpx.put(
        f"{server.api}/buckets/{name}/uploads/{upload}/parts/1",
        content=b"p" * 10,
        headers=auth(token),
    )
    assert part.status_code == 200, part.text
    names = [b.name for b in gcs.list_blobs(provider_bucket)]
    assert len(names) == 2 and any(n.startswith(".bucketry-uploads/") for n in names)
    assert list_all(server.api, token, name)[0] == ["seen.txt"]
    for r in (
        put(server.api, token, name, ".bucketry-uploads/x.bin", b"no"),
        httpx.get(
            f"{server.api}/buckets/{name}/blob",
            params={"key": names[0] if names[0] != "seen.txt" else names[1]},
            headers=auth(token),
        ),
    ):
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "reserved_key" and ".bucketry-uploads/" in r.json()["detail"]
