"""Downloads against the real server: single keys, verified streams, resume from a partial
file with Range, no partial files left behind, folder mode."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucketry import Bucket, Client, IntegrityError, NotFoundError, ProgressAdvance, ProgressEvent
from bucketry.transfer.downloads import partial_path
from tests.sdk.transfer_support import FaultyTransport, Recorder, fast_retries, random_file
from tests.support.live_server import LiveServer

KiB, MiB = 1024, 1024 * 1024


def partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".bucketry-partial")]


def test_key_to_file_and_into_folder(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "src.bin", 3 * MiB + 1)
    os.utime(tmp_path / "src.bin", ns=(0, 1_600_000_000_123_456_789))
    bucket.upload(tmp_path / "src.bin", "a/b/file.bin")
    out = tmp_path / "out.bin"
    report = bucket.download("a/b/file.bin", out)
    assert report.ok and out.read_bytes() == data
    assert out.stat().st_mtime_ns == 1_600_000_000_123_456_789  # the source's mtime travels
    folder = tmp_path / "folder"
    folder.mkdir()
    bucket.blob("a/b/file.bin").download(folder)
    assert (folder / "file.bin").read_bytes() == data
    assert not partials(tmp_path)


def test_empty_blob_needs_no_get(bucket: Bucket, tmp_path: Path) -> None:
    bucket.blob("empty").write_bytes(b"")
    recorder = Recorder(bucket.client)
    bucket.download("empty", tmp_path / "empty")
    assert (tmp_path / "empty").read_bytes() == b""
    assert not recorder.gets()


def test_missing_key_raises(bucket: Bucket, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        bucket.download("nope", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_resume_from_partial_file(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "src.bin", 2 * MiB + 333)
    bucket.upload(tmp_path / "src.bin", "big.bin")
    out = tmp_path / "out" / "big.bin"
    out.parent.mkdir()
    partial_path(out).write_bytes(data[:700_000])
    recorder = Recorder(bucket.client)
    events: list[ProgressEvent] = []
    report = bucket.download("big.bin", out, continue_=True, progress=events.append)
    gets = recorder.gets()
    assert len(gets) == 1
    assert gets[0].headers["range"] == "bytes=700000-"
    assert gets[0].headers["if-match"] == bucket.blob("big.bin").stat().etag
    assert out.read_bytes() == data
    assert report.results[0].resumed and report.results[0].bytes == len(data) - 700_000
    assert sum(e.amount for e in events if isinstance(e, ProgressAdvance)) == len(data) - 700_000
    assert not partials(tmp_path)


def test_partial_of_another_version_starts_over(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "src.bin", 1 * MiB)
    bucket.upload(tmp_path / "src.bin", "k")
    out = tmp_path / "k"
    partial_path(out).write_bytes(os.urandom(300_000))  # wrong bytes
    bucket.download("k", out, continue_=True)
    assert out.read_bytes() == data
    assert not partials(tmp_path)


def test_without_continue_a_partial_is_ignored(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "src.bin", 100 * KiB)
    bucket.upload(tmp_path / "src.bin", "k")
    out = tmp_path / "k"
    partial_path(out).write_bytes(b"junk")
    recorder = Recorder(bucket.client)
    bucket.download("k", out)
    assert "range" not in recorder.gets()[0].headers
    assert out.read_bytes() == data


def test_dropped_connection_resumes_with_range(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    """A body cut midway is continued from the byte reached, pinned by If-Match."""
    state = {"cut": False}

    class Cut(httpx.SyncByteStream):
        def __init__(self, inner: httpx.SyncByteStream) -> None:
            self.inner = inner

        def __iter__(self) -> Iterator[bytes]:
            sent = 0
            for chunk in self.inner:
                yield chunk
                sent += len(chunk)
                if sent >= 256 * KiB:
                    raise httpx.ReadError("connection reset")

        def close(self) -> None:
            self.inner.close()

    class Cutting(FaultyTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = self.inner.handle_request(request)
            if request.method == "GET" and request.url.path.endswith("/blob") and not state["cut"]:
                state["cut"] = True
                assert isinstance(response.stream, httpx.SyncByteStream)
                response.stream = Cut(response.stream)
            return response

    transport = Cutting(lambda r, n: None)
    with Client(url=server.url, token=users["alice"], transport=transport) as client:
        fast_retries(client)
        bucket = client.buckets.create(f"cut-{unique}")
        data = random_file(tmp_path / "src.bin", 2 * MiB)
        bucket.upload(tmp_path / "src.bin", "k")
        recorder = Recorder(client)
        bucket.download("k", tmp_path / "out.bin", progress=False)
        assert (tmp_path / "out.bin").read_bytes() == data
        ranges = [r.headers.get("range") for r in recorder.gets()]
        assert ranges[0] is None and ranges[1].startswith("bytes=") and len(ranges) == 2
        bucket.delete(force=True)


@pytest.mark.parametrize(
    ("lie", "checksum", "named"),
    [
        ({"crc32c": "AAAAAA=="}, True, "CRC32C"),  # the default: the blob's CRC32C
        ({"sha256": "0" * 64, "crc32c": None}, "crc32c", "SHA-256"),  # an old blob: SHA-256
        ({"sha256": "0" * 64}, "sha256", "SHA-256"),  # SHA-256 on request
    ],
)
def test_checksum_mismatch_leaves_nothing(
    bucket: Bucket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lie: dict[str, Any],
    checksum: Any,
    named: str,
) -> None:
    random_file(tmp_path / "src.bin", 200 * KiB)
    bucket.upload(tmp_path / "src.bin", "k")
    from bucketry.transfer import downloads

    real = downloads.remote_one

    def lying(bucket: Bucket, key: str):  # type: ignore[no-untyped-def]
        info = real(bucket, key)
        assert info is not None and info.crc32c is not None
        return type(info)(**{**info.__dict__, **lie})

    monkeypatch.setattr(downloads, "remote_one", lying)
    with pytest.raises(IntegrityError, match=named):
        bucket.download("k", tmp_path / "out.bin", checksum=checksum)
    assert not (tmp_path / "out.bin").exists()
    assert not partials(tmp_path)


def test_folder_failure_midway_reports_and_cleans_up(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    """One blob 404s after the listing and another's body keeps breaking: both are reported,
    the rest are downloaded, and no partial file remains anywhere."""

    class Broken(httpx.SyncByteStream):
        def __init__(self, inner: httpx.SyncByteStream) -> None:
            self.inner = inner

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self.inner:
                yield chunk[:1000]
                raise httpx.ReadError("connection reset")

        def close(self) -> None:
            self.inner.close()

    class Faulty(FaultyTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "GET" and request.url.path.endswith("/blob"):
                key = request.url.params["key"]
                if key == "tree/gone.bin":
                    return httpx.Response(
                        404,
                        json={"title": "Not Found", "status": 404, "code": "not_found"},
                        headers={"content-type": "application/problem+json"},
                    )
                if key == "tree/broken.bin":
                    response = self.inner.handle_request(request)
                    assert isinstance(response.stream, httpx.SyncByteStream)
                    response.stream = Broken(response.stream)
                    return response
            return self.inner.handle_request(request)

    with Client(
        url=server.url, token=users["alice"], transport=Faulty(lambda r, n: None)
    ) as client:
        fast_retries(client)
        bucket = client.buckets.create(f"fail-{unique}")
        src = tmp_path / "src"
        for rel in ["a.bin", "gone.bin", "broken.bin", "z/z.bin"]:
            random_file(src / rel, 300 * KiB)
        bucket.upload(src, "tree/", progress=False)
        out = tmp_path / "out"
        report = bucket.download("tree/", out, progress=False)
        assert sorted(r.key for r in report.failed) == ["tree/broken.bin", "tree/gone.bin"]
        assert isinstance(
            next(r for r in report.failed if r.key.endswith("gone.bin")).error, NotFoundError
        )
        assert (out / "a.bin").read_bytes() == (src / "a.bin").read_bytes()
        assert (out / "z" / "z.bin").read_bytes() == (src / "z" / "z.bin").read_bytes()
        assert not (out / "gone.bin").exists() and not (out / "broken.bin").exists()
        assert not partials(tmp_path)
        bucket.delete(force=True)


def test_key_without_blob_but_with_children_is_a_folder(bucket: Bucket, tmp_path: Path) -> None:
    bucket.blob("docs/a.txt").write_bytes(b"a")
    bucket.blob("docs/sub/b.txt").write_bytes(b"b")
    bucket.blob("docsx").write_bytes(b"not in the folder")
    report = bucket.download("docs", tmp_path / "out")
    assert {r.key for r in report} == {"docs/a.txt", "docs/sub/b.txt"}
    assert (tmp_path / "out" / "sub" / "b.txt").read_bytes() == b"b"


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_after_the_file_is_complete_is_absorbed(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8, D5 for downloads: an interrupt that arrives once the file is complete under
    its final name does not report the download as interrupted (one file, or one at a time:
    the file runs on a worker, never on the main thread, where the interrupt lands)."""
    import signal

    from bucketry.transfer import downloads

    bucket.blob("k.bin").write_bytes(b"x" * 5000)
    real = downloads._commit

    def commit_then_ctrl_c(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the main thread gets KeyboardInterrupt

    monkeypatch.setattr(downloads, "_commit", commit_then_ctrl_c)
    try:
        report = bucket.download("k.bin", tmp_path / "k.bin")
        plan = bucket.sync(tmp_path / "back", "", direction="download", file_concurrency=1)
    except KeyboardInterrupt:
        pytest.fail("a completed download reported as interrupted")
    assert report.ok and [r.status for r in report] == ["downloaded"]
    assert (tmp_path / "k.bin").read_bytes() == b"x" * 5000
    assert plan.results is not None and plan.results.ok
    assert (tmp_path / "back" / "k.bin").read_bytes() == b"x" * 5000


def test_fsync_only_when_durable(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like aws-cli, rclone and curl, a download does not wait for the disk by default (the
    file is still complete under its final name); ``durable=True`` fsyncs the file and its
    folder."""
    data = random_file(tmp_path / "src.bin", 64 * KiB)
    bucket.upload(tmp_path / "src.bin", "durable/file.bin")
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    bucket.download("durable/file.bin", tmp_path / "fast.bin")
    assert (tmp_path / "fast.bin").read_bytes() == data and synced == []
    bucket.download("durable/file.bin", tmp_path / "safe.bin", durable=True)
    assert (tmp_path / "safe.bin").read_bytes() == data and len(synced) == 2  # file, folder
