"""On a fast link the parts of a multipart upload still to send are merged into fewer, larger
ones (:func:`bucketry.transfer.multipart.merge_parts`), each numbered by the first slot of the
part-size grid it covers, so that a resumed upload finds and reuses them."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucketry import Bucket, Client, ProgressAdvance, ProgressEvent
from bucketry.transfer import streams
from bucketry.transfer.multipart import ReceivedPart, merge_parts, plan_parts
from bucketry.transfer.streams import Lane, submit_parts
from tests.sdk.transfer_support import MiB, Recorder, crc, random_file
from tests.support.live_server import LiveServer


def _held(*sizes: tuple[int, int]) -> dict[int, ReceivedPart]:
    return {n: ReceivedPart(size, None, None, f"e{n}") for n, size in sizes}


def test_merging_joins_runs_of_parts_the_server_lacks_up_to_the_limit() -> None:
    specs = plan_parts(7 * MiB + 5, MiB)  # slots 1..8, the last of 5 bytes
    merged = merge_parts(specs, _held((4, MiB)), limit=2 * MiB)
    assert [(p.number, p.offset, p.length) for p in merged] == [
        (1, 0, 2 * MiB),
        (3, 2 * MiB, MiB),  # alone: its neighbour is held
        (4, 3 * MiB, MiB),  # held: reused as it is
        (5, 4 * MiB, 2 * MiB),
        (7, 6 * MiB, MiB + 5),
    ]
    assert merge_parts(specs, {}, limit=MiB) == specs  # nothing fits two slots
    whole = merge_parts(specs, {}, limit=8 * MiB)
    assert [(p.number, p.length) for p in whole] == [(1, 7 * MiB + 5)]


def test_a_resume_plans_a_merged_part_the_server_holds_at_its_own_size() -> None:
    size = 7 * MiB + 5
    held = _held((1, MiB), (2, 3 * MiB), (5, MiB + 5))  # 2: slots 2-4; 5: a stray size
    planned = [(p.number, p.offset, p.length) for p in plan_parts(size, MiB, held)]
    assert planned == [
        (1, 0, MiB),
        (2, MiB, 3 * MiB),
        (5, 4 * MiB, MiB),  # not a whole number of slots, nor to the end: a fresh slot
        (6, 5 * MiB, MiB),
        (7, 6 * MiB, MiB),
        (8, 7 * MiB, 5),
    ]
    to_end = plan_parts(size, MiB, _held((6, 2 * MiB + 5)))  # reaches the end of the file
    assert [(p.number, p.length) for p in to_end][-1] == (6, 2 * MiB + 5)
    too_long = plan_parts(size, MiB, _held((7, 2 * MiB)))  # would run past the end
    assert [p.number for p in too_long] == [1, 2, 3, 4, 5, 6, 7, 8]


@dataclass(frozen=True)
class _Spec:
    number: int
    length: int


def _submit(chunk_seconds: float) -> tuple[list[_Spec], list[list[int]], list[int]]:
    """Four 8 MiB parts through ``submit_parts`` with 2 streams and a ``merge`` that joins
    all the rest into one: (the parts submitted, what merge was given, the parts sent)."""
    calls: list[list[int]] = []
    sent: list[int] = []

    def merge(rest: list[_Spec]) -> list[_Spec]:
        calls.append([s.number for s in rest])
        return [_Spec(rest[0].number, sum(s.length for s in rest))]

    def send(spec: _Spec, lane: Lane) -> int:
        try:
            lane.enter()
            for _ in range(spec.length // MiB):
                time.sleep(chunk_seconds)
                lane.moved(MiB)
            sent.append(spec.number)
            return spec.number
        finally:
            lane.end()

    futures: list[Future[int]] = []
    with ThreadPoolExecutor(2) as pool:
        submitted = submit_parts(
            pool, [_Spec(n, 8 * MiB) for n in range(1, 5)], send, 2, futures, merge
        )
        wait(futures)
    assert [f.result() for f in futures] == [s.number for s in submitted]
    return submitted, calls, sent


def test_a_fast_first_part_merges_the_rest_and_a_slow_one_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow probe (8 MiB at 50 MiB/s at most: sleeps only get longer) keeps every part; a
    fast one merges the rest. "Fast" is any speed here: 8 sleeps of 0.5 ms had to fit in the
    31 ms of 256 MiB/s, which a busy machine's scheduler alone can exceed."""
    submitted, calls, _ = _submit(chunk_seconds=0.02)  # ~50 MiB/s
    assert calls == [] and [s.number for s in submitted] == [1, 2, 3, 4]
    monkeypatch.setattr(streams, "FAST_STREAM", 1)
    monkeypatch.setattr(streams, "PROBE_WAIT", 30.0)
    submitted, calls, sent = _submit(chunk_seconds=0.0005)
    assert calls == [[2, 3, 4]]
    assert submitted == [_Spec(1, 8 * MiB), _Spec(2, 24 * MiB)]
    assert sorted(sent) == [1, 2]


def _part_numbers(recorder: Recorder) -> list[int]:
    return sorted(int(r.url.path.rsplit("/", 1)[-1]) for r in recorder.part_puts())


