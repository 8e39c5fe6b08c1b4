"""AZURE_BLOB: the Azure Blob ObjectClient against a real Azurite (Shared Key signatures
checked) passes the ObjectClient contract, plus Azure's own cases (blocks, SAS tokens)."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from bucketry_server.backends.azure_blob import BLOCK_SIZE, AzureBlobClient
from bucketry_server.backends.remote.client import (
    ObjectClient,
    ProviderConfig,
    ProviderError,
    ProviderForbidden,
    ProviderNotFound,
    ProviderUnreachable,
    ProviderVersionChanged,
)
from tests.server.providers.contract import ClientFactory, ObjectClientContract
from tests.support.azurite import Azurite
from tests.support.secret_scan import remember

pytestmark = pytest.mark.emulator

WRONG_KEY = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk0Mg=="
remember("wrong Azure account key", WRONG_KEY)


def _config(az: Azurite, container: str, **creds: str) -> ProviderConfig:
    creds = creds or {"account_name": az.account_name, "account_key": az.account_key}
    return ProviderConfig(
        provider="AZURE_BLOB",
        bucket=container,
        endpoint_url=az.endpoint_url,
        credentials=creds,
        connect_timeout=2.0,
        read_timeout=5.0,
    )


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: connection refused


class AzuriteFactory:
    def __init__(self, azurite: Azurite, container: str) -> None:
        self.azurite = azurite
        self.container = container

    def good(self) -> ObjectClient:
        return AzureBlobClient(_config(self.azurite, self.container))

    def wrong_secret(self) -> ObjectClient | None:
        creds = {"account_name": self.azurite.account_name, "account_key": WRONG_KEY}
        return AzureBlobClient(_config(self.azurite, self.container, **creds))

    def missing_bucket(self) -> ObjectClient:
        return AzureBlobClient(_config(self.azurite, "no-such-container"))

    def dead_endpoint(self) -> ObjectClient | None:
        dead = self.azurite._replace(endpoint_url=f"http://127.0.0.1:{_dead_port()}")
        return AzureBlobClient(_config(dead, self.container))


class TestAzureBlobContract(ObjectClientContract):
    @pytest.fixture
    def factory(self, azurite: Azurite, container: str) -> ClientFactory:
        return AzuriteFactory(azurite, container)


@pytest.fixture
def container(azurite: Azurite, unique: str) -> str:
    name = f"c{unique}-{os.getpid()}"
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    service.create_container(name)
    return name


@pytest.fixture
def client(azurite: Azurite, container: str) -> Iterator[AzureBlobClient]:
    c = AzureBlobClient(_config(azurite, container))
    yield c
    c.close()


def _put(client: AzureBlobClient, key: str, data: bytes) -> str:
    return client.write(key, iter([data]), content_type="text/plain", metadata={}).etag


def test_list_pages_prefix_and_start_after(client: AzureBlobClient) -> None:
    keys = sorted([f"p/{i:02d}" for i in range(10)] + ["p/05/x", "q/1", "p0", "o"])
    for key in keys:
        _put(client, key, key.encode())
    expected = [k for k in keys if k.startswith("p/")]
    got: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = client.list_page("p/", cursor, 4)
        if not page:
            break
        pages += 1
        got += [o.key for o in page]
        cursor = page[-1].key
    assert got == expected and pages >= 3
    assert [o.key for o in client.list_page("", "p/09", 3)] == ["p0", "q/1"]
    # start_after before the prefix: from the prefix's first key; after it: nothing.
    assert client.list_page("p/", "a", 2)[0].key == "p/00"
    assert client.list_page("p/", "zzz", 5) == []
    sizes = {o.key: o.size for o in client.list_page("", None, 100)}
    assert sizes["p/05/x"] == len(b"p/05/x")


def test_head_read_ranges_and_etag_pin(client: AzureBlobClient) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    etag = _put(client, "blob.bin", data)
    info = client.head("blob.bin")
    assert info is not None and info.size == len(data) and info.etag == etag
    assert info.content_type == "text/plain" and info.modified_at is not None
    assert client.head("missing") is None
    assert b"".join(client.read("blob.bin")) == data
    chunks = list(client.read("blob.bin", 10, None, etag=etag))
    assert b"".join(chunks) == data[10:] and len(chunks) >= 3
    assert b"".join(client.read("blob.bin", 100, 199, etag=etag)) == data[100:200]
    _put(client, "blob.bin", b"another version")
    with pytest.raises(ProviderVersionChanged):
        b"".join(client.read("blob.bin", 0, 5, etag=etag))
    with pytest.raises(ProviderNotFound):
        client.read("missing")


def test_streamed_write_in_blocks(client: AzureBlobClient, container: str) -> None:
    digest = hashlib.sha256()
    total = 0

    def chunks() -> Iterator[bytes]:
        nonlocal total
        for i in range(9):
            piece = bytes([i]) * (1024 * 1024 + 3)
            digest.update(piece)
            total += len(piece)
            yield piece

    info = client.write(
        "big/file", chunks(), content_type="application/x-test", metadata={"origin": "test"}
    )
    assert total > 8 * 1024 * 1024 and info.size == total
    assert info.metadata == {"origin": "test"} and info.content_type == "application/x-test"
    blob = client._container.get_blob_client("big/file")
    committed, _ = blob.get_block_list("committed")
    assert len(committed) == -(-total // BLOCK_SIZE) >= 3  # staged blocks, not one request
    assert hashlib.sha256(b"".join(client.read("big/file"))).digest() == digest.digest()
    # Small bodies go in one request and can be empty.
    assert client.write("empty", iter([]), content_type="text/plain", metadata={}).size == 0


def test_delete_and_copy(client: AzureBlobClient) -> None:
    for key in ["a", "b", "c"]:
        _put(client, key, key.encode() * 10)
    assert sorted(client.delete(["a", "nope", "c"])) == ["a", "c"]
    assert [o.key for o in client.list_page("", None, 10)] == ["b"]
    copied = client.copy("b", "d/copy")
    assert copied.key == "d/copy" and copied.size == 10
    assert b"".join(client.read("d/copy")) == b"b" * 10
    with pytest.raises(ProviderNotFound):
        client.copy("nope", "e")


def test_presigned_get_and_put_with_plain_httpx(client: AzureBlobClient) -> None:
    _put(client, "dir/signed file.txt", b"signed bytes")
    url = client.presign("dir/signed file.txt", "GET", 60)
    assert url is not None and "sig=" in url
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == b"signed bytes"
    assert httpx.get(url.replace("sig=", "sig=x")).status_code == 403
    put = client.presign("up.txt", "PUT", 60)
    assert put is not None
    answer = httpx.put(put, content=b"put bytes", headers={"x-ms-blob-type": "BlockBlob"})
    assert answer.status_code == 201
    assert b"".join(client.read("up.txt")) == b"put bytes"


def test_probe_statuses_and_no_secret_in_errors(azurite: Azurite, container: str) -> None:
    good = AzureBlobClient(_config(azurite, container))
    result = good.probe()
    assert result.status == "AVAILABLE" and list(result.actions) == ["READ", "WRITE"]
    by_conn = AzureBlobClient(
        _config(azurite, container, connection_string=azurite.connection_string)
    )
    assert by_conn.probe().status == "AVAILABLE"
    assert AzureBlobClient(_config(azurite, "no-such-container")).probe().status == "NOT_FOUND"

    wrong = AzureBlobClient(
        _config(azurite, container, account_name=azurite.account_name, account_key=WRONG_KEY)
    )
    result = wrong.probe()
    assert result.status == "FORBIDDEN" and WRONG_KEY not in (result.detail or "")
    with pytest.raises(ProviderForbidden) as exc:
        wrong.list_page("", None, 5)
    assert WRONG_KEY not in str(exc.value) and exc.value.__cause__ is None
    with pytest.raises(ProviderForbidden):
        wrong.write("x", iter([b"x"]), content_type="text/plain", metadata={})


def test_sas_token_credentials(azurite: Azurite, container: str) -> None:
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    def sas(permission: str) -> str:
        token: str = generate_container_sas(
            azurite.account_name,
            container,
            account_key=azurite.account_key,
            permission=ContainerSasPermissions.from_string(permission),
            expiry=datetime.now(UTC) + timedelta(minutes=5),
        )
        remember("Azure SAS signature", parse_qs(token).get("sig", [""])[0])
        return token

    read_only = AzureBlobClient(
        _config(azurite, container, account_name=azurite.account_name, sas_token=sas("rl"))
    )
    assert list(read_only.probe().actions) == ["READ"]
    assert read_only.presign("k", "GET", 60) is None  # no account key: cannot sign
    token = sas("rwdlc")
    writer = AzureBlobClient(
        _config(azurite, container, account_name=azurite.account_name, sas_token=token)
    )
    assert list(writer.probe().actions) == ["READ", "WRITE"]
    assert writer.write("k", iter([b"v"]), content_type="text/plain", metadata={}).size == 1
    signature = token.split("sig=")[1].split("&")[0]
    with pytest.raises(ProviderForbidden) as exc:
        read_only.write("k2", iter([b"v"]), content_type="text/plain", metadata={})
    assert signature not in str(exc.value)


def test_dead_and_hanging_endpoints_answer_in_bounded_time(azurite: Azurite) -> None:
    dead_port = _dead_port()
    # A listener that accepts and never answers: the read timeout must end the wait.
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)
    stop = threading.Event()

    def swallow() -> None:
        conns = []
        hang.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(hang.accept()[0])
            except OSError:
                continue
        for c in conns:
            c.close()

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    try:
        for port, read_timeout in ((dead_port, 5.0), (hang.getsockname()[1], 1.0)):
            config = ProviderConfig(
                provider="AZURE_BLOB",
                bucket="c",
                endpoint_url=f"http://127.0.0.1:{port}",
                credentials={"account_name": azurite.account_name, "account_key": WRONG_KEY},
                connect_timeout=1.0,
                read_timeout=read_timeout,
            )
            client = AzureBlobClient(config)
            t0 = time.monotonic()
            result = client.probe()
            assert result.status == "UNREACHABLE" and time.monotonic() - t0 < 10
            assert WRONG_KEY not in (result.detail or "")
            with pytest.raises(ProviderUnreachable) as exc:
                client.head("k")
            assert WRONG_KEY not in str(exc.value)
    finally:
        stop.set()
        thread.join()
        hang.close()


def test_incomplete_credentials_are_refused(azurite: Azurite) -> None:
    with pytest.raises(ProviderError):
        AzureBlobClient(ProviderConfig(provider="AZURE_BLOB", bucket="c", credentials={}))
    with pytest.raises(ProviderError) as exc:
        AzureBlobClient(_config(azurite, "c", connection_string="AccountKey=s3cret;junk"))
    assert "s3cret" not in str(exc.value)


@pytest.mark.parametrize(
    "metadata",
    [
        {"origin": "camera_1", "Take": "2"},  # Azure names: stored as they are
        {"x-custom": "été, 中", "Key With Space": " padded ", "a": "", "A": "case twin"},
    ],
)
def test_any_user_metadata_survives(client: AzureBlobClient, metadata: dict[str, str]) -> None:
    written = client.write("m.txt", iter([b"m"]), content_type="text/plain", metadata=metadata)
    assert written.metadata == metadata
    head = client.head("m.txt")
    assert head is not None and head.metadata == metadata
    assert client.list_page("m", None, 1)[0].metadata == metadata
    stored = client._container.get_blob_client("m.txt").get_blob_properties().metadata
    assert (stored == metadata) == all(k.isidentifier() for k in metadata)


def test_upload_handle_is_128_bits_and_gone_blocks_fail_the_completion_clearly(
    client: AzureBlobClient,
) -> None:
    """The handle is 32 hex characters; parts stage and complete under it, also over a blob
    written plainly before. Blocks that are no longer staged (Azure drops them when a plain
    write commits the key meanwhile; Azurite does not, so a block never staged stands in)
    fail the completion with an error that says so."""
    _put(client, "m.bin", b"old")  # committed blocks of a plain write (same id length)
    upload = client.start_multipart("m.bin", content_type="text/plain", metadata={})
    assert len(upload) == 32 and int(upload, 16) >= 0
    part = client.write_part("m.bin", upload, 1, iter([b"new data"]))
    info = client.complete_multipart(
        "m.bin", upload, [part], content_type="text/plain", metadata={}
    )
    assert info.size == 8 and b"".join(client.read("m.bin")) == b"new data"
    upload = client.start_multipart("m.bin", content_type="text/plain", metadata={})
    part = client.write_part("m.bin", upload, 1, iter([b"lost"]))
    tag, _, count = part.token.partition(":")
    gone = replace(part, token=f"{tag}:{int(count) + 1}")
    with pytest.raises(ProviderError) as err:
        client.complete_multipart("m.bin", upload, [gone], content_type="text/plain", metadata={})
    assert "staged blocks are gone" in str(err.value) and "start the upload again" in str(err.value)
    assert b"".join(client.read("m.bin")) == b"new data"
