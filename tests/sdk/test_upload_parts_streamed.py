"""Multipart parts stream from the file and are checked against the server's measure: a part
is never held whole in memory, a part corrupted on the way is sent again, a server that keeps
no CRC gets the CRC up front; and the default part size by file size."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bucketry import Client, TransferOptions
from bucketry.errors import IntegrityError
from tests.sdk.transfer_support import MiB, Recorder, crc, fast_retries, random_file
from tests.support.live_server import LiveServer

KiB = 1024


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


Handler = Callable[[httpx.Request, int, httpx.HTTPTransport], httpx.Response]


class _Transport(httpx.BaseTransport):
    """The real transport, with part PUTs handed to ``on_part(request, nth, inner)`` (nth:
    earlier PUTs of the same part)."""

    def __init__(self, on_part: Handler) -> None:
        self.inner = httpx.HTTPTransport()
        self.on_part = on_part
        self.seen: dict[str, list[httpx.Request]] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PUT" or "/parts/" not in request.url.path:
            return self.inner.handle_request(request)
        number = request.url.path.rsplit("/", 1)[-1]
        with self._lock:
            earlier = self.seen.setdefault(number, [])
            nth = len(earlier)
            earlier.append(request)
        return self.on_part(request, nth, self.inner)

    def close(self) -> None:
        self.inner.close()


def _client(server: LiveServer, token: str, transport: httpx.BaseTransport) -> Client:
    client = Client(url=server.url, token=token, transport=transport, progress=False)
    fast_retries(client)
    return client


def test_a_part_is_streamed_never_read_whole_before_sending(
    server: LiveServer,
    users: dict[str, str],
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a part goes out, the file is read at most one 1 MiB chunk ahead of the bytes
    sent (a part read whole into a buffer first was 4 MiB ahead here, and its memory grew
    with the part size)."""
    path = tmp_path / "f.bin"
    data = random_file(path, 8 * MiB + 5)
    read = {"bytes": 0}
    real_pread = os.pread

    def counting(fd: int, n: int, offset: int) -> bytes:
        got = real_pread(fd, n, offset)
        if os.readlink(f"/proc/self/fd/{fd}") == str(path):
            read["bytes"] += len(got)
        return got

    monkeypatch.setattr(os, "pread", counting)
    ahead: list[int] = []
    sent = {"bytes": 0}  # over all parts (one in flight at a time)

    def watch(request: httpx.Request, nth: int, inner: httpx.HTTPTransport) -> httpx.Response:
        body = request.stream
        assert isinstance(body, httpx.SyncByteStream)

        def chunks() -> Iterator[bytes]:
            for chunk in body:
                ahead.append(read["bytes"] - sent["bytes"])  # read but not yet sent
                sent["bytes"] += len(chunk)
                yield chunk

        request.stream = _Stream(chunks())
        return inner.handle_request(request)

    with _client(server, users["alice"], _Transport(watch)) as client:
        bucket = client.buckets.create(f"stream-{unique}")
        opts = TransferOptions(part_size=4 * MiB, multipart_threshold=0, max_concurrency=1)
        bucket.upload(path, "f.bin", options=opts)
        assert bucket.blob("f.bin").read_bytes() == data
        assert bucket.blob("f.bin").stat().crc32c == crc(data)
        bucket.delete(force=True)
    assert len(ahead) >= 9 and max(ahead) <= 1 * MiB
    assert read["bytes"] == len(data)  # every byte read once


