"""Merged parts (:func:`bucketry.transfer.multipart.merge_parts`) against what a server may
hold of an earlier run: a merged part the server copied wrong, stale parts of another layout
(single slots inside a merged span, a merged span over single slots), and the completion
that follows (parts in order, covering the file once, its CRC32C the file's)."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import google_crc32c
import pytest

from bucketry import Bucket, ProgressAdvance, ProgressEvent
from bucketry.transfer import multipart, streams
from bucketry.transfer.crc import combine_all
from bucketry.transfer.multipart import SentPart
from bucketry.transfer.options import Checksum
from bucketry_server.uploads import service as uploads_service
from tests.sdk.transfer_support import MiB, Recorder, crc, open_upload, random_file


def _slots(data: bytes, first: int, count: int) -> bytes:
    """Slots ``first`` .. ``first + count - 1`` (1 MiB each) of ``data``."""
    return data[(first - 1) * MiB : (first - 1 + count) * MiB]


class Completions:
    """Records the parts every completion lists (number, length, CRC32C) by wrapping
    ``multipart._complete``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.listed: list[list[tuple[int, int, int | None]]] = []
        real = multipart._complete

        def complete(ctx: Any, upload_id: str, key: str, f: Any, parts: Any) -> Any:
            done: list[tuple[int, SentPart]] = parts
            self.listed.append([(n, p.length, p.crc32c) for n, p in done])
            return real(ctx, upload_id, key, f, parts)

        monkeypatch.setattr(multipart, "_complete", complete)

    def check(self, data: bytes, part_size: int) -> list[tuple[int, int]]:
        """The last completion's (number, length): asserts its parts ascend, each starts at
        its slot right where the one before it ended, they cover ``data`` exactly once and
        their CRC32Cs (when they have them) combine into the file's."""
        parts = self.listed[-1]
        offset = 0
        for number, length, _ in parts:
            assert (number - 1) * part_size == offset, parts
            offset += length
        assert offset == len(data)
        crcs = [(c, n) for _, n, c in parts if c is not None]
        if len(crcs) == len(parts):  # SHA-256 parts carry none
            assert combine_all(crcs) == google_crc32c.value(data)
        return [(n, length) for n, length, _ in parts]


def _sent(recorder: Recorder) -> list[tuple[int, int]]:
    """(part number, bytes) of every part PUT, by number."""
    return sorted(
        (int(r.url.path.rsplit("/", 1)[-1]), int(r.headers["content-length"]))
        for r in recorder.part_puts()
    )


