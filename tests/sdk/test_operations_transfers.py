"""``client.operations.import_url`` and ``.export`` end to end against the session's real
server (issue 10): a signed URL on a loopback HTTP server fetched into a managed bucket (sha256
in the result, the query never shown), a refused address answered 400 at creation with nothing
stored, a cancelled import leaving no blob, a prefix exported to an imported SeaweedFS bucket
with 5 MiB parts and read back."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bucketry import BadRequestError, Bucket, Client, NotFoundError, OperationCancelledError
from tests.conftest import SEAWEED_BUCKET
from tests.sdk.test_operations import check_hook
from tests.support.live_server import LiveServer
from tests.support.seaweed import SeaweedS3
from tests.support.secret_scan import remember

SIGNATURE = "X-Amz-Signature=" + hashlib.sha256(b"bucketry import_url test").hexdigest()
MiB = 1024 * 1024


@contextmanager
def source(body: bytes) -> Iterator[str]:
    """A loopback HTTP server answering ``body`` to a GET carrying :data:`SIGNATURE` (403
    otherwise); yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = SIGNATURE in self.path
            self.send_response(200 if ok else 403)
            self.send_header("Content-Length", str(len(body) if ok else 0))
            self.send_header("Content-Type", "application/x-test")
            self.end_headers()
            if ok:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_import_url_of_a_signed_url_into_a_managed_bucket(client: Client, bucket: Bucket) -> None:
    remember("import_url signature", SIGNATURE)  # the session log scan must never see it
    body = os.urandom(300_000)
    with source(body) as base:
        op = client.operations.import_url(f"{base}/in/data.bin?{SIGNATURE}", (bucket, "got.bin"))
        assert op.kind == "IMPORT_URL" and op.params["url"] == f"{base}/in/data.bin"
        assert op.wait(timeout=30, poll=0.05) is op
    assert op.status == "SUCCEEDED", op
    assert op.result is not None
    assert op.result["sha256"] == hashlib.sha256(body).hexdigest()
    assert op.result["size"] == len(body) and op.result["url"] == f"{base}/in/data.bin"
    assert op.result["content_type"] == "application/x-test"
    assert bucket.blob("got.bin").read_bytes() == body
    assert SIGNATURE not in repr(client.operations.get(op.id).params)


@pytest.mark.parametrize("url", ["http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data"])
def test_import_url_of_a_refused_address_is_a_400_and_stores_nothing(
    client: Client, bucket: Bucket, url: str
) -> None:
    before = [op.id for op in client.operations.list(kind="IMPORT_URL")]
    with pytest.raises(BadRequestError) as info:
        client.operations.import_url(url, (bucket, "never.bin"))
    assert "url" in str(info.value)
    assert [op.id for op in client.operations.list(kind="IMPORT_URL")] == before
    with pytest.raises(NotFoundError):
        bucket.blob("never.bin").read_bytes()


def test_cancelled_import_url_leaves_no_blob(
    server: LiveServer, client: Client, bucket: Bucket
) -> None:
    async def slow(operation_id: str) -> None:  # a check per MiB: >= 0.2 s per MiB
        await asyncio.sleep(0.2)

    with source(os.urandom(16 * MiB)) as base, check_hook(server, slow):
        op = client.operations.import_url(f"{base}/big?{SIGNATURE}", (bucket, "half.bin"))
        deadline = time.monotonic() + 20
        while op.refresh().progress.bytes_done < MiB:
            assert time.monotonic() < deadline and not op.done, op
            time.sleep(0.05)
        op.cancel()
        with pytest.raises(OperationCancelledError):
            op.wait(timeout=10, poll=0.05)
    assert op.status == "CANCELLED" and op.result is None
    with pytest.raises(NotFoundError):
        bucket.blob("half.bin").read_bytes()
    assert [i.key for i in bucket.list("", recursive=True)] == []


def test_export_a_prefix_to_seaweedfs_with_5_mib_parts(
    client: Client, bucket: Bucket, seaweed: SeaweedS3, unique: str
) -> None:
    tree = {"logs/big.bin": os.urandom(11 * MiB + 7), "logs/a/small.txt": b"small", "skip": b"no"}
    for key, data in tree.items():
        bucket.blob(key).write_bytes(data)
    name = f"sdk-export-{unique}"
    target = client.buckets.import_external(
        provider="S3_COMPATIBLE",
        provider_bucket_name=SEAWEED_BUCKET,
        name=name,
        prefix=f"{name}/",
        endpoint_url=seaweed.endpoint_url,
        region="us-east-1",
        credentials={"access_key_id": seaweed.access_key, "secret_access_key": seaweed.secret_key},
    )
    try:
        op = client.operations.export((bucket, "logs/"), (target, "out/"), part_size=5 * MiB)
        assert op.wait(timeout=120, poll=0.1) is op and op.status == "SUCCEEDED", op
        size = len(tree["logs/big.bin"]) + len(tree["logs/a/small.txt"])
        assert op.result == {"exported": 2, "bytes": size, "skipped": 0}
        assert op.params["part_size_mb"] == 5
        keys = sorted(i.key for i in target.list("out/", recursive=True))
        assert keys == ["out/a/small.txt", "out/big.bin"]
        assert target.blob("out/big.bin").read_bytes() == tree["logs/big.bin"]
        assert target.blob("out/a/small.txt").read_bytes() == b"small"
    finally:
        for info in target.list("", recursive=True):
            target.blob(info.key).delete()
        target.delete()
