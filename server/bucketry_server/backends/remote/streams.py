"""Bridges between the async request side and a client's blocking iterators (worker threads)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Self

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

from ...storage.base import Hasher

#: Bytes handed from the event loop to a worker thread per hop (fewer thread switches).
PULL_BATCH = 1024 * 1024


def pull(chunks: AsyncIterator[bytes], hasher: Hasher | None = None) -> Iterator[bytes]:
    """A blocking iterator over ``chunks`` for a client running in a worker thread. Called
    on the event loop, any thread may iterate it (s3transfer reads bodies in threads of its
    own); called in a worker thread of :func:`anyio.to_thread.run_sync`, only that one may.
    The bytes come in pieces of about :data:`PULL_BATCH` bytes (one hop to
    the event loop each). With ``hasher``, every piece is counted and hashed and the declared
    checksums are checked once the source is exhausted, *before* the last piece is handed
    over: a mismatch raises from inside the iterator while the client still lacks bytes, so
    its write (or part) fails and stores nothing."""
    try:
        token: Any = anyio.lowlevel.current_token()
    except Exception:  # noqa: BLE001 - not on the event loop: the worker thread's own
        token = None
    return _pull(chunks, hasher, token)


def _pull(chunks: AsyncIterator[bytes], hasher: Hasher | None, token: Any) -> Iterator[bytes]:
    async def gather() -> tuple[bytes, bool]:
        got: list[bytes] = []
        size = 0
        while size < PULL_BATCH:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return _joined(got), True
            if chunk:
                got.append(chunk)
                size += len(chunk)
        return _joined(got), False

    held = b""
    done = False
    while not done:
        data, done = anyio.from_thread.run(gather, token=token)
        if hasher is not None:
            hasher.update(data)
        if not data:  # the end (gather returns less than a batch only there)
            continue
        if held:
            yield held
        held = data
    if hasher is not None:
        hasher.finish()
    if held:
        yield held


def _joined(pieces: list[bytes]) -> bytes:
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


class _Reraising:
    """Remembers what a wrapped source raised (``failure``), so a library that turns every
    failure into its own error (a retry, a wrapper) cannot hide it: see :meth:`reraise`."""

    failure: BaseException | None = None

    @contextlib.contextmanager
    def reraise(self) -> Iterator[Self]:
        """Context: any exception inside becomes what the source raised, if it raised
        (boto3 retries and reports ``UnseekableStreamError``; others wrap it)."""
        try:
            yield self
        except BaseException:
            if self.failure is not None:
                raise self.failure from None
            raise


class Watched(_Reraising):
    """An iterator over ``chunks`` that remembers what they raised, so a library that turns
    every failure into its own error cannot hide it (see :meth:`reraise`)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._it = iter(chunks)
        self.failure: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                chunk = next(self._it)
            except StopIteration:
                return
            except BaseException as exc:
                self.failure = exc
                raise
            yield chunk


class IterReader(_Reraising, io.RawIOBase):
    """A read-only, unseekable file over ``chunks`` (what boto3, azure-storage-blob and
    google-cloud-storage take as a streamed body). ``read(n)`` returns ``n`` bytes unless the
    source ends. With ``size``, a source longer than ``size`` raises ``ValueError``. Use it
    in a ``with`` block of :meth:`reraise`, so what the source raised reaches the caller."""

    def __init__(self, chunks: Iterator[bytes], size: int | None = None) -> None:
        self._it = iter(chunks)
        self._buf = b""
        self._pos = 0
        self.size = size
        #: What the source raised, if it did: re-raise it over the library's own error.
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        """Always True."""
        return True

    def tell(self) -> int:
        """Bytes read so far."""
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        """Up to ``n`` bytes (all that is left for ``n`` None or negative); b"" at the end."""
        want = None if n is None or n < 0 else n
        pieces = [self._buf] if self._buf else []
        have = len(self._buf)
        self._buf = b""
        while want is None or have < want:
            try:
                chunk = next(self._it, None)
            except BaseException as exc:  # the library may bury it (a retry, a wrapper)
                self.failure = exc
                raise
            if chunk is None:
                break
            pieces.append(chunk)
            have += len(chunk)
        data = _joined(pieces) if pieces else b""
        if want is not None and len(data) > want:
            data, self._buf = data[:want], data[want:]
        self._pos += len(data)
        if self.size is not None and self._pos > self.size:
            raise ValueError(f"the body is longer than its declared {self.size} bytes")
        return data

    def readinto(self, b: Any) -> int:
        """Fill ``b`` (``io.RawIOBase`` protocol)."""
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def _next(it: Iterator[bytes]) -> bytes | None:
    return next(it, None)


async def push(it: Iterator[bytes], first: bytes | None = None) -> AsyncIterator[bytes]:
    """An async iterator over a client's blocking ``it`` (each chunk fetched in a worker
    thread); ``first`` is yielded first if given. Closes ``it`` when done or abandoned."""
    try:
        if first:
            yield first
        while True:
            chunk = await anyio.to_thread.run_sync(_next, it)
            if chunk is None:
                return
            if chunk:
                yield chunk
    finally:
        close: Callable[[], object] | None = getattr(it, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(close)
