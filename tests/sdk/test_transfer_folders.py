"""Folder transfers against the real server: round trips, filters and the ignore file,
``update`` by mtime (size never decides), ``continue_``, failures reported per file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bucketry import Bucket
from tests.sdk.transfer_support import Recorder, random_file

KiB, MiB = 1024, 1024 * 1024
HOUR_NS = 3600 * 10**9


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_round_trip_nested_unicode(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel, size in {
        "top.txt": 10,
        "données/été.txt": 100,
        "日本/ファイル.bin": 5 * KiB,
        "deep/a/b/c/d.bin": 1,
        "space name/emoji 😀.txt": 33,
        "big/large.bin": 1 * MiB + 17,  # multipart with the settings below
        "empty": 0,
    }.items():
        random_file(src / rel, size)
    report = bucket.upload(src, "rt", part_size=128 * KiB, multipart_threshold=512 * KiB)
    assert report.ok and len(report.transferred) == 7
    keys = {info.key for info in bucket.list("rt/")}
    assert "rt/données/été.txt" in keys and "rt/space name/emoji 😀.txt" in keys
    out = tmp_path / "out"
    down = bucket.download("rt/", out)
    assert down.ok and len(down.transferred) == 7
    assert tree(out) == tree(src)  # bytes and mtimes


def test_filters_and_ignore_file(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in [
        "a.txt",
        "b.log",
        "keep.log",
        "notes.md",
        "tmp/x.txt",
        "build/out.txt",
        "sub/c.txt",
        "sub/d.bin",
        "sub/deep/e.txt",
    ]:
        random_file(src / rel, 10)
    (src / ".bucketryignore").write_text("# generated\n*.log\n!keep.log\nbuild/\n")
    report = bucket.upload(src, "f/", include=["*.txt", "*.log"], exclude=["tmp/"])
    assert {r.key for r in report} == {
        "f/a.txt",
        "f/keep.log",
        "f/sub/c.txt",
        "f/sub/deep/e.txt",
    }
    # the ignore file itself stays local; ignore_file=None turns it off
    report = bucket.upload(src, "g/", ignore_file=None, exclude=["**/*.txt", "*.md"])
    assert {r.key for r in report} == {"g/.bucketryignore", "g/b.log", "g/keep.log", "g/sub/d.bin"}
    # download filters match relative paths below the prefix
    out = tmp_path / "out"
    report = bucket.download("f/", out, include=["sub/**"], exclude=["deep"])
    assert {r.key for r in report} == {"f/sub/c.txt"}
    assert [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()] == ["sub/c.txt"]


def test_upload_update_uses_mtime_never_size(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ["same.txt", "newer.txt", "older-bigger.txt", "older-same-size.txt"]:
        random_file(src / rel, 100)
    bucket.upload(src, "u/")
    base = (src / "same.txt").stat().st_mtime_ns

    random_file(src / "newer.txt", 50)  # smaller but newer → upload
    os.utime(src / "newer.txt", ns=(base, base + HOUR_NS))
    random_file(src / "older-bigger.txt", 5000)  # bigger but older → skip
    os.utime(src / "older-bigger.txt", ns=(base, base - HOUR_NS))
    random_file(src / "older-same-size.txt", 100)
    os.utime(src / "older-same-size.txt", ns=(base, base - HOUR_NS))
    random_file(src / "new-file.txt", 1)  # missing remotely → upload

    recorder = Recorder(bucket.client)
    report = bucket.upload(src, "u/", update=True)
    sent = list(recorder.requests)
    by_key = {r.key: r for r in report}
    assert by_key["u/newer.txt"].status == "uploaded"
    assert by_key["u/new-file.txt"].status == "uploaded"
    assert by_key["u/older-bigger.txt"].status == "skipped"
    assert by_key["u/older-bigger.txt"].reason == "destination newer"
    assert by_key["u/older-same-size.txt"].reason == "destination newer"
    assert by_key["u/same.txt"].reason == "up to date"
    assert bucket.blob("u/older-bigger.txt").stat().size == 100
    assert bucket.blob("u/newer.txt").stat().size == 50
    lists = [r for r in sent if r.url.path.endswith("/blobs")]
    heads = [r for r in sent if r.method == "HEAD"]
    assert len(lists) == 1 and not heads  # one listing of the prefix, no per-file requests


def test_update_against_blobs_from_other_tools(bucket: Bucket, tmp_path: Path) -> None:
    """Without a recorded mtime the server's modified_at is used (clock-offset corrected)."""
    bucket.blob("o/f.txt").write_bytes(b"remote")  # no mtime metadata
    local = tmp_path / "src" / "f.txt"
    random_file(local, 3)
    now = bucket.blob("o/f.txt").stat().modified_at
    assert now is not None
    os.utime(local, ns=(0, int(now.timestamp() * 10**9) - HOUR_NS))
    report = bucket.upload(tmp_path / "src", "o/", update=True)
    assert report.results[0].reason == "destination newer"
    os.utime(local, ns=(0, int(now.timestamp() * 10**9) + HOUR_NS))
    report = bucket.upload(tmp_path / "src", "o/", update=True)
    assert report.results[0].status == "uploaded"


