"""The S3 streamed write (:mod:`bucketry_server.backends.aws_s3_upload`) against a recording
fake of boto3's S3 client: how many parts it holds at once, and that a failure aborts."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from bucketry_server.backends import aws_s3_upload
from bucketry_server.backends.aws_s3_upload import streamed_upload
from bucketry_server.backends.remote.streams import IterReader

KiB = 1024


class FakeS3:
    """The boto3 calls of a streamed write; ``upload_part`` takes a while and counts how
    many run at once."""

    def __init__(self, fail_complete: bool = False) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.part_sizes: list[int] = []
        self.calls: list[str] = []
        self.fail_complete = fail_complete

    def put_object(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("put_object")
        return {}

    def create_multipart_upload(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("create")
        return {"UploadId": "u1"}

    def upload_part(self, **kw: Any) -> dict[str, Any]:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.part_sizes.append(len(kw["Body"]))
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        return {"ETag": f'"e{kw["PartNumber"]}"'}

    def complete_multipart_upload(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("complete")
        if self.fail_complete:
            raise RuntimeError("precondition failed")
        return {}

    def abort_multipart_upload(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("abort")
        return {}


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module's sizes scaled down 256 times (64 KiB default parts, at most 4 parts)."""
    monkeypatch.setattr(aws_s3_upload, "PART_SIZE", 64 * KiB)
    monkeypatch.setattr(aws_s3_upload, "MIN_PART", 1 * KiB)
    monkeypatch.setattr(aws_s3_upload, "MAX_PARTS", 4)


def _pieces(total: int, piece: int = 16 * KiB) -> Iterator[bytes]:
    for start in range(0, total, piece):
        yield bytes([start // piece % 251]) * min(piece, total - start)


@pytest.mark.usefixtures("small_parts")
def test_parts_grown_for_a_large_body_hold_no_more_memory_than_default_parts() -> None:
    """A body so large that its parts grow past the default part size (S3's 10000 parts)
    sends fewer parts at once: parts in flight stay within ``IN_MEMORY_PARTS`` default
    parts of memory, as for an export's chosen part size."""
    s3 = FakeS3()
    size = 1024 * KiB  # 4 parts of 256 KiB: four times the (scaled) default part
    with IterReader(_pieces(size), size).reraise() as body:
        streamed_upload(s3, "b", "k", {}, None, body)
    assert s3.part_sizes == [256 * KiB] * 4
    budget = aws_s3_upload.IN_MEMORY_PARTS * aws_s3_upload.PART_SIZE
    assert s3.peak * 256 * KiB <= budget, s3.peak
    assert s3.calls == ["create", "complete"]


def test_the_first_two_parts_are_not_held_for_the_whole_upload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The two parts read to tell a PUT from a multipart upload are let go once sent: the
    bytes held at once stay at ``IN_MEMORY_PARTS`` parts plus the one being read (they were
    held to the end: two parts more, 128 instead of 96 MiB with the defaults)."""
    part = 1024 * KiB
    monkeypatch.setattr(aws_s3_upload, "PART_SIZE", part)
    monkeypatch.setattr(aws_s3_upload, "MIN_PART", 1 * KiB)
    monkeypatch.setattr(aws_s3_upload, "IN_MEMORY_PARTS", 2)
    monkeypatch.setattr(aws_s3_upload, "CONCURRENCY", 1)
    s3 = FakeS3()
    tracemalloc.start()
    try:
        with IterReader(_pieces(10 * part, 256 * KiB)).reraise() as body:
            streamed_upload(s3, "b", "k", {}, None, body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert s3.part_sizes == [part] * 10
    assert peak < 4 * part, peak / part  # 2 in memory + 1 being read (was 5)


@pytest.mark.usefixtures("small_parts")
def test_a_failed_completion_or_body_aborts_the_multipart_upload() -> None:
    """A completion refused (e.g. its precondition) and a body that raises midway both
    abort the provider's multipart upload; nothing is completed after a body failure."""
    s3 = FakeS3(fail_complete=True)
    with pytest.raises(RuntimeError), IterReader(_pieces(300 * KiB)).reraise() as body:
        streamed_upload(s3, "b", "k", {}, None, body)
    assert s3.calls == ["create", "complete", "abort"]

    def broken() -> Iterator[bytes]:
        yield from _pieces(200 * KiB)
        raise ValueError("checksum mismatch")

    s3 = FakeS3()
    with pytest.raises(ValueError), IterReader(broken()).reraise() as body:
        streamed_upload(s3, "b", "k", {}, None, body)
    assert s3.calls == ["create", "abort"]
