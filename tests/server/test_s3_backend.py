"""The whole server on its second backend: managed blobs in an S3-compatible store (SeaweedFS,
signatures checked), driven through the SDK."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bucketry import Client
from bucketry_server.accounts.users import create_user
from bucketry_server.storage import S3Store
from tests.conftest import SEAWEED_BUCKET
from tests.sdk.transfer_support import Recorder, fast_link
from tests.support.live_server import LiveServer, live_server
from tests.support.seaweed import SeaweedS3

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def s3_server(
    seaweed: SeaweedS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str, S3Store]]:
    prefix = f"srv-{uuid.uuid4().hex[:8]}/"
    storage = seaweed.store_url(SEAWEED_BUCKET, prefix)
    with live_server(tmp_path_factory.mktemp("s3-backend"), storage=storage) as srv:
        _, token = create_user(srv.state.db, "s3user")
        raw = S3Store(
            SEAWEED_BUCKET,
            prefix,
            endpoint_url=seaweed.endpoint_url,
            region="us-east-1",
            access_key_id=seaweed.access_key,
            secret_access_key=seaweed.secret_key,
        )
        yield srv, token, raw


def _objects(raw: S3Store) -> list[str]:
    pages = raw.client.get_paginator("list_objects_v2").paginate(
        Bucket=SEAWEED_BUCKET, Prefix=raw.prefix
    )
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _settled(raw: S3Store, count: int, timeout: float = 10.0) -> list[str]:
    """The store's objects once there are ``count`` of them, or after ``timeout`` seconds:
    replaced objects and composed parts are deleted just after the answer, not before it."""
    deadline = time.monotonic() + timeout
    while len(found := _objects(raw)) != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_blobs_round_trip_on_s3(s3_server: tuple[LiveServer, str, S3Store], tmp_path: Path) -> None:
    srv, token, raw = s3_server
    assert isinstance(srv.state.store, S3Store)
    client = Client(url=srv.url, token=token, progress=False)
    bucket = client.buckets.create("on-s3")
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello s3")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024 + 123))
    bucket.upload(small, "a/small.txt")
    report = bucket.upload(
        big, "a/big.bin", part_size=5 * 1024 * 1024, multipart_threshold=5 * 1024 * 1024
    )
    assert report.ok
    assert len(_settled(raw, 2)) == 2  # parts were composed into one object and freed

    out = tmp_path / "out.bin"
    bucket.download("a/big.bin", out)
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(big.read_bytes()).digest()
    with bucket.blob("a/big.bin").open() as f:
        f.seek(5 * 1024 * 1024 - 3)
        assert f.read(6) == big.read_bytes()[5 * 1024 * 1024 - 3 : 5 * 1024 * 1024 + 3]
    bucket.blob("a/small.txt").copy_to("b/copy.txt")
    assert bucket.blob("b/copy.txt").read_bytes() == b"hello s3"
    assert bucket.usage()["objects"] == 3 and len(_settled(raw, 3)) == 3

    bucket.blob("a/small.txt").write_bytes(b"replaced")  # the old object is deleted
    assert bucket.blob("a/small.txt").read_bytes() == b"replaced" and len(_settled(raw, 3)) == 3
    assert bucket.rm("a/", recursive=True) == 2
    assert len(_settled(raw, 1)) == 1
    bucket.delete(force=True)
    assert _settled(raw, 0) == []
    client.close()


def test_batch_upload_on_s3(s3_server: tuple[LiveServer, str, S3Store], tmp_path: Path) -> None:
    """The store's generic write_small_many (one write per member) behind blobs_put_batch."""
    srv, token, raw = s3_server
    client = Client(url=srv.url, token=token, progress=False)
    bucket = client.buckets.create("batch-on-s3")
    folder = tmp_path / "many"
    files = {f"d{i % 3}/f{i}.txt": os.urandom(100 + i) for i in range(30)}
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    before = len(_objects(raw))
    methods: list[str] = []
    client.http.event_hooks["request"].append(lambda request: methods.append(request.method))
    report = bucket.upload(folder, "m/")
    assert report.ok and len(_settled(raw, before + 30)) == before + 30
    assert methods.count("POST") == 1 and "PUT" not in methods  # one batch, no per-file PUT
    for rel, data in files.items():
        assert bucket.blob(f"m/{rel}").read_bytes() == data
    bucket.delete(force=True)
    assert len(_settled(raw, before)) == before
    client.close()


def test_merged_parts_stay_within_the_s3_stores_preference(
    s3_server: tuple[LiveServer, str, S3Store], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The S3 store holds each part whole before storing it, so its uploads prefer parts of a
    sixteenth of the spool budget: the SDK, on a fast link, merges the parts still to send no
    further than that (here 10 MiB: 5 MiB slots merged in pairs, not all into one), and the
    blob is whole."""
    srv, token, _ = s3_server
    monkeypatch.setattr(srv.state.settings, "spool_max_bytes", 160 * 1024 * 1024)
    fast_link(monkeypatch, merged=1024**3)  # only the store's preference limits merging
    big = tmp_path / "big.bin"
    data = os.urandom(21 * 1024 * 1024 + 5)  # five 5 MiB slots (the server's least part)
    big.write_bytes(data)
    with Client(url=srv.url, token=token, progress=False) as client:
        bucket = client.buckets.create("on-s3-merged")
        recorder = Recorder(client)
        assert bucket.upload(big, "big.bin", multipart_threshold=0).ok
        sizes = [int(r.headers["content-length"]) for r in recorder.part_puts()]
        assert sizes == [5 * 1024 * 1024, 10 * 1024 * 1024, 6 * 1024 * 1024 + 5]
        assert bucket.blob("big.bin").read_bytes() == data
        bucket.delete(force=True)
