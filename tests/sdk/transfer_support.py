"""Helpers shared by the transfer tests: request recording and fault injection."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import google_crc32c
import httpx
import pytest

from bucketry import Bucket, Client, TransferOptions
from bucketry._transport import RetryPolicy
from bucketry.transfer import multipart, streams
from bucketry.transfer import options as transfer_options
from bucketry.transfer.folders import local_file
from bucketry.transfer.parts import create_upload, put_part
from bucketry.transfer.single import blob_metadata

MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def crc(data: bytes) -> str:
    """The CRC32C of ``data`` as ``X-Checksum-CRC32C`` carries it (computed here without the
    SDK's module, so a bug there cannot hide)."""
    return base64.b64encode(int(google_crc32c.value(data)).to_bytes(4, "big")).decode()


def sha_file(path: Path) -> str:
    return sha(path.read_bytes())


def random_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


class Recorder:
    """Records every request the client sends (method, path, headers) via an event hook, and
    the highest number of part PUTs in flight at once."""

    def __init__(self, client: Client) -> None:
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_parts_in_flight = 0
        hooks = client.http.event_hooks
        client.http.event_hooks = {
            "request": [*hooks.get("request", []), self._on_request],
            "response": [*hooks.get("response", []), self._on_response],
        }

    @staticmethod
    def _is_part(request: httpx.Request) -> bool:
        return request.method == "PUT" and "/parts/" in request.url.path

    def _on_request(self, request: httpx.Request) -> None:
        with self._lock:
            self.requests.append(request)
            if self._is_part(request):
                self._in_flight += 1
                self.max_parts_in_flight = max(self.max_parts_in_flight, self._in_flight)

    def _on_response(self, response: httpx.Response) -> None:
        if self._is_part(response.request):
            with self._lock:
                self._in_flight -= 1

    def part_puts(self) -> list[httpx.Request]:
        return [r for r in self.requests if self._is_part(r)]

    def gets(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET" and r.url.path.endswith("/blob")]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()


Fault = Callable[[httpx.Request, int], httpx.Response | None]


class FaultyTransport(httpx.BaseTransport):
    """Wraps the real transport; ``fault(request, nth)`` (nth = how many earlier requests had
    the same method and path) may return a response to send instead, or raise."""

    def __init__(self, fault: Fault) -> None:
        self.inner = httpx.HTTPTransport()
        self.fault = fault
        self.seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, str(request.url))
        with self._lock:
            nth = self.seen.get(key, 0)
            self.seen[key] = nth + 1
        injected = self.fault(request, nth)
        if injected is not None:
            request.read()  # the client sends the whole body before the answer
            return injected
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def fast_retries(client: Client) -> None:
    client.retry_policy = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)


def fast_link(monkeypatch: pytest.MonkeyPatch, *, merged: int = 2 * MiB) -> None:
    """Small parts on a link that always probes fast: 1 MiB slots (the automatic part size of
    a file of at most 8 MiB once the least one is 1 MiB; the server's minimum may raise it),
    a 256 KiB probe, merged parts of at most ``merged`` bytes, one part's bytes at a time."""
    monkeypatch.setattr(streams, "PROBE_BYTES", 256 * 1024)
    monkeypatch.setattr(streams, "FAST_STREAM", 1)
    monkeypatch.setattr(streams, "PROBE_WAIT", 30.0)
    monkeypatch.setattr(streams, "HANDOFF_BYTES", 0)
    monkeypatch.setattr(multipart, "MAX_MERGED_PART", merged)
    monkeypatch.setattr(transfer_options, "DEFAULT_PART_SIZE", MiB)


def open_upload(
    bucket: Bucket, path: Path, key: str, part_size: int, parts: dict[int, bytes]
) -> None:
    """An open upload of ``path`` to ``key`` as an interrupted run of the SDK leaves it (same
    size, mtime and part size metadata), holding ``parts`` (number -> bytes)."""
    f = local_file(path)
    extra = {multipart.PART_SIZE_KEY: str(part_size)}
    meta = blob_metadata(TransferOptions(), f.mtime_ns, extra)
    upload = create_upload(bucket.client, bucket.ref, key, metadata=meta, size=f.size)
    for number, data in parts.items():
        put_part(bucket.client, bucket.ref, upload.id, number, data)
