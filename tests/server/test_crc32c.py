"""CRC32C, the default transfer checksum: the combine arithmetic, and the server accepting,
refusing, storing and returning ``X-Checksum-CRC32C`` on every write path (PUT, part,
completion, signed PUT, tar batch)."""

from __future__ import annotations

import hashlib
import itertools
import os
from typing import Any

import google_crc32c
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from bucketry_api import ApiClient, ClientError
from bucketry_api.models import (
    BlobCopy,
    BucketCreate,
    SignedUrlRequest,
    UploadComplete,
    UploadCreate,
)
from bucketry_server.crc32c import combine, combine_all, crc32c, from_wire, to_wire
from bucketry_server.models import Blob, UploadPart
from bucketry_server.storage.base import Hasher
from tests.support.live_server import LiveServer

MIN = 64 * 1024  # the shared server's min_part_size


def wire(data: bytes) -> str:
    return to_wire(int(google_crc32c.value(data)))


@pytest.fixture
def bucket(alice: ApiClient, unique: str) -> str:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"crc-{unique}"))
    return b.id


def problem(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    body = exc.value.problem
    return exc.value.status_code, str(body.get("code")), str(body.get("detail"))


# ---------------------------------------------------------------------------- arithmetic


def test_known_values() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert to_wire(crc32c(b"")) == "AAAAAA=="
    assert from_wire(to_wire(0xDEADBEEF)) == 0xDEADBEEF
    with pytest.raises(ValueError, match="X-Checksum-CRC32C"):
        from_wire("AAAA")  # 3 bytes


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096), st.lists(st.integers(0, 4096), max_size=6))
def test_combine_of_random_splits_is_the_crc_of_the_whole(data: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds)]
    parts = [(crc32c(p), len(p)) for p in pieces]
    assert combine_all(parts) == crc32c(data)
    if len(pieces) >= 2:
        head = b"".join(pieces[:-1])
        assert combine(crc32c(head), crc32c(pieces[-1]), len(pieces[-1])) == crc32c(data)


def test_combine_over_large_lengths() -> None:
    """Lengths of gigabytes use the same operator table (no byte is read)."""
    zeros = bytes(3 << 20)
    assert combine(crc32c(b"abc"), crc32c(zeros), len(zeros)) == crc32c(b"abc" + zeros)


# ---------------------------------------------------------------------------- single PUT


def test_put_verifies_stores_and_returns_the_crc(
    server: LiveServer, alice: ApiClient, users: dict[str, str], bucket: str
) -> None:
    data = os.urandom(300_000)
    blob, _ = alice.blobs.put(bucket, key="a.bin", body=data, x_checksum_crc32c=wire(data))
    assert blob.crc32c == wire(data)
    assert blob.sha256 is None  # computed only when the client sends one
    # Known without a checksum header too (always computed while receiving)...
    blob, _ = alice.blobs.put(bucket, key="b.bin", body=data)
    assert blob.crc32c == wire(data) and blob.sha256 is None
    # ...and beside a SHA-256 the client sent.
    sha = hashlib.sha256(data).hexdigest()
    blob, _ = alice.blobs.put(bucket, key="b.bin", body=data, x_checksum_sha256=sha)
    assert blob.crc32c == wire(data) and blob.sha256 == sha
    assert blob.etag == f'"{sha[:32]}"'
    headers = {"Authorization": f"Bearer {users['alice']}"}
    with httpx.Client(base_url=server.api, headers=headers) as http:
        head = http.head(f"/buckets/{bucket}/blob", params={"key": "a.bin"})
        assert head.headers["X-Checksum-CRC32C"] == wire(data)
        get = http.get(f"/buckets/{bucket}/blob", params={"key": "a.bin"})
        assert get.headers["X-Checksum-CRC32C"] == wire(data) and get.content == data
        listed = http.get(f"/buckets/{bucket}/blobs").json()["results"]
    assert {r["key"]: r["crc32c"] for r in listed} == {"a.bin": wire(data), "b.bin": wire(data)}
    copied, _ = alice.blobs.copy(bucket, body=BlobCopy(source_key="a.bin", key="c.bin"))
    assert copied.crc32c == wire(data)  # a copy carries the CRC over


