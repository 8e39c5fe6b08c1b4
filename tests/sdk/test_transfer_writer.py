"""``blob.open("wb")``: small (one PUT), large (multipart as it grows), aborted (nothing)."""

from __future__ import annotations

import io
import os

import pytest

from bucketry import Bucket
from bucketry.transfer import BlobWriter
from tests.sdk.transfer_support import Recorder, crc

KiB = 1024


def open_uploads(bucket: Bucket, key: str) -> list[object]:
    return list(bucket.client.api.uploads.list(bucket.ref, key=key)[0].results)


def test_small_write_is_one_put_at_close(bucket: Bucket) -> None:
    recorder = Recorder(bucket.client)
    with bucket.blob("small.txt").open("wb") as f:
        assert isinstance(f, BlobWriter) and f.writable()
        f.write(b"hello ")
        f.write(memoryview(b"world"))
        assert not recorder.requests  # nothing sent before close
        assert f.tell() == 11
    assert [r.method for r in recorder.requests] == ["PUT"]
    assert bucket.blob("small.txt").read_bytes() == b"hello world"
    assert f.info is not None and f.info.crc32c == crc(b"hello world")


def test_empty_writer_creates_empty_blob(bucket: Bucket) -> None:
    with bucket.blob("empty").open("wb"):
        pass
    assert bucket.blob("empty").read_bytes() == b""


def test_large_write_goes_multipart_with_bounded_buffer(bucket: Bucket) -> None:
    data = os.urandom(1024 * KiB + 123)
    recorder = Recorder(bucket.client)
    writer = BlobWriter(bucket.blob("large.bin"), part_size=64 * KiB, max_concurrency=2)
    view = memoryview(data)
    pos = 0
    while pos < len(data):  # odd-sized writes
        step = 10_007
        writer.write(view[pos : pos + step])
        pos += step
        assert len(writer._buf) < 64 * KiB  # never more than one part buffered
    assert not bucket.blob("large.bin").exists()  # not visible before close
    assert len(open_uploads(bucket, "large.bin")) == 1
    writer.close()
    assert writer.closed
    assert len(recorder.part_puts()) == 17
    assert bucket.blob("large.bin").read_bytes() == data
    assert bucket.blob("large.bin").stat().crc32c == crc(data)
    assert not open_uploads(bucket, "large.bin")


def test_text_wrapper_works(bucket: Bucket) -> None:
    with io.TextIOWrapper(bucket.blob("t.txt").open("wb"), encoding="utf-8") as text:
        text.write("héllo\n" * 1000)
    assert bucket.blob("t.txt").read_text() == "héllo\n" * 1000


def test_exception_in_with_block_creates_nothing(bucket: Bucket) -> None:
    bucket.blob("kept.bin").write_bytes(b"old")
    with pytest.raises(RuntimeError), bucket.blob("kept.bin").open("wb") as f:
        f.write(os.urandom(300 * KiB))  # already multipart (parts sent)
        raise RuntimeError("boom")
    assert bucket.blob("kept.bin").read_bytes() == b"old"  # unchanged
    assert not open_uploads(bucket, "kept.bin")  # aborted
    with pytest.raises(RuntimeError), bucket.blob("new.bin").open("wb") as f:
        f.write(b"small")
        raise RuntimeError("boom")
    assert not bucket.blob("new.bin").exists()


def test_part_size_raised_to_server_minimum(bucket: Bucket) -> None:
    data = os.urandom(200 * KiB)
    recorder = Recorder(bucket.client)
    writer = BlobWriter(bucket.blob("m.bin"), part_size=16 * KiB)
    writer.write(data)
    writer.close()
    assert len(recorder.part_puts()) == 4  # 64 KiB parts (the server's minimum) + the rest
    assert bucket.blob("m.bin").read_bytes() == data


def test_write_after_close_fails(bucket: Bucket) -> None:
    writer = bucket.blob("c").open("wb")
    writer.close()
    with pytest.raises(ValueError):
        writer.write(b"x")
