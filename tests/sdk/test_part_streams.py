"""How many parts of one upload stream at once (:mod:`bucketry.transfer.streams`): one at a time
on a fast link (the next starting as soon as the previous one's bytes have gone), up to
``max_concurrency`` on a slow one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bucketry import TransferOptions
from bucketry.transfer import streams
from bucketry.transfer.streams import Lane, submit_parts
from tests.sdk.test_upload_parts_streamed import _client, _Stream, _Transport
from tests.sdk.transfer_support import random_file
from tests.support.live_server import LiveServer

MiB = 1024 * 1024


@dataclass(frozen=True)
class _Spec:
    number: int
    length: int


class _Timeline:
    """When each fake part's bytes started and finished going out, and when it ended."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bytes_from: dict[int, float] = {}
        self.bytes_to: dict[int, float] = {}
        self.ended: dict[int, float] = {}
        self.handed_off: dict[int, float] = {}  # when all but the hand-off bytes had gone

    def overlapping_bytes(self) -> int:
        """The most parts whose bytes were going out at one moment."""
        edges = sorted(
            [(t, 1) for t in self.bytes_from.values()] + [(t, -1) for t in self.bytes_to.values()]
        )
        most = now = 0
        for _, step in edges:
            now += step
            most = max(most, now)
        return most


