"""open_store parsing, and S3 specifics: real signature checks, foreign keys under the prefix."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from bucketry_server.storage import LocalStore, S3Store, StorageError, open_store
from tests.support.seaweed import SeaweedS3

from .conftest import BUCKET, make_s3_store
from .test_stores import agen, new_id, read_all

# ---------------------------------------------------------------------- open_store


def test_open_store_paths(tmp_path: Path) -> None:
    for spec in (tmp_path / "a", str(tmp_path / "b"), f"file://{tmp_path}/c%20d"):
        store = open_store(spec)
        assert isinstance(store, LocalStore)
        assert store.tmp_dir.is_dir() and store.objects_dir.is_dir()
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "c d"


def test_open_store_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(".bucketry-data/blobs")
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / ".bucketry-data" / "blobs"


def test_open_store_s3_url() -> None:
    store = open_store(
        "s3://my-bucket/managed/blobs?endpoint_url=http://127.0.0.1:9&region=eu-west-3"
        "&access_key_id=AK&secret_access_key=SK"
    )
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("my-bucket", "managed/blobs/")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store.client.meta.region_name == "eu-west-3"
    creds = store.client._request_signer._credentials
    assert (creds.access_key, creds.secret_key) == ("AK", "SK")


def test_open_store_s3_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET")
    store = open_store("s3://bucket?endpoint_url=http://127.0.0.1:9&region=us-east-1")
    assert isinstance(store, S3Store)
    assert store.prefix == ""
    creds = store.client._request_signer._credentials
    assert (creds.access_key, creds.secret_key) == ("ENVKEY", "ENVSECRET")


@pytest.mark.parametrize("bad", ["s3://", "s3://b?bogus=1", "gs://bucket", "file://host/x"])
def test_open_store_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        open_store(bad)


# ---------------------------------------------------------------------- S3 on SeaweedFS


@pytest.mark.emulator
@pytest.mark.anyio
async def test_wrong_secret_rejected(seaweed: SeaweedS3, tmp_path: Path) -> None:
    """SeaweedFS checks signatures, so these tests really exercise authenticated S3."""
    store = make_s3_store(seaweed, tmp_path / "spool", secret_access_key="not-the-secret")
    with pytest.raises(StorageError) as info:
        await store.write(new_id(), agen(b"x"))
    cause = info.value.__cause__
    assert isinstance(cause, ClientError)
    assert cause.response["Error"]["Code"] in {"SignatureDoesNotMatch", "AccessDenied"}
    with pytest.raises(StorageError):
        await store.list_ids()


@pytest.mark.emulator
@pytest.mark.anyio
async def test_s3_prefix_isolation(seaweed: SeaweedS3, tmp_path: Path) -> None:
    """list_ids sees only well-formed ids directly under its own prefix."""
    store = make_s3_store(seaweed, tmp_path / "spool")
    other = make_s3_store(seaweed, tmp_path / "spool")
    mine = new_id()
    await store.write(mine, agen(b"mine"))
    await other.write(new_id(), agen(b"theirs"))
    store.client.put_object(Bucket=store.bucket, Key=store.prefix + "not-an-id", Body=b"")
    store.client.put_object(Bucket=store.bucket, Key=store.prefix + "sub/" + new_id(), Body=b"")
    assert await store.list_ids() == [mine]
    assert await read_all(store, mine) == b"mine"
    assert store.client.head_object(Bucket=store.bucket, Key=store.prefix + mine)
    await store.close()
    await other.close()


@pytest.mark.emulator
@pytest.mark.anyio
async def test_s3_prefix_gets_slash(seaweed: SeaweedS3, tmp_path: Path) -> None:
    prefix = f"p-{uuid.uuid4().hex[:8]}"
    store = S3Store(
        BUCKET,
        prefix,
        endpoint_url=seaweed.endpoint_url,
        region="us-east-1",
        access_key_id=seaweed.access_key,
        secret_access_key=seaweed.secret_key,
    )
    object_id = new_id()
    await store.write(object_id, agen(b"keyed"))
    resp = store.client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    assert [o["Key"] for o in resp["Contents"]] == [f"{prefix}/{object_id}"]
    assert await store.list_ids() == [object_id]
    await store.close()
