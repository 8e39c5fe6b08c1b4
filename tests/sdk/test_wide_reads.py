"""Wide socket reads (``bucketry._wide_reads``): the SDK's connections read up to 1 MiB at a
time while a body streams in, small answers keep httpcore's read size, and a client built on
a caller's own transport is left alone."""

from __future__ import annotations

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