def test_a_part_corrupted_on_the_way_is_detected_and_sent_again(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    """The server stores part 2 with one byte flipped on its first trip: its CRC32C differs
    from ours, so the part goes again and the blob holds the file's bytes."""
    data = random_file(tmp_path / "f.bin", 5 * 64 * KiB)

    def corrupt(request: httpx.Request, nth: int, inner: httpx.HTTPTransport) -> httpx.Response:
        if request.url.path.endswith("/parts/2") and nth == 0:
            body = bytearray(request.read())
            body[1000] ^= 0x01
            request = httpx.Request(
                request.method, request.url, headers=request.headers, content=bytes(body)
            )
        return inner.handle_request(request)

    transport = _Transport(corrupt)
    with _client(server, users["alice"], transport) as client:
        bucket = client.buckets.create(f"corrupt-{unique}")
        report = bucket.upload(
            tmp_path / "f.bin", "f.bin", part_size=64 * KiB, multipart_threshold=0
        )
        assert report.ok
        assert bucket.blob("f.bin").read_bytes() == data
        assert bucket.blob("f.bin").stat().crc32c == crc(data)
        bucket.delete(force=True)
    assert {n: len(r) for n, r in transport.seen.items()} == {
        "1": 1,
        "2": 2,
        "3": 1,
        "4": 1,
        "5": 1,
    }


def test_a_server_without_part_crcs_gets_the_crc_up_front(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    """A server that reports no CRC32C for a part cannot be compared with: the part goes once
    more with its CRC32C in ``X-Checksum-CRC32C`` (which the server verifies as it arrives)."""
    data = random_file(tmp_path / "f.bin", 3 * 64 * KiB + 7)

    def strip(request: httpx.Request, nth: int, inner: httpx.HTTPTransport) -> httpx.Response:
        response = inner.handle_request(request)
        response.read()
        part = json.loads(response.content)
        part.pop("crc32c", None)
        return httpx.Response(response.status_code, json=part, request=request)

    transport = _Transport(strip)
    with _client(server, users["alice"], transport) as client:
        bucket = client.buckets.create(f"nocrc-{unique}")
        bucket.upload(tmp_path / "f.bin", "f.bin", part_size=64 * KiB, multipart_threshold=0)
        assert bucket.blob("f.bin").read_bytes() == data
        bucket.delete(force=True)
    assert sorted(transport.seen) == ["1", "2", "3", "4"]
    for number, (first, second) in transport.seen.items():
        chunk = data[(int(number) - 1) * 64 * KiB : int(number) * 64 * KiB]
        assert "x-checksum-crc32c" not in first.headers
        assert second.headers["x-checksum-crc32c"] == crc(chunk)


def test_default_part_size_grows_with_the_file() -> None:
    """By default files up to 64 MiB go in one PUT (the measured crossover) and larger ones
    are cut into about 8 parts of 8 to 128 MiB (a 1 GiB file: 8 x 128 MiB, not 128 x 8 MiB);
    an explicit ``part_size`` wins; SHA-256 keeps 8 MiB parts, which it holds in memory."""
    options = TransferOptions()
    assert options.multipart_threshold == 64 * MiB
    assert options.part_size is None
    assert options.part_size_for(1024 * MiB) == 128 * MiB
    assert options.part_size_for(10 * 1024 * MiB) == 128 * MiB
    assert options.part_size_for(256 * MiB) == 32 * MiB
    assert options.part_size_for(100 * MiB + 1) == 13 * MiB
    assert options.part_size_for(20 * MiB) == 8 * MiB
    assert TransferOptions(part_size=5 * MiB).part_size_for(1024 * MiB) == 5 * MiB
    assert TransferOptions(checksum="sha256").part_size_for(1024 * MiB) == 8 * MiB


def test_a_part_corrupted_every_time_fails_and_stays_resumable(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    """A part the server measures differently on every trip is sent ``MAX_CORRUPT_SENDS``
    times, then the upload fails with an integrity error naming the part; it stays open, so a
    rerun over a sound connection sends only what is missing."""
    from bucketry.transfer.multipart import MAX_CORRUPT_SENDS

    data = random_file(tmp_path / "f.bin", 3 * 64 * KiB)

    def corrupt(request: httpx.Request, nth: int, inner: httpx.HTTPTransport) -> httpx.Response:
        if request.url.path.endswith("/parts/2"):
            body = bytearray(request.read())
            body[-1] ^= 0xFF
            request = httpx.Request(
                request.method, request.url, headers=request.headers, content=bytes(body)
            )
        return inner.handle_request(request)

    transport = _Transport(corrupt)
    opts = TransferOptions(part_size=64 * KiB, multipart_threshold=0, max_concurrency=1)
    with _client(server, users["alice"], transport) as client:
        bucket = client.buckets.create(f"corrupt3-{unique}")
        with pytest.raises(IntegrityError, match="part 2: the server received different bytes"):
            bucket.upload(tmp_path / "f.bin", "f.bin", options=opts)
        assert len(transport.seen["2"]) == MAX_CORRUPT_SENDS
        assert not bucket.blob("f.bin").exists()
        [upload] = client.api.uploads.list(bucket.ref, key="f.bin")[0].results
        on_server = {str(p.part_number) for p in upload.parts}
        assert {"1", "2"} <= on_server  # part 2: the corrupted copy (3 may have gone too)
        bucket_ref = bucket.ref
    with Client(url=server.url, token=users["alice"], progress=False) as sound:
        bucket = sound.buckets.get(bucket_ref)
        recorder = Recorder(sound)
        again = bucket.upload(tmp_path / "f.bin", "f.bin", options=opts)
        assert again.ok and again.results[0].resumed
        sent = {r.url.path.rsplit("/", 1)[-1] for r in recorder.part_puts()}
        assert sent == {"2"} | ({"3"} - on_server)  # the corrupted copy is not reused
        assert bucket.blob("f.bin").read_bytes() == data
        bucket.delete(force=True)


def test_parallel_parts_start_one_after_the_other(
    server: LiveServer,
    users: dict[str, str],
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first ``max_concurrency`` parts open their requests one after the other: each once
    the part before it has sent its first MiB (so a multi-process server's busy worker is not
    the one that takes the next connection). Part 1 is held back 0.3 s before its first byte:
    parts 2 and 3 used to start at once regardless, with nothing of part 1 sent."""
    from bucketry.transfer import streams

    monkeypatch.setattr(streams, "RAMP_WAIT", 30.0)  # wait for the bytes
    data = random_file(tmp_path / "f.bin", 3 * 2 * MiB)
    lock = threading.Lock()
    sent: dict[str, int] = {}
    seen_at_start: dict[str, dict[str, int]] = {}

    def watch(request: httpx.Request, nth: int, inner: httpx.HTTPTransport) -> httpx.Response:
        number = request.url.path.rsplit("/", 1)[-1]
        with lock:
            seen_at_start[number] = dict(sent)
            sent[number] = 0
        body = request.stream
        assert isinstance(body, httpx.SyncByteStream)

        def chunks() -> Iterator[bytes]:
            for chunk in body:
                if number == "1" and not sent["1"]:
                    time.sleep(0.3)
                yield chunk
                with lock:
                    sent[number] += len(chunk)

        request.stream = _Stream(chunks())
        return inner.handle_request(request)

    opts = TransferOptions(part_size=2 * MiB, multipart_threshold=0, max_concurrency=3)
    with _client(server, users["alice"], _Transport(watch)) as client:
        bucket = client.buckets.create(f"ramp-{unique}")
        bucket.upload(tmp_path / "f.bin", "f.bin", options=opts)
        assert bucket.blob("f.bin").read_bytes() == data
        bucket.delete(force=True)
    assert seen_at_start["1"] == {}
    assert seen_at_start["2"]["1"] >= 1 * MiB
    assert seen_at_start["3"]["2"] >= 1 * MiB


def test_default_plan_of_a_big_file() -> None:
    """A file above 64 MiB goes in parts, 2 in flight by default (measured on loopback with
    the server's one worker per core: 4 cost more CPU on both sides and were not faster), 8
    parts of 128 MiB for 1 GiB; ``max_concurrency`` still wins when given."""
    from bucketry.transfer.multipart import choose_part_size, plan_parts

    options = TransferOptions()
    assert options.max_concurrency == 2
    size = 1024 * MiB
    part = choose_part_size(size, options.part_size_for(size), 5 * MiB, 10_000)
    assert [p.length for p in plan_parts(size, part)] == [128 * MiB] * 8
    assert TransferOptions(max_concurrency=6).max_concurrency == 6