def _upload_and_check(
    bucket: Bucket, path: Path, data: bytes, completions: Completions, **options: Any
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Upload ``path`` (resuming what is open), check the blob and the completion; returns
    (the parts sent, the parts listed by the completion)."""
    recorder = Recorder(bucket.client)
    report = bucket.upload(path, "f.bin", multipart_threshold=0, **options)
    assert report.ok, report.summary()
    assert bucket.blob("f.bin").read_bytes() == data
    assert bucket.blob("f.bin").stat().crc32c == crc(data)
    assert not bucket.client.api.uploads.list(bucket.ref, key="f.bin")[0].results
    return _sent(recorder), completions.check(data, MiB)


@pytest.mark.usefixtures("fast_link")
def test_a_merged_part_the_server_holds_wrong_is_sent_again_whole(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server holds part 1, a merged part 2 over slots 2-3 whose bytes are not the file's
    (same size), and part 4 over slots 4-5: the rerun reuses 1 and 4, sends slots 2-3 again
    as part 2 (never reusing the wrong copy) and the 5 bytes left."""
    path = tmp_path / "f.bin"
    data = random_file(path, 5 * MiB + 5)
    wrong = os.urandom(2 * MiB)
    open_upload(
        bucket, path, "f.bin", MiB, {1: _slots(data, 1, 1), 2: wrong, 4: _slots(data, 4, 2)}
    )
    sent, listed = _upload_and_check(bucket, path, data, Completions(monkeypatch))
    assert sent == [(2, 2 * MiB), (6, 5)]
    assert listed == [(1, MiB), (2, 2 * MiB), (4, 2 * MiB), (6, 5)]


@pytest.mark.usefixtures("fast_link")
def test_stale_single_slots_inside_a_reused_merged_part_are_left_out(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of exactly 8 slots. An earlier fixed-grid run left slots 1-4 and 6 as parts of
    their own, a later merged one part 2 over slots 2-3 (the server now holds 2 merged, 3 and
    4 single): the rerun reuses 1, the merged 2, 4 and 6 (3 is inside 2: never listed), sends
    slot 5 (its probe), then 7-8 merged."""
    path = tmp_path / "f.bin"
    data = random_file(path, 8 * MiB)
    held = {n: _slots(data, n, 1) for n in (1, 2, 3, 4, 6)} | {2: _slots(data, 2, 2)}
    open_upload(bucket, path, "f.bin", MiB, held)
    sent, listed = _upload_and_check(bucket, path, data, Completions(monkeypatch))
    assert sent == [(5, MiB), (7, 2 * MiB)]
    assert listed == [(1, MiB), (2, 2 * MiB), (4, MiB), (5, MiB), (6, MiB), (7, 2 * MiB)]


@pytest.mark.usefixtures("fast_link")
@pytest.mark.parametrize("options", [{"part_size": MiB}, {"checksum": "sha256"}, {}])
def test_a_fixed_grid_run_reuses_a_merged_part_to_the_end(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    """The reverse: a merged run left part 1 and part 5 over slots 5-7 (the last one 5 bytes:
    it reaches the end of the file), plus a stale single part 6; a rerun that does not merge
    (a part size given, SHA-256 parts) or that does reuses them and sends slots 2-4 (2 probes,
    then 3-4 merged when merging)."""
    path = tmp_path / "f.bin"
    data = random_file(path, 6 * MiB + 5)
    held = {1: _slots(data, 1, 1), 5: data[4 * MiB :], 6: _slots(data, 6, 1)}
    open_upload(bucket, path, "f.bin", MiB, held)
    sent, listed = _upload_and_check(bucket, path, data, Completions(monkeypatch), **options)
    fresh = [(2, MiB), (3, 2 * MiB)] if not options else [(2, MiB), (3, MiB), (4, MiB)]
    assert sent == fresh
    assert listed == [(1, MiB), *fresh, (5, 2 * MiB + 5)]


def _whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lengths of the parts read whole into memory (SHA-256 parts sent from a buffer)."""
    lengths: list[int] = []
    real = multipart.read_with_digest

    def recording(fd: int, offset: int, length: int, algorithm: str | None) -> Any:
        lengths.append(length)
        return real(fd, offset, length, algorithm)

    monkeypatch.setattr(multipart, "read_with_digest", recording)
    return lengths


@pytest.mark.usefixtures("fast_link")
def test_sha256_parts_check_a_held_merged_part_without_holding_it(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SHA-256 parts are read whole into memory before they are sent; a part the server
    already holds is only checked, which needs no such read: a merged one may be 1 GiB (and
    the reading thread keeps a buffer of the largest part it read). Only slots 2-4, sent
    again, are read whole."""
    path = tmp_path / "f.bin"
    data = random_file(path, 6 * MiB + 5)
    open_upload(bucket, path, "f.bin", MiB, {1: _slots(data, 1, 1), 5: data[4 * MiB :]})
    read_whole = _whole_reads(monkeypatch)
    sent, listed = _upload_and_check(
        bucket, path, data, Completions(monkeypatch), checksum="sha256"
    )
    assert sent == [(2, MiB), (3, MiB), (4, MiB)]
    assert listed == [(1, MiB), (2, MiB), (3, MiB), (4, MiB), (5, 2 * MiB + 5)]
    assert read_whole == [MiB] * 3


@pytest.mark.usefixtures("fast_link")
def test_sha256_parts_send_a_held_merged_part_with_other_bytes_without_holding_it(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server holds a merged part 5 over slots 5-7 (to the end) with other bytes of the
    same size: a SHA-256 rerun sends it again over the same slots, hashed from the file and
    streamed from it, never read whole (a merged part may be 1 GiB, a size the caller never
    chose, and the reading thread would keep a buffer that large until the call ends)."""
    path = tmp_path / "f.bin"
    data = random_file(path, 6 * MiB + 5)
    wrong = os.urandom(2 * MiB + 5)
    open_upload(bucket, path, "f.bin", MiB, {1: _slots(data, 1, 1), 5: wrong})
    read_whole = _whole_reads(monkeypatch)
    sent, listed = _upload_and_check(
        bucket, path, data, Completions(monkeypatch), checksum="sha256"
    )
    assert sent == [(2, MiB), (3, MiB), (4, MiB), (5, 2 * MiB + 5)]
    assert listed == [(1, MiB), *sent[:3], (5, 2 * MiB + 5)]
    assert read_whole == [MiB] * 3


@pytest.mark.usefixtures("fast_link")
def test_a_held_part_checked_longer_than_the_probe_wait_still_merges_the_rest(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a resume the first part is only checked against the server's copy, which takes a
    while for a big merged part read from a cold disk (2 s here, past the probe's wait of 1 s,
    ample for the probe's own 256 KiB on a busy machine): that says nothing of the link, so the
    next part, sent, probes it and the rest merge."""
    monkeypatch.setattr(streams, "PROBE_WAIT", 1.0)
    path = tmp_path / "f.bin"
    data = random_file(path, 5 * MiB + 5)
    open_upload(bucket, path, "f.bin", MiB, {1: _slots(data, 1, 1)})
    real = multipart.digest_range

    def cold(fd: int, offset: int, length: int, algorithm: str) -> str:
        time.sleep(2.0)
        return real(fd, offset, length, algorithm)

    monkeypatch.setattr(multipart, "digest_range", cold)
    sent, listed = _upload_and_check(bucket, path, data, Completions(monkeypatch))
    assert sent == [(2, MiB), (3, 2 * MiB), (5, MiB + 5)]
    assert listed == [(1, MiB), *sent]


def _parts_by_upload(recorder: Recorder) -> dict[str, list[int]]:
    """Upload id -> the part numbers PUT to it, in order."""
    found: dict[str, list[int]] = {}
    for r in recorder.part_puts():
        *_, upload_id, _, number = r.url.path.split("/")
        found.setdefault(upload_id, []).append(int(number))
    return {u: sorted(numbers) for u, numbers in found.items()}


def _folder(root: Path, count: int) -> dict[str, bytes]:
    return {f"{i}.bin": random_file(root / f"{i}.bin", 5 * MiB + 5 + i) for i in range(count)}


@pytest.mark.usefixtures("fast_link")
@pytest.mark.parametrize("concurrency", [1, 3])
def test_big_files_of_one_call_each_merge_in_the_shared_pool(
    bucket: Bucket, tmp_path: Path, concurrency: int
) -> None:
    """Three files of 5 MiB and a few bytes in one call, three at once over one pool of
    ``max_concurrency`` threads: each probes and merges (parts 1, 2 and 4 over two slots
    each, 6), never more than ``max_concurrency`` parts in flight in total."""
    files = _folder(tmp_path / "src", 3)
    recorder = Recorder(bucket.client)
    report = bucket.upload(
        tmp_path / "src", "d/", multipart_threshold=0, max_concurrency=concurrency
    )
    assert report.ok, report.summary()
    assert list(_parts_by_upload(recorder).values()) == [[1, 2, 4, 6]] * 3
    assert recorder.max_parts_in_flight <= concurrency
    for name, data in files.items():
        assert bucket.blob(f"d/{name}").read_bytes() == data


def _part_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("bucketry-part")}


@pytest.mark.usefixtures("fast_link")
def test_ctrl_c_in_a_folder_of_merging_files_then_a_rerun(bucket: Bucket, tmp_path: Path) -> None:
    """Ctrl-C while three files send merged parts side by side stops the call (no part of
    theirs left running, their uploads open); the rerun resumes and stores every file whole,
    leaving no upload open."""
    files = _folder(tmp_path / "src", 3)
    moved = 0
    lock = threading.Lock()

    def ctrl_c(event: ProgressEvent) -> None:
        nonlocal moved
        if isinstance(event, ProgressAdvance) and event.unit == "B":
            with lock:
                moved += event.amount
                if moved > 8 * MiB:
                    raise KeyboardInterrupt

    before = _part_threads()
    with pytest.raises(KeyboardInterrupt):
        bucket.upload(tmp_path / "src", "d/", multipart_threshold=0, progress=ctrl_c)
    assert not _part_threads() - before
    report = bucket.upload(tmp_path / "src", "d/", multipart_threshold=0)
    assert report.ok, report.summary()
    assert any(r.resumed for r in report.results)
    for name, data in files.items():
        assert bucket.blob(f"d/{name}").read_bytes() == data
        assert bucket.blob(f"d/{name}").stat().crc32c == crc(data)
    assert not bucket.client.api.uploads.list(bucket.ref)[0].results


@pytest.mark.usefixtures("fast_link")
def test_of_two_open_uploads_of_a_file_the_one_holding_more_bytes_is_resumed(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs left an upload each: three single slots, and two parts (1, and 2 merged over
    slots 2-5) holding more of the file. The rerun resumes the latter, sending only the
    5 bytes left, and aborts the other (merged parts: fewer parts, not less done)."""
    path = tmp_path / "f.bin"
    data = random_file(path, 5 * MiB + 5)
    open_upload(bucket, path, "f.bin", MiB, {n: _slots(data, n, 1) for n in (1, 2, 3)})
    open_upload(bucket, path, "f.bin", MiB, {1: _slots(data, 1, 1), 2: _slots(data, 2, 4)})
    sent, listed = _upload_and_check(bucket, path, data, Completions(monkeypatch))
    assert sent == [(6, 5)]
    assert listed == [(1, MiB), (2, 4 * MiB), (6, 5)]


@pytest.mark.parametrize("part_size", [0, 1])
def test_an_open_upload_with_an_unusable_part_size_is_replaced(
    bucket: Bucket, tmp_path: Path, part_size: int
) -> None:
    """An open upload of this very file whose recorded part size cannot lay the file on a
    grid the server takes (0; 1 byte: 5 MiB parts, past 10,000) is aborted and a fresh one
    made, instead of failing every rerun (0 divided the plan, 1 planned five million parts)."""
    path = tmp_path / "f.bin"
    data = random_file(path, 5 * MiB + 5)
    open_upload(bucket, path, "f.bin", part_size, {})
    report = bucket.upload(path, "f.bin", multipart_threshold=0)
    assert report.ok and not report.results[0].resumed
    assert bucket.blob("f.bin").read_bytes() == data
    assert not bucket.client.api.uploads.list(bucket.ref, key="f.bin")[0].results


def test_an_open_upload_on_parts_below_the_servers_minimum_is_replaced(
    bucket: Bucket, tmp_path: Path
) -> None:
    """An open upload of this very file recorded 32 KiB parts, below the server's least part
    (64 KiB in the tests' server; its setting, or a provider's, rose since): resuming it could
    only end in a refused completion, so it is aborted and a fresh one made."""
    path = tmp_path / "f.bin"
    data = random_file(path, 256 * 1024)
    open_upload(bucket, path, "f.bin", 32 * 1024, {})
    report = bucket.upload(path, "f.bin", multipart_threshold=0)
    assert report.ok, report.summary()
    assert not report.results[0].resumed
    assert bucket.blob("f.bin").read_bytes() == data
    assert not bucket.client.api.uploads.list(bucket.ref, key="f.bin")[0].results


@pytest.mark.parametrize("checksum", ["crc32c", "sha256", False])
def test_a_held_part_the_server_tells_no_checksum_of_is_sent_again(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checksum: Checksum
) -> None:
    """A server (an older one, a provider's own multipart) that lists held parts without a
    CRC32C or SHA-256 proves nothing of their bytes: part 1, of the file's size but not its
    bytes, and part 2, the file's own, are both sent again (the old code reused both on their
    size alone and stored part 1's wrong bytes, or failed the completion), whatever checksum
    the call uses. Nothing was reused, so the run is not a resume."""
    path = tmp_path / "f.bin"
    data = random_file(path, 2 * MiB + 5)
    open_upload(bucket, path, "f.bin", MiB, {1: os.urandom(MiB), 2: _slots(data, 2, 1)})
    real = uploads_service.part_json
    monkeypatch.setattr(
        uploads_service, "part_json", lambda p: real(p) | {"crc32c": None, "sha256": None}
    )
    report = bucket.upload(path, "f.bin", multipart_threshold=0, checksum=checksum)
    assert report.ok, report.summary()
    assert bucket.blob("f.bin").read_bytes() == data
    assert report.results[0].bytes == len(data) and not report.results[0].resumed


@pytest.mark.parametrize(("part_size", "resumed"), [(None, True), (2 * MiB, True), (MiB, False)])
def test_a_part_size_the_call_sets_decides_which_open_upload_is_resumed(
    bucket: Bucket, tmp_path: Path, part_size: int | None, resumed: bool
) -> None:
    """An earlier run recorded a 2 MiB grid and sent part 1. A rerun without ``part_size``, or
    with the same, resumes it (sends the 2 MiB + 5 bytes left). A rerun that sets 1 MiB (to
    keep each request under a proxy's limit, say) gets 1 MiB parts: the old upload is
    aborted and the file sent whole (the old code kept the recorded 2 MiB grid)."""
    path = tmp_path / "f.bin"
    data = random_file(path, 4 * MiB + 5)
    open_upload(bucket, path, "f.bin", 2 * MiB, {1: _slots(data, 1, 2)})
    recorder = Recorder(bucket.client)
    options: dict[str, Any] = {} if part_size is None else {"part_size": part_size}
    report = bucket.upload(path, "f.bin", multipart_threshold=0, **options)
    assert report.ok, report.summary()
    assert bucket.blob("f.bin").read_bytes() == data
    assert report.results[0].resumed is resumed
    sent = _sent(recorder)
    if resumed:
        assert sum(n for _, n in sent) == 2 * MiB + 5
    else:
        assert sent == [(1, MiB), (2, MiB), (3, MiB), (4, MiB), (5, 5)]
    assert not bucket.client.api.uploads.list(bucket.ref, key="f.bin")[0].results


def test_an_open_upload_holding_no_part_is_no_resume(bucket: Bucket, tmp_path: Path) -> None:
    """An open upload of this very file that holds no part is used, but nothing of an earlier
    run is reused: ``resumed`` is False (the old code said True for any open upload found)."""
    path = tmp_path / "f.bin"
    data = random_file(path, 2 * MiB + 5)
    open_upload(bucket, path, "f.bin", MiB, {})
    [upload] = bucket.client.api.uploads.list(bucket.ref, key="f.bin")[0].results
    recorder = Recorder(bucket.client)
    report = bucket.upload(path, "f.bin", multipart_threshold=0)
    assert report.ok and not report.results[0].resumed
    assert bucket.blob("f.bin").read_bytes() == data
    assert not [
        r for r in recorder.requests if r.method == "POST" and r.url.path.endswith("/uploads")
    ]
    assert any(upload.id in r.url.path for r in recorder.part_puts())  # the open one was used


def test_the_failure_that_stopped_the_parts_is_raised_not_a_siblings_cancellation() -> None:
    """A part fails (here a progress callback's own error) and a sibling, told to stop, ends
    first with ``TransferCancelled``: the upload raises the part's error once every part is
    over (it raised the sibling's cancellation, which says nothing of why; a callback's
    ``KeyboardInterrupt`` then never reached the caller)."""
    from bucketry.transfer.bodies import TransferCancelled
    from bucketry.transfer.multipart import gather_parts

    stop = threading.Event()

    def sibling() -> Any:
        stop.wait(5)
        raise TransferCancelled("transfer cancelled")

    def failing() -> Any:
        stop.set()  # what a failing part's thread does at once
        time.sleep(0.3)  # its exception still on its way out
        raise ValueError("the callback's own error")

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(sibling), pool.submit(failing)]
        with pytest.raises(ValueError, match="callback's own error"):
            gather_parts(futures, threading.Event())
        assert all(f.done() for f in futures)  # every part is over before it raises
