"""Bridges between the async request side and a client's blocking iterators (worker threads)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
import anyio.from_thread
import anyio.to_thread

from ...storage.base import Hasher


def pull(chunks: AsyncIterator[bytes], hasher: Hasher | None = None) -> Iterator[bytes]:
    """A blocking iterator over ``chunks`` for a client running in a worker thread (started by
    :func:`anyio.to_thread.run_sync`). With ``hasher``, every chunk is counted and hashed and
    the declared checksums are checked once the source is exhausted: a mismatch raises from
    inside the iterator, so the client's write fails and stores nothing."""

    async def next_chunk() -> bytes:
        return await chunks.__anext__()

    while True:
        try:
            chunk: bytes = anyio.from_thread.run(next_chunk)
        except StopAsyncIteration:
            break
        if hasher is not None:
            hasher.update(chunk)
        if chunk:
            yield chunk
    if hasher is not None:
        hasher.finish()


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
