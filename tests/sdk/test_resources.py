"""Resource proxies end to end: buckets, uploads, credentials, tokens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bucketry import (
    AuthenticationError,
    Client,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
)
from tests.support.live_server import LiveServer


@pytest.fixture
def client(
    server: LiveServer, users: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Client:
    monkeypatch.setenv("BUCKETRY_CONFIG", str(tmp_path / "none.toml"))
    return Client(url=server.url, token=users["alice"], progress=False)


def test_bucket_repo_and_proxy(client: Client, unique: str) -> None:
    names = [f"res-{unique}-{i}" for i in range(3)]
    for n in names:
        client.buckets.create(n, description=f"about {n}")
    with pytest.raises(ConflictError):
        client.buckets.create(names[0])
    assert client.buckets.create(names[0], exist_ok=True).name == names[0]
    listed = client.buckets.list(search=f"res-{unique}", page_size=2)
    assert [b.name for b in listed] == names and listed.count() == 3
    assert client.buckets.count(search=f"res-{unique}") == 3
    only = client.buckets.list(filter={"==": [{"var": "name"}, names[1]]}).to_list()
    assert [b.name for b in only] == [names[1]]
    frame = client.buckets.list(search=f"res-{unique}").to_pandas()
    assert list(frame["name"]) == names

    lazy = client.bucket(names[0])  # no request yet
    assert lazy.description == f"about {names[0]}" and lazy.id.startswith("bkt_")
    lazy.update(description="changed")
    assert client.buckets.get(lazy.id).description == "changed"
    lazy.blob("x.txt").write_text("hello")
    assert lazy.usage()["objects"] == 1
    with pytest.raises(ConflictError):
        lazy.delete()
    report = lazy.delete(force=True, dry_run=True)
    assert report["dry_run"] and report["blobs"] == 1 and lazy.refresh().name == names[0]
    lazy.delete(force=True)
    with pytest.raises(NotFoundError):
        lazy.refresh()


def test_upload_proxy(client: Client, unique: str) -> None:
    bucket = client.buckets.create(f"up-{unique}")
    upload = bucket.uploads.create("big.bin", metadata={"origin": "test"})
    size = upload.min_part_size or 64 * 1024
    first, last = os.urandom(size), os.urandom(1000)
    upload.put_part(2, last)
    upload.put_part(1, first)
    assert [u.id for u in bucket.uploads.list(key="big.bin")] == [upload.id]
    assert [p.part_number for p in upload.refresh().parts] == [1, 2]
    info = upload.complete()
    assert info.size == size + 1000 and info.metadata == {"origin": "test"}
    assert bucket.blob("big.bin").read_bytes() == first + last
    with pytest.raises(NotFoundError):
        upload.refresh()
    # complete() after put_part() on the same object knows the parts just sent (D2)
    fresh = bucket.uploads.create("fresh.bin")
    fresh.put_part(1, b"only part")
    assert fresh.complete().size == len(b"only part")
    assert bucket.blob("fresh.bin").read_bytes() == b"only part"
    doomed = bucket.uploads.create("never.bin", create_only=True)
    doomed.abort()
    assert bucket.uploads.list().to_list() == []
    with pytest.raises(PreconditionFailedError):
        bucket.uploads.create("big.bin", create_only=True)


def test_credentials_and_tokens(client: Client, server: LiveServer, unique: str) -> None:
    bucket = client.buckets.create(f"cred-{unique}")
    bucket.blob("a.txt").write_text("A")
    cred = client.credentials.create(f"ro-{unique}", [bucket.name], read_only=True)
    assert cred.secret and cred.secret not in repr(cred) and "token" not in cred.to_dict()
    assert cred.bucket_ids == [bucket.id] and cred.read_only
    assert cred.id in {c.id for c in client.credentials.list()}
    assert client.credentials.get(cred.id).refresh().secret is None

    scoped = Client(url=server.url, token=cred.secret)
    assert scoped.bucket(bucket.id).blob("a.txt").read_text() == "A"
    with pytest.raises(PermissionDeniedError):
        scoped.bucket(bucket.id).blob("b.txt").write_text("B")
    cred.delete()
    with pytest.raises(AuthenticationError):
        scoped.bucket(bucket.id).blob("a.txt").read_text()

    token = client.tokens.create(f"tok-{unique}", expires_in=3600)
    assert token.secret and token.id in {t.id for t in client.tokens.list()}
    assert Client(url=server.url, token=token.secret).whoami()["name"] == "alice"
    token.delete()
    with pytest.raises(AuthenticationError):
        Client(url=server.url, token=token.secret).whoami()


def test_upload_errors_name_the_key(client: Client, unique: str) -> None:
    """Issue 8, D6: opening an upload sends the key in the body, so the bare error named only
    the bucket; a create-only upload of an existing key names ``bkt://bucket/key``."""
    bucket = client.buckets.create(f"upl-names-{unique}")
    try:
        bucket.blob("taken.bin").write_bytes(b"x")
        with pytest.raises(PreconditionFailedError) as info:
            bucket.uploads.create("taken.bin", create_only=True)
        assert f"bkt://{bucket.ref}/taken.bin" in str(info.value)
        assert info.value.status_code == 412 and info.value.request_id
    finally:
        bucket.delete(force=True)