def _any_speed_is_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every probe that moves its bytes counts as fast, however busy the machine (8 MiB at
    256 MiB/s is 31 ms, which a loaded scheduler alone can exceed): the tests using it check
    what a fast link does, :func:`test_a_probe_at_the_fast_speed_or_faster_is_fast` where the
    line lies."""
    monkeypatch.setattr(streams, "FAST_STREAM", 1)
    monkeypatch.setattr(streams, "PROBE_WAIT", 30.0)


def test_a_probe_at_the_fast_speed_or_faster_is_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """``PROBE_BYTES`` moved in ``PROBE_BYTES / FAST_STREAM`` seconds from the request's start
    is a fast link; a moment slower is not (a clock of our own: no sleep to oversleep)."""
    now = [1000.0]
    monkeypatch.setattr(streams, "time", type("Clock", (), {"monotonic": lambda: now[0]}))
    took = streams.PROBE_BYTES / streams.FAST_STREAM
    for seconds, fast in ((took, True), (took * 1.01, False)):
        lane = Lane(streams.PartStreams(2), 2 * streams.PROBE_BYTES, streams.PROBE_BYTES)
        lane.enter()
        now[0] += seconds
        lane.moved(streams.PROBE_BYTES)
        assert lane.started.is_set() and lane.fast() is fast
        lane.end()


def _run(
    specs: list[_Spec], chunk_seconds: float, answer_seconds: float, reused: int = 0
) -> _Timeline:
    """Send ``specs`` through ``submit_parts`` with 2 streams: each part moves 1 MiB per
    ``chunk_seconds``, then waits ``answer_seconds`` for its (fake) answer; the first
    ``reused`` parts are the server's copies of a resumed upload (nothing sent)."""
    timeline = _Timeline()

    def send(spec: _Spec, lane: Lane) -> int:
        try:
            if spec.number <= reused:
                return spec.number
            lane.enter()
            with timeline.lock:
                timeline.bytes_from[spec.number] = time.monotonic()
            for i in range(spec.length // MiB):
                time.sleep(chunk_seconds)
                if (i + 1) * MiB >= spec.length - streams.HANDOFF_BYTES:
                    with timeline.lock:
                        timeline.handed_off.setdefault(spec.number, time.monotonic())
                lane.moved(MiB)
            with timeline.lock:
                timeline.bytes_to[spec.number] = time.monotonic()
            time.sleep(answer_seconds)
            with timeline.lock:
                timeline.ended[spec.number] = time.monotonic()
            return spec.number
        finally:
            lane.end()

    futures: list[Future[int]] = []
    with ThreadPoolExecutor(2) as pool:
        submit_parts(pool, specs, send, 2, futures)
        wait(futures)
    assert [f.result() for f in futures] == [s.number for s in specs]
    return timeline


def test_on_a_fast_link_parts_stream_one_at_a_time_each_as_soon_as_the_last_bytes_went(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A first part faster than ``FAST_STREAM`` narrows the upload to one stream: with no
    hand-off, no two parts' bytes go out together, and each part starts while the one before
    waits for its answer (the server's commit overlaps the next bytes)."""
    _any_speed_is_fast(monkeypatch)
    monkeypatch.setattr(streams, "HANDOFF_BYTES", 0)
    specs = [_Spec(n, 8 * MiB) for n in range(1, 5)]
    timeline = _run(specs, chunk_seconds=0.0005, answer_seconds=0.05)  # ~2 GiB/s
    assert timeline.overlapping_bytes() == 1
    for n in range(2, 5):
        assert timeline.bytes_from[n] < timeline.ended[n - 1]  # pipelined, not one by one


def test_the_next_part_starts_when_the_last_hand_off_bytes_remain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a fast link the next part's request starts once the part before it has only its
    last ``HANDOFF_BYTES`` to send: never earlier, so at most two parts overlap, and only by
    those bytes."""
    _any_speed_is_fast(monkeypatch)
    assert 2 * MiB == streams.HANDOFF_BYTES
    specs = [_Spec(n, 8 * MiB) for n in range(1, 5)]
    timeline = _run(specs, chunk_seconds=0.002, answer_seconds=0.05)  # ~500 MiB/s
    assert timeline.overlapping_bytes() <= 2
    for n in range(2, 5):
        assert timeline.bytes_from[n] >= timeline.handed_off[n - 1]


def test_a_resumed_upload_probes_its_first_part_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resumed upload whose first part the server already has sends nothing for it: the
    next part probes the link instead, and on a fast one the rest stream one at a time (the
    reused part used to leave the upload at two streams)."""
    _any_speed_is_fast(monkeypatch)
    specs = [_Spec(n, 8 * MiB) for n in range(1, 6)]
    timeline = _run(specs, chunk_seconds=0.002, answer_seconds=0.05, reused=1)  # ~500 MiB/s
    assert sorted(timeline.bytes_from) == [2, 3, 4, 5]
    assert timeline.overlapping_bytes() <= 2
    for n in range(3, 6):
        assert timeline.bytes_from[n] >= timeline.handed_off[n - 1]


def test_on_a_slow_link_parts_stream_side_by_side() -> None:
    """A first part slower than ``FAST_STREAM`` keeps ``max_concurrency`` streams."""
    specs = [_Spec(n, 8 * MiB) for n in range(1, 5)]
    timeline = _run(specs, chunk_seconds=0.02, answer_seconds=0.0)  # ~50 MiB/s
    assert timeline.overlapping_bytes() == 2


def test_a_first_part_smaller_than_the_probe_never_narrows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parts shorter than ``PROBE_BYTES`` fit in the sockets' buffers whatever the link:
    their speed says nothing, so they keep ``max_concurrency`` streams (even where any speed
    counts as fast; 10 ms per MiB, so that on a busy machine the second part still starts
    before the first one's bytes have all gone)."""
    monkeypatch.setattr(streams, "FAST_STREAM", 1)
    assert 2 * MiB < streams.PROBE_BYTES
    specs = [_Spec(n, 2 * MiB) for n in range(1, 7)]
    timeline = _run(specs, chunk_seconds=0.01, answer_seconds=0.03)
    assert timeline.overlapping_bytes() == 2


def test_a_big_upload_over_loopback_sends_one_part_at_a_time(
    server: LiveServer,
    users: dict[str, str],
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On loopback (a fast link: here whatever its speed on a busy machine) a 4-part upload
    with the default two parts in flight sends one part's bytes at a time but for each part's
    last ``HANDOFF_BYTES`` (two went out together before, splitting the CPUs the client and
    the server share), and the blob is whole."""
    _any_speed_is_fast(monkeypatch)
    data = random_file(tmp_path / "f.bin", 4 * 8 * MiB)
    lock = threading.Lock()
    streaming = {"now": 0, "most": 0, "parts": 0}

    def watch(request: httpx.Request, nth: int, inner: httpx.HTTPTransport) -> httpx.Response:
        length = int(request.headers["content-length"])
        body = request.stream
        assert isinstance(body, httpx.SyncByteStream)

        def chunks() -> Iterator[bytes]:
            sent = 0
            for chunk in body:
                with lock:
                    if sent == 0:
                        streaming["now"] += 1
                        streaming["parts"] += 1
                        streaming["most"] = max(streaming["most"], streaming["now"])
                    if sent < length - streams.HANDOFF_BYTES <= sent + len(chunk):
                        streaming["now"] -= 1  # counted out before its hand-off bytes leave
                    sent += len(chunk)
                yield chunk

        request.stream = _Stream(chunks())
        return inner.handle_request(request)

    opts = TransferOptions(part_size=8 * MiB, multipart_threshold=0)
    assert opts.max_concurrency == 2
    with _client(server, users["alice"], _Transport(watch)) as client:
        bucket = client.buckets.create(f"lanes-{unique}")
        bucket.upload(tmp_path / "f.bin", "f.bin", options=opts)
        assert bucket.blob("f.bin").read_bytes() == data
        bucket.delete(force=True)
    assert streaming["parts"] == 4
    assert streaming["most"] == 1


def test_a_retry_while_holding_the_turn_keeps_it_until_its_own_bytes_have_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A part whose attempt failed half-way (a 503, a reset) retries while still holding its
    turn: the retry sends the whole part again, so the turn stays held until the retry's
    bytes have all gone (the failed attempt's bytes used to count, freeing it early and
    letting a second part stream beside it on a fast link)."""
    monkeypatch.setattr(streams, "HANDOFF_BYTES", 0)  # the turn goes with the last byte
    parts = streams.PartStreams(1)
    lane = Lane(parts, 4 * MiB)
    lane.enter()
    lane.moved(3 * MiB)  # the first attempt fails after 3 MiB
    lane.enter()  # its retry: still this part's turn
    lane.moved(2 * MiB)  # 2 of the retry's 4 MiB
    other = Lane(parts, MiB)
    waiting = threading.Thread(target=other.enter)
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive()  # the turn is still held
    lane.moved(2 * MiB)  # the retry's last bytes
    waiting.join(2)
    assert not waiting.is_alive()
    other.end()
    lane.end()


def test_a_probe_cancelled_before_it_began_does_not_hold_the_submitter() -> None:
    """The probe's time counts from its request's start, so the submitter waits for the probe
    to begin; one cancelled in the pool's queue (the pool shut down: Ctrl-C in a folder
    upload) never begins, and the submitter goes on at once (here to a refused submit)."""
    gate = threading.Event()
    pool = ThreadPoolExecutor(1)
    pool.submit(gate.wait, 10)  # the only worker is busy
    futures: list[Future[int]] = []
    raised: list[BaseException] = []

    def never_sent(spec: _Spec, lane: Lane) -> int:
        raise AssertionError("a cancelled part ran")

    def submit() -> None:
        specs = [_Spec(1, 16 * MiB), _Spec(2, 16 * MiB)]
        try:
            submit_parts(pool, specs, never_sent, 2, futures, lambda rest: rest)
        except RuntimeError as exc:  # cannot schedule new futures after shutdown
            raised.append(exc)

    submitter = threading.Thread(target=submit, daemon=True)
    submitter.start()
    deadline = time.monotonic() + 10
    while not futures and time.monotonic() < deadline:  # a busy machine starts threads late
        time.sleep(0.01)
    time.sleep(0.3)
    assert submitter.is_alive() and len(futures) == 1  # waiting for the probe to begin
    pool.shutdown(wait=False, cancel_futures=True)
    submitter.join(2)
    gate.set()
    assert not submitter.is_alive() and futures[0].cancelled() and raised