def test_download_update_and_continue(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ["a.txt", "b.txt", "c.txt"]:
        random_file(src / rel, 100)
    bucket.upload(src, "d/")
    out = tmp_path / "out"
    bucket.download("d/", out)
    # local a is edited later (newer, other size): kept; local b is older: replaced
    random_file(out / "a.txt", 7)
    os.utime(out / "a.txt", ns=(0, (out / "a.txt").stat().st_mtime_ns + HOUR_NS))
    os.utime(out / "b.txt", ns=(0, (out / "b.txt").stat().st_mtime_ns - HOUR_NS))
    report = bucket.download("d/", out, update=True)
    by_key = {r.key: r for r in report}
    assert by_key["d/a.txt"].reason == "destination newer"
    assert (out / "a.txt").stat().st_size == 7
    assert by_key["d/b.txt"].status == "downloaded"
    assert by_key["d/c.txt"].reason == "up to date"
    # continue_: same size is complete, other sizes are fetched again
    (out / "c.txt").unlink()
    report = bucket.download("d/", out, continue_=True)
    by_key = {r.key: r for r in report}
    assert by_key["d/b.txt"].reason == "complete"
    assert by_key["d/c.txt"].status == "downloaded"
    assert by_key["d/a.txt"].status == "downloaded"  # 7 bytes ≠ 100
    assert tree(out).keys() == tree(src).keys()


def test_upload_continue_skips_complete_files(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    random_file(src / "a", 10)
    random_file(src / "b", 10)
    bucket.upload(src / "a", "c/a")
    report = bucket.upload(src, "c/", continue_=True)
    assert {r.key: r.status for r in report} == {"c/a": "skipped", "c/b": "uploaded"}


def test_one_failure_is_reported_and_the_rest_complete(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(20):
        random_file(src / f"f{i:02d}.bin", 1000)
    random_file(src / "bad\x01name.txt", 10)  # the server refuses control characters in keys
    report = bucket.upload(src, "x/", file_concurrency=4)
    assert len(report.failed) == 1
    failure = report.failed[0]
    assert failure.key == "x/bad\x01name.txt" and "invalid_key" in repr(failure.error.problem)  # type: ignore[union-attr]
    assert len(report.transferred) == 20
    assert len(list(bucket.list("x/"))) == 20
    with pytest.raises(Exception, match="invalid"):
        report.raise_for_errors()
    assert "1 failed" in report.summary()


def test_many_small_files_go_concurrently(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(200):
        (src / f"d{i % 7}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i % 7}" / f"{i}.txt").write_bytes(os.urandom(4 * KiB))
    recorder = Recorder(bucket.client)
    report = bucket.upload(src, "many/", file_concurrency=8, batch=False)
    assert report.ok and len(report.transferred) == 200
    assert [r.method for r in recorder.requests] == ["PUT"] * 200  # one request per file
    recorder.clear()
    batched = bucket.upload(src, "batched/", file_concurrency=8)  # the default: tar batches
    assert batched.ok and len(batched.transferred) == 200
    assert [r.method for r in recorder.requests] == ["POST"]