@pytest.mark.parametrize(
    ("header", "code"),
    [(None, "checksum_mismatch"), ("AAAA", "invalid_checksum"), ("!!!!!!==", "invalid_checksum")],
)
def test_put_refuses_a_wrong_or_malformed_crc(
    server: LiveServer, alice: ApiClient, bucket: str, header: str | None, code: str
) -> None:
    data = os.urandom(5000)
    value = header or wire(data + b"x")
    with pytest.raises(ClientError) as exc:
        alice.blobs.put(bucket, key="k", body=data, x_checksum_crc32c=value)
    status, got, detail = problem(exc)
    assert (status, got) == (400, code)
    assert "crc32c" in detail.lower()
    with server.state.db.session() as s:
        assert s.scalar(select(Blob).where(Blob.bucket_id == bucket)) is None  # nothing stored


def test_signed_put_verifies_the_crc(server: LiveServer, alice: ApiClient, bucket: str) -> None:
    res, _ = alice.blobs.sign(
        bucket, body=SignedUrlRequest.from_dict({"items": [{"key": "s.bin", "method": "PUT"}]})
    )
    url = server.url + res.results[0].url
    data = b"signed bytes" * 100
    with httpx.Client() as http:
        bad = http.put(url, content=data, headers={"X-Checksum-CRC32C": wire(b"other")})
        assert bad.status_code == 400 and bad.json()["code"] == "checksum_mismatch"
        ok = http.put(url, content=data, headers={"X-Checksum-CRC32C": wire(data)})
        assert ok.status_code == 201 and ok.json()["crc32c"] == wire(data)


def test_old_blobs_without_crc_keep_their_sha256(
    server: LiveServer, alice: ApiClient, users: dict[str, str], bucket: str
) -> None:
    """A row stored before revision 0006 (no CRC) still answers with its SHA-256 and no CRC."""
    data = b"old blob"
    alice.blobs.put(
        bucket, key="old", body=data, x_checksum_sha256=hashlib.sha256(data).hexdigest()
    )
    with server.state.db.session() as s:
        s.execute(update(Blob).where(Blob.bucket_id == bucket).values(crc32c=None))
    headers = {"Authorization": f"Bearer {users['alice']}"}
    with httpx.Client(base_url=server.api, headers=headers) as http:
        head = http.head(f"/buckets/{bucket}/blob", params={"key": "old"})
    assert "X-Checksum-CRC32C" not in head.headers
    assert head.headers["X-Checksum-SHA256"] == hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- multipart


def _upload(api: ApiClient, bucket: str, key: str = "big.bin") -> str:
    up, _ = api.uploads.create(bucket, body=UploadCreate.from_dict({"key": key}))
    return up.id


def _complete(api: ApiClient, bucket: str, upload_id: str, parts: Any, crc: str | None) -> Any:
    body = UploadComplete.from_dict({"parts": [{"part_number": n, "etag": e} for n, e in parts]})
    kwargs = {"x_checksum_crc32c": crc} if crc is not None else {}
    return api.uploads.complete(bucket, upload_id, body=body, **kwargs)


