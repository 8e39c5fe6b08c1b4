"""``blobs_put_batch``: many small blobs from one tar stream, through the generated client."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bucketry_api import ApiClient, ClientError
from bucketry_api.models import Blob as BlobModel
from bucketry_api.models import BlobBatchItem, BucketCreate, PublicAccess
from bucketry_server.accounts.tokens import issue_token
from bucketry_server.blobs import batch
from bucketry_server.models import Blob, User
from tests.support.live_server import LiveServer


@pytest.fixture
def bucket(alice: ApiClient, unique: str) -> str:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"batch-{unique}"))
    return b.id


Member = tuple[str, bytes] | tuple[str, bytes, dict[str, str]] | tarfile.TarInfo


def make_tar(members: list[Member], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
                continue
            info = tarfile.TarInfo(m[0])
            info.size = len(m[1])
            if len(m) == 3:
                info.pax_headers = m[2]
            tar.addfile(info, io.BytesIO(m[1]))
    return buf.getvalue()


def blob_of(item: BlobBatchItem) -> BlobModel:
    assert isinstance(item.blob, BlobModel)
    return item.blob


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(api: ApiClient, bucket: str, key: str) -> bytes:
    with api.blobs.get_stream(bucket, key=key) as resp:
        return b"".join(resp.iter_raw())


def usage(api: ApiClient, bucket: str) -> tuple[int, int]:
    u, _ = api.buckets.usage(bucket)
    return u.bytes_, u.objects


def keys_of(api: ApiClient, bucket: str) -> list[str]:
    page, _ = api.blobs.list(bucket, page_size=1000)
    return [b.key for b in page.results]


def outcome(result: Any) -> list[tuple[str, bool, str | None]]:
    return [(r.key, r.ok, r.error if isinstance(r.error, str) else None) for r in result.results]


def test_happy_path_nested_and_unicode(alice: ApiClient, bucket: str) -> None:
    files = {
        "a.txt": b"hello",
        "dir/nested/deep.bin": bytes(range(256)) * 20,
        "ünï/日本語.txt": "ü".encode() * 100,
        "empty": b"",
        "long/" + "n" * 200 + ".txt": b"long name",
    }
    d = tarfile.TarInfo("dir")
    d.type = tarfile.DIRTYPE
    body = make_tar([d, *[(f"./{k}" if k == "a.txt" else k, v) for k, v in files.items()]])
    result, resp = alice.blobs.put_batch(bucket, body=body, prefix="up/")
    assert resp.status_code == 200
    assert result.stored == len(files) and result.failed == 0
    assert result.bytes_ == sum(len(v) for v in files.values())
    assert [r.key for r in result.results] == [f"up/{k}" for k in files]
    for r in result.results:
        data = files[r.key.removeprefix("up/")]
        blob = blob_of(r)
        assert r.ok and blob.sha256 == sha(data) and blob.size == len(data)
        assert blob.content_type == "application/octet-stream"
        assert blob.etag == f'"{sha(data)[:32]}"'
    for key, data in files.items():
        assert download(alice, bucket, f"up/{key}") == data
        _, head = alice.blobs.head(bucket, key=f"up/{key}")
        assert head.headers["X-Checksum-SHA256"] == sha(data)
    assert sorted(keys_of(alice, bucket)) == sorted(f"up/{k}" for k in files)
    assert usage(alice, bucket) == (sum(len(v) for v in files.values()), len(files))


def test_gnu_format_and_raw_body(server: LiveServer, users: dict[str, str], bucket: str) -> None:
    body = make_tar([("g/" + "x" * 150, b"gnu"), ("ü.txt", b"u")], tarfile.GNU_FORMAT)
    r = httpx.post(
        f"{server.api}/buckets/{bucket}/blobs/batch",
        content=body,
        headers={"Authorization": f"Bearer {users['alice']}"},  # no Content-Type at all
    )
    assert r.status_code == 200, r.text
    assert [i["key"] for i in r.json()["results"]] == ["g/" + "x" * 150, "ü.txt"]


def test_checksums_metadata_content_type(alice: ApiClient, bucket: str) -> None:
    body = make_tar(
        [
            ("good", b"good", {"BUCKETRY.sha256": sha(b"good").upper()}),
            ("bad", b"bad", {"BUCKETRY.sha256": sha(b"other")}),
            (
                "typed.png",
                b"png",
                {"BUCKETRY.content_type": "image/png", "BUCKETRY.metadata": '{"a": "1"}'},
            ),
            ("badtype", b"x", {"BUCKETRY.content_type": "not a type"}),
            ("badmeta", b"x", {"BUCKETRY.metadata": '{"a": 1}'}),
            ("bigmeta", b"x", {"BUCKETRY.metadata": json.dumps({"k": "v" * 3000})}),
        ]
    )
    result, _ = alice.blobs.put_batch(bucket, body=body)
    assert outcome(result) == [
        ("good", True, None),
        ("bad", False, "checksum_mismatch"),
        ("typed.png", True, None),
        ("badtype", False, "invalid_content_type"),
        ("badmeta", False, "invalid_metadata"),
        ("bigmeta", False, "invalid_metadata"),
    ]
    assert result.stored == 2 and result.failed == 4 and result.bytes_ == 7
    typed = blob_of(result.results[2])
    assert typed.content_type == "image/png"
    assert result.to_dict()["results"][2]["blob"]["metadata"] == {"a": "1"}
    _, head = alice.blobs.head(bucket, key="typed.png")
    assert head.headers["Content-Type"] == "image/png"
    assert json.loads(head.headers["X-Blob-Metadata"]) == {"a": "1"}
    assert sorted(keys_of(alice, bucket)) == ["good", "typed.png"]
    assert usage(alice, bucket) == (7, 2)


def test_overwrite(alice: ApiClient, bucket: str, server: LiveServer) -> None:
    alice.blobs.put(bucket, key="k/old", body=b"old contents")
    body = make_tar([("old", b"new"), ("fresh", b"f")])
    refused, _ = alice.blobs.put_batch(bucket, body=body, prefix="k/", overwrite=False)
    assert outcome(refused) == [("k/old", False, "exists"), ("k/fresh", True, None)]
    assert download(alice, bucket, "k/old") == b"old contents"
    assert usage(alice, bucket) == (len(b"old contents") + 1, 2)

    replaced, _ = alice.blobs.put_batch(bucket, body=body, prefix="k/")
    assert outcome(replaced) == [("k/old", True, None), ("k/fresh", True, None)]
    assert download(alice, bucket, "k/old") == b"new"
    assert usage(alice, bucket) == (4, 2)
    # the replaced row kept its creation time; no object is left behind
    old = blob_of(replaced.results[0])
    assert old.created_at != old.modified_at
    with server.state.db.session() as s:
        ids = set(s.scalars(select(Blob.object_id).where(Blob.bucket_id == bucket)).all())
    assert len(ids) == 2
    assert all(asyncio.run(server.state.store.exists(o)) for o in ids)


def test_invalid_keys_duplicates_and_unsupported(alice: ApiClient, bucket: str) -> None:
    link = tarfile.TarInfo("link")
    link.type = tarfile.SYMTYPE
    link.linkname = "a"
    hard = tarfile.TarInfo("hard")
    hard.type = tarfile.LNKTYPE
    hard.linkname = "a"
    fifo = tarfile.TarInfo("fifo")
    fifo.type = tarfile.FIFOTYPE
    body = make_tar(
        [
            ("a", b"1"),
            ("../escape", b"x"),
            ("x//y", b"x"),
            ("ctl\x01", b"x"),
            link,
            ("a", b"2"),
            hard,
            fifo,
            ("b", b"3"),
        ]
    )
    result, _ = alice.blobs.put_batch(bucket, body=body)
    assert outcome(result) == [
        ("a", True, None),
        ("../escape", False, "invalid_key"),
        ("x//y", False, "invalid_key"),
        ("ctl\x01", False, "invalid_key"),
        ("link", False, "unsupported_member"),
        ("a", False, "duplicate"),
        ("hard", False, "unsupported_member"),
        ("fifo", False, "unsupported_member"),
        ("b", True, None),
    ]
    assert download(alice, bucket, "a") == b"1"
    assert usage(alice, bucket) == (2, 2)


def test_failed_checksum_does_not_claim_the_key(alice: ApiClient, bucket: str) -> None:
    body = make_tar([("a", b"1", {"BUCKETRY.sha256": "0" * 64}), ("a", b"2")])
    result, _ = alice.blobs.put_batch(bucket, body=body)
    assert outcome(result) == [("a", False, "checksum_mismatch"), ("a", True, None)]


def test_invalid_prefix_and_empty_archive(alice: ApiClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        alice.blobs.put_batch(bucket, body=make_tar([("a", b"1")]), prefix="../")
    assert exc.value.status_code == 400
    result, _ = alice.blobs.put_batch(bucket, body=make_tar([]))
    assert result.results == [] and result.stored == 0 and result.failed == 0


def test_tar_cut_after_a_whole_member_stores_nothing(alice: ApiClient, bucket: str) -> None:
    """No end-of-archive blocks: the stream was truncated, so nothing of it is stored."""
    whole = make_tar([("a", b"x" * 600), ("b", b"y" * 100)])
    cut = whole[: 512 * 3]  # header + data of "a" only
    for body, says in (
        (cut, "end-of-archive"),
        (whole[: 512 * 5], "end-of-archive"),
        (b"", "no body"),
    ):
        with pytest.raises(ClientError) as exc:
            alice.blobs.put_batch(bucket, body=body)
        assert exc.value.status_code == 400
        assert exc.value.problem["code"] == "invalid_tar"
        assert says in exc.value.problem["detail"]
    assert keys_of(alice, bucket) == []
    assert usage(alice, bucket) == (0, 0)


def test_corrupt_tar_stores_nothing(alice: ApiClient, bucket: str, server: LiveServer) -> None:
    good = make_tar([(f"f{i}", b"x" * 3000) for i in range(600)])  # > one write group
    corrupt = bytearray(good)
    corrupt[500 * 3584 + 100] ^= 0x01  # header of member 500: 256+ members written already
    before = set(server.state.store.objects_dir.rglob("obj_*"))  # type: ignore[attr-defined]
    for body in (bytes(corrupt), good[: 600 * 3584 - 700], b"not a tar at all" * 64):
        with pytest.raises(ClientError) as exc:
            alice.blobs.put_batch(bucket, body=body)
        assert exc.value.status_code == 400
        assert exc.value.problem["code"] == "invalid_tar"
    assert keys_of(alice, bucket) == []
    assert usage(alice, bucket) == (0, 0)
    after = set(server.state.store.objects_dir.rglob("obj_*"))  # type: ignore[attr-defined]
    assert after - before == set()


def test_too_many_members(
    alice: ApiClient, bucket: str, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_MEMBERS", 5)
    with pytest.raises(ClientError) as exc:
        alice.blobs.put_batch(bucket, body=make_tar([(f"f{i}", b"x") for i in range(6)]))
    assert exc.value.status_code == 413
    assert keys_of(alice, bucket) == []
    result, _ = alice.blobs.put_batch(bucket, body=make_tar([(f"f{i}", b"x") for i in range(5)]))
    assert result.stored == 5


def test_member_too_large(alice: ApiClient, bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "MAX_MEMBER_BYTES", 1000)
    body = make_tar([("big", b"x" * 1001), ("small", b"y" * 1000)])
    result, _ = alice.blobs.put_batch(bucket, body=body)
    assert outcome(result) == [("big", False, "too_large"), ("small", True, None)]


def test_request_too_large(
    server: LiveServer, users: dict[str, str], bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_REQUEST_BYTES", 10_000)
    with ApiClient(server.url, token=users["alice"]) as api:
        with pytest.raises(ClientError) as exc:
            api.blobs.put_batch(bucket, body=make_tar([("a", b"x" * 20_000)]))
        assert exc.value.status_code == 413

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted while streaming
            yield make_tar([("a", b"x" * 20_000)])

        with pytest.raises(ClientError) as exc:
            api.blobs.put_batch(bucket, body=chunked())
        assert exc.value.status_code == 413
        assert keys_of(api, bucket) == []


def test_rights(server: LiveServer, users: dict[str, str], alice: ApiClient, bucket: str) -> None:
    body = make_tar([("a", b"1")])
    with server.state.db.session() as s:
        user = s.scalar(select(User).where(User.name == "alice"))
        assert user is not None
        _, secret = issue_token(
            s, user, "ro", kind="cred", id_prefix="crd", bucket_ids=[bucket], read_only=True
        )
    with ApiClient(server.url, token=secret) as ro:
        with pytest.raises(ClientError) as exc:
            ro.blobs.put_batch(bucket, body=body)
        assert exc.value.status_code == 403
    with ApiClient(server.url, token=users["bob"]) as bob:
        with pytest.raises(ClientError) as exc:
            bob.blobs.put_batch(bucket, body=body)
        assert exc.value.status_code == 404
    alice.buckets.set_public(bucket, body=PublicAccess(public=True))
    with ApiClient(server.url) as anon:
        with pytest.raises(ClientError) as exc:
            anon.blobs.put_batch(bucket, body=body)
        assert exc.value.status_code == 401
    with server.state.db.session() as s:
        count = s.scalar(select(func.count()).select_from(Blob).where(Blob.bucket_id == bucket))
    assert count == 0
