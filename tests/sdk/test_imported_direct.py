"""The SDK's direct data path (``direct=True``) on imported buckets: the bytes go between the
SDK and the provider without passing through the server, and the bearer token never reaches
the provider. Both the server and SeaweedFS are reached through recording TCP forwarders, so
the tests see every byte each of them got or sent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bucketry import Bucket, Client, TransferOptions
from bucketry.errors import PermissionDeniedError
from tests.conftest import SEAWEED_BUCKET
from tests.support.azurite import Azurite
from tests.support.fake_gcs import FakeGcs
from tests.support.gcs_keys import granting_token_endpoint, service_account
from tests.support.live_server import LiveServer
from tests.support.recording_proxy import RecordingProxy, recording_proxy
from tests.support.seaweed import SeaweedS3

pytestmark = pytest.mark.emulator


@dataclass
class Direct:
    bucket: Bucket  # seen by alice through the server's recording proxy
    server: RecordingProxy
    provider: RecordingProxy
    token: str


@pytest.fixture
def direct(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> Iterator[Direct]:
    with (
        recording_proxy(urlsplit(seaweed.endpoint_url).port or 80) as provider,
        recording_proxy(urlsplit(server.url).port or 80) as front,
        Client(url=front.url, token=users["alice"], progress=False) as client,
    ):
        name = f"sdk-direct-{unique}"
        bucket = client.buckets.import_external(
            provider="S3_COMPATIBLE",
            provider_bucket_name=SEAWEED_BUCKET,
            name=name,
            prefix=f"{name}/",
            endpoint_url=provider.url,
            region="us-east-1",
            credentials={
                "access_key_id": seaweed.access_key,
                "secret_access_key": seaweed.secret_key,
            },
        )
        yield Direct(bucket, front, provider, users["alice"])


def test_blob_upload_and_download_bypass_the_server(direct: Direct, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    blob = direct.bucket.blob("one/src.bin")
    report = blob.upload(src, direct=True)
    assert report.ok
    assert data in direct.provider.sent  # the body went to the provider ...
    assert data not in direct.server.sent  # ... and not through the server
    dst = tmp_path / "dst.bin"
    assert blob.download(dst, direct=True).ok
    assert dst.read_bytes() == data
    assert data in direct.provider.received and data not in direct.server.received
    assert direct.token.encode() not in direct.provider.sent
    assert b"authorization: bearer" not in direct.provider.sent.lower()
    # Without direct, the same calls go through the server.
    blob.download(tmp_path / "proxied.bin")
    assert data in direct.server.received


def test_bucket_transfers_with_direct_option(direct: Direct, tmp_path: Path) -> None:
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    files = {"a.bin": os.urandom(20_000), "sub/b.bin": os.urandom(30_000), "empty": b""}
    for rel, content in files.items():
        (folder / rel).write_bytes(content)
    options = TransferOptions(direct=True)
    up = direct.bucket.upload(folder, "tree/", options=options)
    assert up.ok, up
    out = tmp_path / "out"
    down = direct.bucket.download("tree/", out, options=options)
    assert down.ok, down
    for rel, content in files.items():
        assert (out / rel).read_bytes() == content
        if content:
            assert content in direct.provider.sent and content not in direct.server.sent
            assert content not in direct.server.received
    assert direct.token.encode() not in direct.provider.sent


def test_direct_is_proxied_on_managed_buckets(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "m.bin"
    src.write_bytes(b"managed bytes")
    assert bucket.blob("m.bin").upload(src, direct=True).ok
    assert bucket.blob("m.bin").download(tmp_path / "back.bin", direct=True).ok
    assert (tmp_path / "back.bin").read_bytes() == b"managed bytes"


def test_direct_upload_needs_write_access(
    direct: Direct, server: LiveServer, users: dict[str, str], tmp_path: Path
) -> None:
    direct.bucket.blob("ro.txt").write_bytes(b"readable")
    direct.bucket.set_public(True)
    src = tmp_path / "x.txt"
    src.write_bytes(b"not allowed")
    with Client(url=server.url, token=users["bob"], progress=False) as bob:
        theirs = bob.buckets.get(direct.bucket.id).blob("x.txt")
        with pytest.raises(PermissionDeniedError):
            theirs.upload(src, direct=True)
        dst = tmp_path / "ro.txt"
        assert bob.buckets.get(direct.bucket.id).blob("ro.txt").download(dst, direct=True).ok
        assert dst.read_bytes() == b"readable"


def test_azure_direct_upload_and_download(
    client: Client, azurite: Azurite, unique: str, tmp_path: Path
) -> None:
    import uuid

    from azure.storage.blob import BlobServiceClient

    container = f"sdk-direct-{uuid.uuid4().hex[:10]}"
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    service.create_container(container)
    with recording_proxy(urlsplit(azurite.endpoint_url).port or 80) as provider:
        bucket = client.buckets.import_external(
            provider="AZURE_BLOB",
            provider_bucket_name=container,
            name=f"az-sdk-direct-{unique}",
            endpoint_url=provider.url,
            credentials={"account_name": azurite.account_name, "account_key": azurite.account_key},
        )
        data = os.urandom(123_456)
        src = tmp_path / "a.bin"
        src.write_bytes(data)
        assert bucket.blob("d/a.bin").upload(src, direct=True).ok
        assert data in provider.sent and b"x-ms-blob-type: BlockBlob" in provider.sent
        props = service.get_blob_client(container, "d/a.bin").get_blob_properties()
        assert props.blob_type == "BlockBlob" and props.size == len(data)
        dst = tmp_path / "b.bin"
        assert bucket.blob("d/a.bin").download(dst, direct=True).ok
        assert dst.read_bytes() == data and data in provider.received


@pytest.fixture(scope="module")
def gcs_token_uri() -> Iterator[str]:
    """A loopback OAuth endpoint granting every service-account key a token."""
    with granting_token_endpoint() as uri:
        yield uri


def test_gcs_direct_upload_and_download(
    server: LiveServer,
    users: dict[str, str],
    fake_gcs: FakeGcs,
    gcs_token_uri: str,
    unique: str,
    tmp_path: Path,
) -> None:
    """A GCS bucket with a service account (its key made here, so the server signs V4 URLs
    locally): one file and a folder (with an empty file) go up and come back with
    ``direct=True``, their bytes never through the server. (fake-gcs-server serves signed
    paths only on its own host, so only the server is behind a recording proxy here.)"""
    import uuid

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    name = f"sdk-direct-{uuid.uuid4().hex[:10]}"
    gcs = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": fake_gcs.endpoint_url},
    )
    gcs.create_bucket(name)
    key_file, pem = service_account(gcs_token_uri)
    token = users["alice"]
    with (
        recording_proxy(urlsplit(server.url).port or 80) as front,
        Client(url=front.url, token=token, progress=False) as client,
    ):
        bucket = client.buckets.import_external(
            provider="GCS",
            provider_bucket_name=name,
            name=f"gcs-sdk-direct-{unique}",
            endpoint_url=fake_gcs.endpoint_url,
            credentials={"service_account_json": key_file},
        )
        assert sorted(bucket.actions()) == ["READ", "WRITE"]
        data = os.urandom(123_456)
        (tmp_path / "a.bin").write_bytes(data)
        assert bucket.blob("d/a.bin").upload(tmp_path / "a.bin", direct=True).ok
        assert data not in front.sent
        assert gcs.bucket(name).blob("d/a.bin").download_as_bytes() == data
        assert bucket.blob("d/a.bin").download(tmp_path / "b.bin", direct=True).ok
        assert (tmp_path / "b.bin").read_bytes() == data
        assert data not in front.received

        files = {"x.bin": os.urandom(40_000), "sub/y.bin": os.urandom(20_000), "empty": b""}
        for rel, content in files.items():
            (tmp_path / "tree" / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "tree" / rel).write_bytes(content)
        options = TransferOptions(direct=True)
        assert bucket.upload(tmp_path / "tree", "tree/", options=options).ok
        assert bucket.download("tree/", tmp_path / "out", options=options).ok
        for rel, content in files.items():
            assert (tmp_path / "out" / rel).read_bytes() == content
            assert gcs.bucket(name).blob(f"tree/{rel}").download_as_bytes() == content
            if content:
                assert content not in front.sent and content not in front.received
        assert b"X-Goog-Signature=" in front.received  # the 307s to provider-signed URLs
        key_lines = [line.encode() for line in pem.splitlines()[1:-1]]
        assert not any(line in front.received for line in key_lines)


def test_files_above_the_single_put_limit_go_through_the_server(
    direct: Direct, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bucketry.transfer import direct as direct_path

    monkeypatch.setattr(direct_path, "DIRECT_PUT_LIMIT", 100_000)
    small, large = os.urandom(50_000), os.urandom(200_000)
    for name, content in (("small.bin", small), ("large.bin", large)):
        (tmp_path / name).write_bytes(content)
        report = direct.bucket.blob(name).upload(
            tmp_path / name, direct=True, multipart_threshold=64 * 1024, part_size=64 * 1024
        )
        assert report.ok
    assert small not in direct.server.sent
    assert large[:60_000] in direct.server.sent  # proxied as multipart parts
    assert direct.bucket.blob("large.bin").read_bytes() == large
