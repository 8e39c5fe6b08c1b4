"""The download fast path: wide socket reads (``bucketry._wide_reads``: up to 1 MiB per read
while a body streams in, httpcore's size for small answers, a caller's own transport left
alone), blocks reserved before the bytes arrive (``transfer.prealloc``), and what must hold
with both: corrupted bytes caught, the GET pinned to the listed ETag."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bucketry import Bucket, Client, IntegrityError
from bucketry._wide_reads import WIDEST_READ, WideReadBackend, WideStream, widen_reads
from bucketry_server.models import Blob
from tests.sdk.transfer_support import random_file
from tests.support.live_server import LiveServer

KiB, MiB = 1024, 1024 * 1024


class FakeStream:
    """A network stream with ``pending`` bytes waiting: each read returns what it asked for,
    at most ``burst`` bytes (what the socket holds at that moment)."""

    def __init__(self, pending: int, burst: int) -> None:
        self.pending = pending
        self.burst = burst
        self.asked: list[int] = []
        self.written: list[bytes] = []
        self.closed = False

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.asked.append(max_bytes)
        n = min(max_bytes, self.burst, self.pending)
        self.pending -= n
        return b"x" * n

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written.append(buffer)

    def close(self) -> None:
        self.closed = True

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: Any = None
    ) -> FakeStream:
        return FakeStream(self.pending, self.burst)

    def get_extra_info(self, info: str) -> Any:
        return f"info:{info}"


def test_reads_grow_while_full_and_follow_what_arrives() -> None:
    inner = FakeStream(pending=10 * MiB, burst=10 * MiB)
    stream = WideStream(inner)
    sizes = [len(stream.read(64 * KiB)) for _ in range(5)]
    assert sizes == [64 * KiB, 256 * KiB, WIDEST_READ, WIDEST_READ, WIDEST_READ]
    inner.burst = 100 * KiB  # the body now arrives slower than it is read
    assert len(stream.read(64 * KiB)) == 100 * KiB
    assert inner.asked[-1] == WIDEST_READ
    stream.read(64 * KiB)
    assert inner.asked[-1] == 100 * KiB  # asks for about what arrived last time
    inner.burst = 10
    stream.read(64 * KiB)
    stream.read(64 * KiB)
    assert inner.asked[-1] == 64 * KiB  # never below the caller's size


def test_wrapper_passes_everything_else_through() -> None:
    inner = FakeStream(pending=0, burst=0)
    stream = WideStream(inner)
    stream.write(b"GET / HTTP/1.1\r\n\r\n")
    assert inner.written == [b"GET / HTTP/1.1\r\n\r\n"]
    assert stream.get_extra_info("socket") == "info:socket"
    assert stream.read(64 * KiB) == b""  # the end of the stream
    tls = stream.start_tls(ssl.create_default_context(), "example.org")
    assert isinstance(tls, WideStream)
    stream.close()
    assert inner.closed


def test_only_httpx_transports_are_widened() -> None:
    transport = httpx.HTTPTransport()
    assert widen_reads(transport)
    backend = transport._pool._network_backend
    assert isinstance(backend, WideReadBackend)
    assert widen_reads(transport)  # idempotent: not wrapped twice
    assert transport._pool._network_backend is backend
    assert not widen_reads(httpx.MockTransport(lambda request: httpx.Response(200)))


def test_client_reads_bodies_in_wide_chunks(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "src.bin", 16 * MiB)
    bucket.upload(tmp_path / "src.bin", "wide.bin")
    client = bucket.client
    assert isinstance(client, Client)
    largest, received = 0, bytearray()
    with client.http.stream("GET", f"/buckets/{bucket.ref}/blob", params={"key": "wide.bin"}) as r:
        for chunk in r.iter_raw():
            largest = max(largest, len(chunk))
            received += chunk
    assert bytes(received) == data
    assert largest > 64 * KiB  # httpcore alone never hands over more than 64 KiB at a time
    small = client.http.get(f"/buckets/{bucket.ref}")  # a small answer after a wide one
    assert small.status_code == 200 and small.json()["name"] == bucket.name


def test_a_callers_transport_is_left_alone(server: Any, users: dict[str, str]) -> None:
    transport = httpx.HTTPTransport()
    with Client(url=server.url, token=users["alice"], transport=transport, progress=False):
        assert not isinstance(transport._pool._network_backend, WideReadBackend)


def test_bytes_corrupted_in_the_store_are_still_caught(
    server: LiveServer, bucket: Bucket, tmp_path: Path
) -> None:
    """One flipped bit deep inside a body read in wide chunks fails the CRC32C check, and
    nothing is left under the final name or as a partial file."""
    data = random_file(tmp_path / "src.bin", 6 * MiB)
    bucket.upload(tmp_path / "src.bin", "bad.bin")  # one PUT: one plain object file
    with server.state.db.session() as s:
        blob = s.scalar(select(Blob).where(Blob.bucket_id == bucket.id, Blob.key == "bad.bin"))
        assert blob is not None
        stored = server.state.store._path(blob.object_id)  # type: ignore[attr-defined]
    at = 5 * MiB + 7
    with open(stored, "r+b") as f:
        f.seek(at)
        f.write(bytes([data[at] ^ 1]))
    with pytest.raises(IntegrityError, match="CRC32C"):
        bucket.download("bad.bin", tmp_path / "out" / "bad.bin")
    assert list((tmp_path / "out").iterdir()) == []


def test_partial_file_gets_its_blocks_before_the_bytes(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The partial file has the blob's blocks reserved before the first byte is written
    (cheaper writes), while its size still counts only the bytes written (what a resume
    reads); the finished file has exactly the blob's size."""
    from bucketry.transfer import downloads
    from bucketry.transfer.prealloc import reserve

    probe = tmp_path / "probe"
    with probe.open("wb") as f:
        if not reserve(f.fileno(), 0, MiB):
            pytest.skip("this file system cannot preallocate")
    data = random_file(tmp_path / "src.bin", 3 * MiB)
    bucket.upload(tmp_path / "src.bin", "k.bin")
    seen: list[tuple[int, int]] = []
    real = downloads._copy_body

    def spy(ctx: Any, response: Any, f: Any, *args: Any) -> None:
        st = os.fstat(f.fileno())
        seen.append((st.st_size, st.st_blocks * 512))
        real(ctx, response, f, *args)

    monkeypatch.setattr(downloads, "_copy_body", spy)
    out = tmp_path / "out.bin"
    bucket.download("k.bin", out)
    assert seen and seen[0][0] == 0 and seen[0][1] >= len(data)
    assert out.read_bytes() == data and out.stat().st_size == len(data)