def test_parts_carry_their_crc_and_completion_combines_them(
    server: LiveServer,
    alice: ApiClient,
    users: dict[str, str],
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = os.urandom(3 * MIN + 777)
    pieces = [data[i : i + MIN] for i in range(0, len(data), MIN)]
    upload_id = _upload(alice, bucket)
    with pytest.raises(ClientError) as exc:
        alice.uploads.put_part(bucket, upload_id, 1, body=pieces[0], x_checksum_crc32c=wire(b"x"))
    assert problem(exc)[:2] == (400, "checksum_mismatch")
    etags = []
    for n, piece in enumerate(pieces, 1):
        part, _ = alice.uploads.put_part(
            bucket, upload_id, n, body=piece, x_checksum_crc32c=wire(piece)
        )
        assert part.crc32c == wire(piece)
        etags.append((n, part.etag))
    # The full-object CRC comes from the part rows, not from reading the parts: a wrong
    # full-object value is refused before anything is composed.
    composed: list[str] = []
    compose = server.state.store.compose

    async def spy(object_id: str, *args: Any, **kwargs: Any) -> Any:
        composed.append(object_id)
        return await compose(object_id, *args, **kwargs)

    monkeypatch.setattr(server.state.store, "compose", spy)
    with pytest.raises(ClientError) as exc:
        _complete(alice, bucket, upload_id, etags, wire(data + b"!"))
    assert problem(exc)[:2] == (400, "checksum_mismatch") and composed == []
    # Completion reads no byte of any part: no store read, no background hash, no hashing
    # while composing (the parts came with CRCs only, so no SHA-256 is computed).
    reads: list[str] = []
    monkeypatch.setattr(server.state.store, "read", lambda oid, *a, **k: reads.append(oid))
    monkeypatch.setattr(server.state.store, "feed", lambda oid, *a, **k: reads.append(oid))
    monkeypatch.setattr(Hasher, "update", lambda self, chunk: reads.append("hashed"))
    blob, _ = _complete(alice, bucket, upload_id, etags, wire(data))
    assert blob.crc32c == wire(data) and len(composed) == 1 and reads == []
    assert blob.sha256 is None and blob.size == len(data)
    monkeypatch.undo()
    headers = {"Authorization": f"Bearer {users['alice']}"}
    with httpx.Client(base_url=server.api, headers=headers) as http:
        assert http.get(f"/buckets/{bucket}/blob", params={"key": "big.bin"}).content == data


def test_completion_crc_is_combined_from_the_stored_part_crcs(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    """Proof that completion does not re-read the parts for the CRC: the blob's CRC is the
    combination of what the part rows say (here deliberately altered), not of the bytes."""
    data = os.urandom(2 * MIN)
    upload_id = _upload(alice, bucket)
    etags = []
    for n, piece in enumerate((data[:MIN], data[MIN:]), 1):
        part, _ = alice.uploads.put_part(bucket, upload_id, n, body=piece)
        etags.append((n, part.etag))
    fake = crc32c(b"not the bytes")
    with server.state.db.session() as s:
        s.execute(
            update(UploadPart)
            .where(UploadPart.upload_id == upload_id, UploadPart.part_number == 2)
            .values(crc32c=to_wire(fake))
        )
    blob, _ = _complete(alice, bucket, upload_id, etags, None)
    assert blob.crc32c == to_wire(combine(crc32c(data[:MIN]), fake, MIN))


def test_completion_checks_a_declared_crc_against_old_parts(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    data = os.urandom(2 * MIN)
    upload_id = _upload(alice, bucket)
    etags = []
    for n, piece in enumerate((data[:MIN], data[MIN:]), 1):
        sha = hashlib.sha256(piece).hexdigest()  # parts stored before 0006 all have one
        part, _ = alice.uploads.put_part(bucket, upload_id, n, body=piece, x_checksum_sha256=sha)
        etags.append((n, part.etag))
    with server.state.db.session() as s:
        s.execute(
            update(UploadPart)
            .where(UploadPart.upload_id == upload_id, UploadPart.part_number == 1)
            .values(crc32c=None)
        )
    # A full-object CRC the parts cannot give is checked against the bytes (read again).
    with pytest.raises(ClientError) as exc:
        _complete(alice, bucket, upload_id, etags, wire(b"other"))
    assert problem(exc)[:2] == (400, "checksum_mismatch")
    blob, _ = _complete(alice, bucket, upload_id, etags, wire(data))
    assert blob.crc32c == wire(data) and blob.sha256 == hashlib.sha256(data).hexdigest()


def test_completion_without_crc_of_a_part_from_before_0006(
    server: LiveServer, alice: ApiClient, bucket: str
) -> None:
    data = os.urandom(2 * MIN)
    upload_id = _upload(alice, bucket)
    etags = []
    for n, piece in enumerate((data[:MIN], data[MIN:]), 1):
        sha = hashlib.sha256(piece).hexdigest()
        part, _ = alice.uploads.put_part(bucket, upload_id, n, body=piece, x_checksum_sha256=sha)
        etags.append((n, part.etag))
    with server.state.db.session() as s:
        s.execute(
            update(UploadPart)
            .where(UploadPart.upload_id == upload_id, UploadPart.part_number == 1)
            .values(crc32c=None)
        )
    blob, _ = _complete(alice, bucket, upload_id, etags, None)
    assert blob.crc32c is None and blob.sha256 == hashlib.sha256(data).hexdigest()
