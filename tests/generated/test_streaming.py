"""Binary transfers through the generated client stream in constant memory, against a real tiny
HTTP server on 127.0.0.1 (a thread in this process)."""

from __future__ import annotations

import hashlib
import json
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bucketry_api import ApiClient, ClientError
from bucketry_api.api.blobs import blobs_put
from bucketry_api.types import File
from tests.generated.spec_examples import response_example

MiB = 1024 * 1024
DOWNLOAD_SIZE = 256 * MiB
PEAK_LIMIT = 64 * MiB
_CHUNK = bytes(range(256)) * (MiB // 256)  # allocated once, before any measurement


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    uploads: dict[str, tuple[int, str, dict[str, str]]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def _send_json(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-ID", "req_srv")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        key = parse_qs(url.query).get("key", [""])[0]
        if url.path == "/api/v1/buckets/b/blob" and key.startswith("size-"):
            size = int(key.removeprefix("size-"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            while size > 0:
                piece = _CHUNK if size >= len(_CHUNK) else _CHUNK[:size]
                self.wfile.write(piece)
                size -= len(piece)
            return
        self._send_json(
            404,
            {"type": "about:blank", "title": "Not Found", "status": 404, "code": "not_found"},
            "application/problem+json",
        )

    def _read_body(self) -> Iterator[bytes]:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                remaining = size
                while remaining:
                    data = self.rfile.read(min(remaining, MiB))
                    remaining -= len(data)
                    yield data
                self.rfile.readline()
        else:
            remaining = int(self.headers.get("Content-Length", "0"))
            while remaining:
                data = self.rfile.read(min(remaining, MiB))
                if not data:
                    return
                remaining -= len(data)
                yield data

    def do_PUT(self) -> None:
        digest = hashlib.sha256()
        size = 0
        for data in self._read_body():
            digest.update(data)
            size += len(data)
        url = urlsplit(self.path)
        key = parse_qs(url.query).get("key", [url.path])[0]
        framing = {
            k: v
            for k, v in self.headers.items()
            if k.lower() in ("content-length", "transfer-encoding")
        }
        _Handler.uploads[key] = (size, digest.hexdigest(), framing)
        operation = "uploads_put_part" if "/parts/" in url.path else "blobs_put"
        status, payload, _ = response_example(operation)
        if isinstance(payload, dict):
            payload.update({k: v for k, v in {"key": key, "size": size}.items() if k in payload})
        self._send_json(status, payload)


@pytest.fixture(scope="module")
def tiny_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def api(tiny_server: str) -> Iterator[ApiClient]:
    with ApiClient(tiny_server, token="tok") as client:
        yield client


def _traced_peak(func: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = func()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_streamed_download_of_256_mib_keeps_memory_low(api: ApiClient) -> None:
    def download() -> tuple[int, int]:
        received = 0
        with api.blobs.get_stream("b", key=f"size-{DOWNLOAD_SIZE}") as response:
            assert not response.is_stream_consumed
            status = response.status_code
            for chunk in response.iter_raw():
                received += len(chunk)
        return status, received

    (status, received), peak = _traced_peak(download)
    assert status == 200
    assert received == DOWNLOAD_SIZE
    assert peak < PEAK_LIMIT, (
        f"peak {peak / MiB:.1f} MiB while streaming {DOWNLOAD_SIZE // MiB} MiB"
    )


@pytest.mark.slow
def test_memory_measure_detects_a_buffered_download(api: ApiClient) -> None:
    """Control: the same measure sees a whole-body read (so the test above can fail)."""
    size = PEAK_LIMIT + 16 * MiB
    (data, _), peak = _traced_peak(lambda: api.blobs.get("b", key=f"size-{size}"))
    assert isinstance(data, File)
    assert peak >= size


def test_stream_variant_yields_bytes_and_raises_typed_errors(api: ApiClient) -> None:
    with api.blobs.get_stream("b", key="size-1000") as response:
        assert b"".join(response.iter_bytes()) == _CHUNK[:1000]
    with pytest.raises(ClientError) as info, api.blobs.get_stream("b", key="missing"):
        pass
    assert info.value.code == "not_found"
    assert info.value.request_id == "req_srv"


def test_octet_stream_body_is_passed_as_content_not_preloaded(
    tmp_path: Path, api: ApiClient
) -> None:
    path = tmp_path / "small.bin"
    path.write_bytes(b"abc" * 1000)
    with path.open("rb") as f:
        kwargs = blobs_put._get_kwargs("b", body=File(payload=f), key="k")
        assert kwargs["content"] is f  # the file object itself, not its bytes
        request = api.client.get_httpx_client().build_request(**kwargs)
        assert not isinstance(request.stream, httpx.ByteStream)
        assert request.headers["Content-Length"] == "3000"

    def chunks() -> Iterator[bytes]:
        yield b"a"
        yield b"b"

    body = File(payload=chunks())  # type: ignore[arg-type]  # httpx streams any bytes iterator
    request = api.client.get_httpx_client().build_request(
        **blobs_put._get_kwargs("b", body=body, key="k")
    )
    assert not isinstance(request.stream, httpx.ByteStream)
    assert request.headers["Transfer-Encoding"] == "chunked"


@pytest.mark.slow
def test_upload_streams_from_a_file(tmp_path: Path, api: ApiClient) -> None:
    size = 128 * MiB
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as f:
        for _ in range(size // MiB):
            f.write(_CHUNK)
            digest.update(_CHUNK)

    def upload() -> Any:
        with path.open("rb") as f:
            return api.blobs.put("b", key="from-file", body=f)

    (data, response), peak = _traced_peak(upload)
    assert response.status_code == 201
    assert type(data).__name__ == "Blob"
    received, sha, framing = _Handler.uploads["from-file"]
    assert (received, sha) == (size, digest.hexdigest())
    assert framing.get("Content-Length") == str(size)
    assert peak < 32 * MiB, f"peak {peak / MiB:.1f} MiB while uploading {size // MiB} MiB"


def test_upload_streams_from_an_iterator(api: ApiClient) -> None:
    pieces = [_CHUNK, b"tail"]
    data, response = api.uploads.put_part("b", "upl_1", 1, body=iter(pieces))
    assert response.status_code in (200, 201)
    assert type(data).__name__ == "UploadPart"
    received, sha, framing = _Handler.uploads["/api/v1/buckets/b/uploads/upl_1/parts/1"]
    assert received == len(_CHUNK) + 4
    assert sha == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert framing.get("Transfer-Encoding") == "chunked"