@pytest.mark.usefixtures("fast_link")
def test_a_fast_upload_sends_merged_parts_and_stores_the_whole_file(
    bucket: Bucket, tmp_path: Path
) -> None:
    """A 5 MiB + 5 file in 1 MiB slots: part 1 probes, then slots 2-3 and 4-5 go as one part
    each and the last 5 bytes alone; the blob is whole and carries the file's CRC32C."""
    data = random_file(tmp_path / "f.bin", 5 * MiB + 5)
    recorder = Recorder(bucket.client)
    report = bucket.upload(tmp_path / "f.bin", "f.bin", multipart_threshold=0)
    assert report.ok
    assert _part_numbers(recorder) == [1, 2, 4, 6]
    assert bucket.blob("f.bin").read_bytes() == data
    assert bucket.blob("f.bin").stat().crc32c == crc(data)


class _OlderServer(httpx.BaseTransport):
    """The real transport, with ``preferred_max_part_size`` taken out of every answer about
    uploads: a server from before the field."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if "/uploads" not in request.url.path or request.method == "PUT":
            return response
        response.read()
        if not response.headers.get("content-type", "").startswith("application/json"):
            return response
        body = json.loads(response.content)
        for upload in body.get("results", [body]) if isinstance(body, dict) else []:
            upload.pop("preferred_max_part_size", None)
        dropped = {"content-length", "content-encoding"}  # the body is re-encoded here
        headers = {k: v for k, v in response.headers.items() if k.lower() not in dropped}
        return httpx.Response(response.status_code, json=body, headers=headers, request=request)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.usefixtures("fast_link")
def test_a_server_that_does_not_say_its_preferred_part_size_gets_no_merged_parts(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    """A server from before ``preferred_max_part_size`` may hold each part whole before
    storing it (an S3 store) within a bounded spool: the SDK cannot know, so it keeps the
    part size it chose and merges nothing (the old code merged up to 1 GiB)."""
    data = random_file(tmp_path / "f.bin", 5 * MiB + 5)
    with Client(url=server.url, token=users["alice"], transport=_OlderServer()) as client:
        bucket = client.buckets.create(f"older-{unique}")
        try:
            recorder = Recorder(client)
            report = bucket.upload(tmp_path / "f.bin", "f.bin", multipart_threshold=0)
            assert report.ok, report.summary()
            assert _part_numbers(recorder) == [1, 2, 3, 4, 5, 6]
            assert bucket.blob("f.bin").read_bytes() == data
        finally:
            bucket.delete(force=True)


@pytest.mark.usefixtures("fast_link")
@pytest.mark.parametrize("options", [{"part_size": MiB}, {"checksum": "sha256"}])
def test_a_chosen_part_size_or_sha256_parts_are_never_merged(
    bucket: Bucket, tmp_path: Path, options: dict[str, Any]
) -> None:
    """A part size the caller chose is kept; SHA-256 parts (1 MiB here, as automatic) are read
    whole into memory, so merging them would hold the merged size."""
    data = random_file(tmp_path / "f.bin", 5 * MiB + 5)
    recorder = Recorder(bucket.client)
    bucket.upload(tmp_path / "f.bin", "f.bin", multipart_threshold=0, **options)
    assert _part_numbers(recorder) == [1, 2, 3, 4, 5, 6]
    assert bucket.blob("f.bin").read_bytes() == data


def _settled(bucket: Bucket, key: str) -> dict[int, int]:
    """Part number -> size of the one open upload of ``key``, once three listings 100 ms
    apart agree (a part whose bytes all left is stored a moment after the client gave up)."""
    seen: list[dict[int, int]] = []
    for _ in range(100):
        [upload] = bucket.client.api.uploads.list(bucket.ref, key=key)[0].results
        seen.append({p.part_number: p.size for p in upload.parts})
        if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
            return seen[-1]
        time.sleep(0.1)
    raise AssertionError(f"the parts of {key} kept changing")


@pytest.mark.usefixtures("fast_link")
def test_a_killed_upload_resumes_reusing_its_merged_part(bucket: Bucket, tmp_path: Path) -> None:
    """Killed while sending slots 4-5 (after part 1 and the merged part 2 of slots 2-3): the
    rerun reuses both (the merged one found at slot 2) and sends only the rest: slot 4 (its
    probe), then slots 5-6 merged."""
    data = random_file(tmp_path / "f.bin", 5 * MiB + 5)
    moved = 0
    lock = threading.Lock()

    def kill_in_part_4(event: ProgressEvent) -> None:
        nonlocal moved
        if isinstance(event, ProgressAdvance):
            with lock:
                moved += event.amount
                if moved > 3 * MiB + 512 * 1024:
                    raise KeyboardInterrupt  # what Ctrl-C does midway

    with pytest.raises(KeyboardInterrupt):
        bucket.upload(tmp_path / "f.bin", "f.bin", multipart_threshold=0, progress=kill_in_part_4)
    assert _settled(bucket, "f.bin") == {1: MiB, 2: 2 * MiB}

    recorder = Recorder(bucket.client)
    report = bucket.upload(tmp_path / "f.bin", "f.bin", multipart_threshold=0)
    assert _part_numbers(recorder) == [4, 5]
    [result] = report.results
    assert result.resumed and result.bytes == 2 * MiB + 5
    assert bucket.blob("f.bin").read_bytes() == data
    assert bucket.blob("f.bin").stat().crc32c == crc(data)
    assert not bucket.client.api.uploads.list(bucket.ref, key="f.bin")[0].results
