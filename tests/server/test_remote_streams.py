"""The bridges of remote/streams.py: what a provider client gets of a streamed request body."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncIterator, Iterator

import anyio
import anyio.to_thread
import pytest

from bucketry_server.backends.remote.streams import PULL_BATCH, IterReader, Watched, pull
from bucketry_server.storage.base import ChecksumMismatchError, Expected, Hasher

PIECE = 64 * 1024
BODY = bytes(range(256)) * (3 * PULL_BATCH // 256)  # three hops' worth


async def _source(body: bytes = BODY) -> AsyncIterator[bytes]:
    for i in range(0, len(body), PIECE):
        yield body[i : i + PIECE]


def _consume(it: Iterator[bytes], got: list[bytes]) -> None:
    for piece in it:
        got.append(piece)


@pytest.mark.parametrize("size", [len(BODY), len(BODY) + 1000, 1000])
def test_a_checksum_mismatch_raises_before_the_last_bytes_are_handed_over(size: int) -> None:
    """A provider must never receive the whole of a refused body (it would store it: an S3
    part would replace the acknowledged one), also when the body ends on a batch boundary."""
    body = (BODY * 2)[:size]
    got: list[bytes] = []

    async def main() -> None:
        wrong = Hasher(Expected(sha256_hex=hashlib.sha256(b"other").hexdigest()))
        it = pull(_source(body), wrong)
        await anyio.to_thread.run_sync(_consume, it, got)

    with pytest.raises(ChecksumMismatchError):
        anyio.run(main)
    assert len(b"".join(got)) < size


def test_pull_hands_over_everything_in_big_pieces_from_any_thread() -> None:
    """Created on the event loop, the iterator works in a thread the loop never started (as
    s3transfer reads bodies); pieces are about PULL_BATCH bytes, not the request's chunks."""
    got: list[bytes] = []

    async def main() -> None:
        good = Hasher(Expected(sha256_hex=hashlib.sha256(BODY).hexdigest()))
        it = pull(_source(), good)
        foreign = threading.Thread(target=_consume, args=(it, got))
        await anyio.to_thread.run_sync(lambda: (foreign.start(), foreign.join()))

    anyio.run(main)
    assert b"".join(got) == BODY
    assert min(len(p) for p in got[:-1]) >= PULL_BATCH


def test_iter_reader_reads_exact_sizes_and_reports_the_source_failure() -> None:
    reader = IterReader(iter([b"abc", b"defg", b"h"]), size=8)
    assert reader.read(2) == b"ab" and reader.read(5) == b"cdefg" and reader.read() == b"h"
    assert reader.read(10) == b"" and reader.tell() == 8
    with pytest.raises(ValueError, match="longer than its declared 2 bytes"):
        IterReader(iter([b"abc"]), size=2).read()

    def broken() -> Iterator[bytes]:
        yield b"x"
        raise KeyError("the source's own error")

    failing = IterReader(broken())
    with pytest.raises(KeyError), failing.reraise():
        try:
            failing.read()
        except KeyError:
            raise RuntimeError("what a library makes of it") from None


def test_watched_chunks_report_the_source_failure_over_the_library_error() -> None:
    def broken() -> Iterator[bytes]:
        yield b"x"
        raise KeyError("the source's own error")

    watched = Watched(broken())
    with pytest.raises(KeyError), watched.reraise():
        try:
            list(watched)
        except KeyError:
            raise RuntimeError("what a library makes of it") from None
    fine = Watched(iter([b"a", b"b"]))
    with pytest.raises(RuntimeError), fine.reraise():  # no source failure: the error stands
        assert b"".join(fine) == b"ab"
        raise RuntimeError("the library's own failure")