def test_blob_replaced_after_listing_starts_over_without_stale_blocks(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GET is pinned to the listed ETag: a blob replaced (by a smaller version) between
    the listing and the GET answers 412, and the download starts over from the new version;
    the blocks reserved for the old size are not left beyond the new file's end."""
    from bucketry.transfer import downloads

    random_file(tmp_path / "v1.bin", 4 * MiB)
    new = random_file(tmp_path / "v2.bin", 100 * KiB)
    bucket.upload(tmp_path / "v1.bin", "k.bin")
    real = downloads.remote_one
    calls: list[str | None] = []

    def listed_then_replaced(target: Any, key: str) -> Any:
        info = real(target, key)
        calls.append(info.etag if info is not None else None)
        if len(calls) == 1:
            bucket.upload(tmp_path / "v2.bin", key)  # replaced after it was listed
        return info

    monkeypatch.setattr(downloads, "remote_one", listed_then_replaced)
    out = tmp_path / "out.bin"
    report = bucket.download("k.bin", out)
    assert report.ok and out.read_bytes() == new
    assert len(calls) == 2 and calls[0] != calls[1]  # listed, then looked up again after 412
    assert out.stat().st_blocks * 512 < 1 * MiB  # nothing reserved for the 4 MiB version


def test_sha256_worker_holds_a_bounded_number_of_chunks() -> None:
    """With 1 MiB reads, SHA-256 (on a CPU without SHA instructions) is slower than
    loopback: the chunks waiting for the hashing worker stay bounded (16 MiB), instead of
    piling up to 256 of them."""
    import threading
    import time

    from bucketry.transfer.checksums import ThreadedHasher

    gate = threading.Event()

    class Stuck:
        def update(self, data: bytes) -> None:
            gate.wait()

        def hexdigest(self) -> str:
            return ""

    hasher = ThreadedHasher(Stuck())  # type: ignore[arg-type]
    pushed = 0

    def receive() -> None:
        nonlocal pushed
        for _ in range(64):
            hasher.update(b"x" * MiB)
            pushed += 1

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    time.sleep(0.5)
    assert pushed <= 18  # 16 waiting, one being hashed, one blocked in update
    gate.set()
    receiver.join(10)
    hasher.close()
    assert pushed == 64
