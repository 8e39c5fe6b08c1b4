"""Uploads against the real server: single PUTs, multipart (sizes, checksums, parallel parts,
retries), resume of a killed upload, progress sums."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucketry import Bucket, Client, ProgressAdvance, ProgressEvent, ProgressStart
from tests.sdk.transfer_support import (
    FaultyTransport,
    MiB,
    Recorder,
    crc,
    fast_retries,
    random_file,
    sha,
)
from tests.support.live_server import LiveServer

KiB = 1024


def test_single_file_keys_and_checksum(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "photo.png", 300 * KiB)
    recorder = Recorder(bucket.client)
    report = bucket.upload(tmp_path / "photo.png")  # dst "" → the file name
    assert report.ok and [r.status for r in report] == ["uploaded"]
    bucket.upload(tmp_path / "photo.png", "dir/")  # dst ending in / → dst + name
    bucket.upload(tmp_path / "photo.png", "exact/key.png")
    for key in ["photo.png", "dir/photo.png", "exact/key.png"]:
        blob = bucket.blob(key)
        assert blob.read_bytes() == data
        info = blob.stat()
        assert info.sha256 is None and info.crc32c == crc(data)  # no SHA-256 unless asked
        assert info.content_type == "image/png"
    puts = [r for r in recorder.requests if r.method == "PUT"]
    assert len(puts) == 3  # no HEAD/listing per file without update/continue_
    # CRC32C is the default transfer checksum; SHA-256 only on request.
    assert all(r.headers["x-checksum-crc32c"] == crc(data) for r in puts)
    assert not any("x-checksum-sha256" in r.headers for r in puts)


@pytest.mark.parametrize("size", [300 * KiB, 3 * MiB + 7])
@pytest.mark.parametrize(("checksum", "header"), [("sha256", "x-checksum-sha256"), (False, None)])
def test_single_put_checksum_on_request(
    bucket: Bucket, tmp_path: Path, size: int, checksum: Any, header: str | None
) -> None:
    data = random_file(tmp_path / "f.bin", size)
    recorder = Recorder(bucket.client)
    bucket.upload(tmp_path / "f.bin", "f.bin", checksum=checksum)
    [put] = [r for r in recorder.requests if r.method == "PUT"]
    sent = {h for h in put.headers if h.startswith("x-checksum-")}
    assert sent == ({header} if header else set())
    if header:
        assert put.headers[header] == sha(data)
    assert bucket.blob("f.bin").read_bytes() == data


def test_streamed_single_put_above_one_mib(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "f.bin", 3 * MiB + 7)
    recorder = Recorder(bucket.client)
    bucket.upload(tmp_path / "f.bin", "f.bin")  # below the 8 MiB threshold: one PUT
    assert [r.method for r in recorder.requests] == ["PUT"]
    assert recorder.requests[0].headers["x-checksum-crc32c"] == crc(data)
    assert bucket.blob("f.bin").read_bytes() == data


def test_empty_file(bucket: Bucket, tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    bucket.upload(tmp_path / "empty", "empty", multipart_threshold=0)
    assert bucket.blob("empty").stat().size == 0
    assert bucket.blob("empty").read_bytes() == b""


@pytest.mark.parametrize(
    ("size", "part_size"),
    [
        (1 * MiB, 128 * KiB),  # an exact multiple
        (1 * MiB + 1, 128 * KiB),  # a 1-byte last part
        (700_001, 64 * KiB),
        (2 * MiB + 12345, 512 * KiB),
    ],
)
def test_multipart_sizes(bucket: Bucket, tmp_path: Path, size: int, part_size: int) -> None:
    data = random_file(tmp_path / "big.bin", size)
    recorder = Recorder(bucket.client)
    report = bucket.upload(
        tmp_path / "big.bin", "big.bin", part_size=part_size, multipart_threshold=256 * KiB
    )
    assert report.ok and report.results[0].bytes == size
    parts = recorder.part_puts()
    assert len(parts) == math.ceil(size / part_size)
    for request in parts:  # streamed: the CRC is compared with the server's after the part
        number = int(request.url.path.rsplit("/", 1)[-1])
        chunk = data[(number - 1) * part_size : number * part_size]
        assert "x-checksum-crc32c" not in request.headers
        assert int(request.headers["content-length"]) == len(chunk)
    # ...and the completion the full-object CRC32C, combined from the parts'.
    [done] = [r for r in recorder.requests if r.url.path.endswith("/complete")]
    assert done.headers["x-checksum-crc32c"] == crc(data)
    info = bucket.blob("big.bin").stat()
    assert info.size == size and info.sha256 is None and info.crc32c == crc(data)
    assert bucket.blob("big.bin").read_bytes() == data
    assert not list(bucket.client.api.uploads.list(bucket.ref)[0].results)  # nothing left open


def test_multipart_sha256_on_request(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "big.bin", 700_001)
    recorder = Recorder(bucket.client)
    bucket.upload(
        tmp_path / "big.bin",
        "big.bin",
        part_size=64 * KiB,
        multipart_threshold=0,
        checksum="sha256",
    )
    parts = recorder.part_puts()
    for request in parts:
        number = int(request.url.path.rsplit("/", 1)[-1])
        chunk = data[(number - 1) * 64 * KiB : number * 64 * KiB]
        assert request.headers["x-checksum-sha256"] == sha(chunk)
        assert "x-checksum-crc32c" not in request.headers
    [done] = [r for r in recorder.requests if r.url.path.endswith("/complete")]
    assert "x-checksum-crc32c" not in done.headers
    info = bucket.blob("big.bin").stat()
    assert info.sha256 == sha(data) and info.crc32c == crc(data)


def test_part_size_raised_to_server_minimum(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "f.bin", 300 * KiB)
    recorder = Recorder(bucket.client)
    bucket.upload(tmp_path / "f.bin", "f.bin", part_size=16 * KiB, multipart_threshold=0)
    assert len(recorder.part_puts()) == math.ceil(300 / 64)  # the test server's 64 KiB minimum
    assert bucket.blob("f.bin").read_bytes() == data


def test_parts_go_in_parallel(bucket: Bucket, tmp_path: Path) -> None:
    data = random_file(tmp_path / "f.bin", 4 * MiB)
    recorder = Recorder(bucket.client)
    bucket.upload(
        tmp_path / "f.bin", "f.bin", part_size=64 * KiB, multipart_threshold=0, max_concurrency=4
    )
    assert len(recorder.part_puts()) == 64
    assert 2 <= recorder.max_parts_in_flight <= 4
    assert bucket.blob("f.bin").read_bytes() == data


def _settled_parts(bucket: Bucket, key: str) -> set[int]:
    """The part numbers the one open upload of ``key`` holds, once three listings 100 ms apart
    agree: a part whose whole body left before the client gave up is still stored by the
    server, a moment after the client moved on (on a busy machine its commit can take longer
    than one short pause: a rerun then found a part the test had not counted)."""
    seen: list[set[int]] = []
    for _ in range(100):
        uploads = bucket.client.api.uploads.list(bucket.ref, key=key)[0].results
        assert len(uploads) == 1
        seen.append({p.part_number for p in uploads[0].parts})
        if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
            return seen[-1]
        time.sleep(0.1)
    raise AssertionError(f"the parts of {key} kept changing")


def test_killed_upload_resumes_without_resending_parts(bucket: Bucket, tmp_path: Path) -> None:
    size, part = 1 * MiB + 5, 64 * KiB
    total_parts = math.ceil(size / part)  # 17
    data = random_file(tmp_path / "f.bin", size)
    recorder = Recorder(bucket.client)
    moved = 0

    def kill_after_some_parts(event: ProgressEvent) -> None:
        nonlocal moved
        if isinstance(event, ProgressAdvance):
            moved += event.amount
            if moved > 6 * part:
                raise KeyboardInterrupt  # what Ctrl-C does midway

    opts: dict[str, Any] = dict(part_size=part, multipart_threshold=0, max_concurrency=2)
    with pytest.raises(KeyboardInterrupt):
        bucket.upload(tmp_path / "f.bin", "f.bin", progress=kill_after_some_parts, **opts)
    assert not bucket.blob("f.bin").exists()
    done_before = _settled_parts(bucket, "f.bin")  # left open for the rerun
    assert 3 <= len(done_before) < total_parts

    recorder.clear()
    report = bucket.upload(tmp_path / "f.bin", "f.bin", **opts)
    resent = {int(r.url.path.rsplit("/", 1)[-1]) for r in recorder.part_puts()}
    assert len(recorder.part_puts()) == total_parts - len(done_before)
    assert resent.isdisjoint(done_before)
    result = report.results[0]
    assert result.resumed and result.bytes == sum(min(part, size - (n - 1) * part) for n in resent)
    assert bucket.blob("f.bin").stat().crc32c == crc(data)
    assert bucket.blob("f.bin").read_bytes() == data
    assert not bucket.client.api.uploads.list(bucket.ref, key="f.bin")[0].results


def test_changed_file_is_not_resumed(bucket: Bucket, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    random_file(path, 512 * KiB)
    calls = 0

    def kill(event: ProgressEvent) -> None:
        nonlocal calls
        if isinstance(event, ProgressAdvance):
            calls += 1
            if calls > 3:
                raise RuntimeError("stop")

    opts: dict[str, Any] = dict(part_size=64 * KiB, multipart_threshold=0, max_concurrency=1)
    with pytest.raises(RuntimeError):
        bucket.upload(path, "f.bin", progress=kill, **opts)
    data = random_file(path, 512 * KiB)  # new content, new mtime
    recorder = Recorder(bucket.client)
    bucket.upload(path, "f.bin", **opts)
    assert len(recorder.part_puts()) == 8  # all parts again
    assert bucket.blob("f.bin").read_bytes() == data
    assert not bucket.client.api.uploads.list(bucket.ref, key="f.bin")[
        0
    ].results  # stale one aborted


def test_parts_retried_on_503_and_reset(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    def fault(request: httpx.Request, nth: int) -> httpx.Response | None:
        path = request.url.path
        if request.method == "PUT" and path.endswith("/parts/2") and nth == 0:
            return httpx.Response(503, headers={"Retry-After": "0"})
        if request.method == "PUT" and path.endswith("/parts/3") and nth == 0:
            request.read()
            raise httpx.ReadError("connection reset by peer")
        if request.method == "PUT" and path.endswith("/blob") and nth == 0:
            return httpx.Response(502)
        return None

    transport = FaultyTransport(fault)
    events: list[ProgressEvent] = []
    with Client(url=server.url, token=users["alice"], transport=transport) as client:
        fast_retries(client)
        bucket = client.buckets.create(f"retry-{unique}")
        data = random_file(tmp_path / "f.bin", 5 * 64 * KiB)
        report = bucket.upload(
            tmp_path / "f.bin",
            "f.bin",
            part_size=64 * KiB,
            multipart_threshold=0,
            progress=events.append,
        )
        assert report.ok and bucket.blob("f.bin").read_bytes() == data
        sent = sum(e.amount for e in events if isinstance(e, ProgressAdvance))
        assert sent == len(data)  # retried parts are not counted twice
        small = random_file(tmp_path / "s.bin", 2 * MiB)  # streamed single PUT, 502 then ok
        bucket.upload(tmp_path / "s.bin", "s.bin")
        assert bucket.blob("s.bin").read_bytes() == small
        bucket.delete(force=True)
    counts = {k[1].split("/api/v1")[1]: v for k, v in transport.seen.items() if k[0] == "PUT"}
    part2 = [v for k, v in counts.items() if k.endswith("/parts/2")]
    part3 = [v for k, v in counts.items() if k.endswith("/parts/3")]
    assert part2 == [2] and part3 == [2]


def test_progress_events_add_up(bucket: Bucket, tmp_path: Path) -> None:
    sizes = {"a.txt": 10, "b/c.bin": 300 * KiB, "b/d.bin": 2 * MiB + 3, "e": 0}
    for rel, size in sizes.items():
        random_file(tmp_path / "src" / rel, size)
    events: list[ProgressEvent] = []
    report = bucket.upload(
        tmp_path / "src",
        "p/",
        progress=events.append,
        part_size=64 * KiB,
        multipart_threshold=1 * MiB,
    )
    assert report.ok and len(report.transferred) == 4
    starts = [e for e in events if isinstance(e, ProgressStart)]
    byte_start = next(e for e in starts if e.unit == "B")
    file_start = next(e for e in starts if e.unit == "file")
    assert byte_start.total == sum(sizes.values())
    assert file_start.total == 4
    advanced = sum(e.amount for e in events if isinstance(e, ProgressAdvance) and e.unit == "B")
    assert advanced == sum(sizes.values()) == report.bytes
    files = sum(e.amount for e in events if isinstance(e, ProgressAdvance) and e.unit == "file")
    assert files == 4
    assert type(events[-1]).__name__ == "ProgressFinish"


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_after_the_last_part_of_a_completed_upload(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8, D5: an interrupt that arrives once the upload has completed on the server
    (while its answer comes back) does not turn a finished upload into "interrupted"."""
    import os
    import signal

    from bucketry.transfer import multipart

    data = random_file(tmp_path / "big.bin", 3 * 64 * KiB + 5)
    real = multipart.complete_upload

    def complete_then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        info = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the main thread gets KeyboardInterrupt
        return info

    monkeypatch.setattr(multipart, "complete_upload", complete_then_ctrl_c)
    for files_at_once in (4, 1):  # 1: the file runs on a worker too, never on the main thread
        try:
            report = bucket.upload(
                tmp_path / "big.bin",
                "big.bin",
                multipart_threshold=64 * KiB,
                part_size=64 * KiB,
                file_concurrency=files_at_once,
            )
        except KeyboardInterrupt:
            pytest.fail(f"a completed upload reported as interrupted ({files_at_once} at once)")
        assert report.ok and [r.status for r in report] == ["uploaded"]
        assert bucket.blob("big.bin").read_bytes() == data
        bucket.blob("big.bin").delete()


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_before_the_last_part_still_interrupts(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the rule: an interrupt that costs a part is raised."""
    import os
    import signal

    from bucketry.transfer import multipart

    random_file(tmp_path / "big.bin", 3 * 64 * KiB + 5)
    real = multipart.put_part

    def part_then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        if args[3] == 1:
            os.kill(os.getpid(), signal.SIGINT)
            # The interrupt cancels the transfer meanwhile: wait for that, not a fixed time
            # (a part that goes before it does costs nothing, and a slow machine could send
            # them all).
            cancel = args[4]._cancel  # the part's body stops when the transfer is cancelled
            deadline = time.monotonic() + 10
            while not cancel.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)
        return real(*args, **kwargs)

    monkeypatch.setattr(multipart, "put_part", part_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        bucket.upload(
            tmp_path / "big.bin",
            "big.bin",
            multipart_threshold=64 * KiB,
            part_size=64 * KiB,
            max_concurrency=1,
        )
    assert not bucket.blob("big.bin").exists()


def test_progress_bars_close_innermost_first(bucket: Bucket, tmp_path: Path) -> None:
    """Issue 8, D5: the files bar (opened second, drawn below) closes before the bytes bar,
    so the summary printed next lands on a clean line."""
    from bucketry.progress import ProgressFinish, TqdmReporter

    for name in ("a", "b"):
        random_file(tmp_path / "src" / name, 1000)
    events: list[ProgressEvent] = []
    bucket.upload(tmp_path / "src", "p/", progress=events.append)
    finished = [e.name for e in events if isinstance(e, ProgressFinish)]
    assert finished == [f"{tmp_path / 'src'} (files)", str(tmp_path / "src")]

    closed: list[str] = []

    class Bar:
        def __init__(self, desc: str) -> None:
            self.desc = desc

        def close(self) -> None:
            closed.append(self.desc)

    reporter = TqdmReporter()
    reporter._bars = {("t", "outer"): Bar("outer"), ("t", "inner"): Bar("inner")}
    reporter.finish("t", "outer")  # closing the outer bar closes the inner one first
    assert closed == ["inner", "outer"] and reporter._bars == {}


@pytest.mark.parametrize("threshold", [0, 64 * MiB])  # multipart, single PUT
def test_upload_reads_the_file_once(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    """The checksum is computed from the bytes as they are read for sending: no pass over the
    file before it (the SHA-256 pre-pass read every byte twice)."""
    import os

    path = tmp_path / "f.bin"
    data = random_file(path, 3 * MiB + 5)
    read = {"bytes": 0}
    real = os.pread

    def counting(fd: int, n: int, offset: int) -> bytes:
        got = real(fd, n, offset)
        if os.readlink(f"/proc/self/fd/{fd}") == str(path):
            read["bytes"] += len(got)
        return got

    monkeypatch.setattr(os, "pread", counting)
    recorder = Recorder(bucket.client)
    bucket.upload(path, "once.bin", multipart_threshold=threshold, part_size=1 * MiB)
    assert read["bytes"] == len(data)
    # A single PUT carries its CRC32C up front; parts are checked against the server's measure
    # of each, and the completion carries the full-object CRC32C.
    checked = [r for r in recorder.requests if r.method == "PUT" and "/parts/" not in r.url.path]
    checked += [r for r in recorder.requests if r.url.path.endswith("/complete")]
    assert checked and all("x-checksum-crc32c" in r.headers for r in checked)
    assert bucket.blob("once.bin").read_bytes() == data
