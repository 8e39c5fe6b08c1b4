"""Request bodies fed to a store's writer in blocks, in worker threads: the event loop only
receives.

A body arrives in ~64 KiB pieces. Hashing them and writing them to a file (or a spool) on the
event loop holds it for every byte; one thread hop per piece costs more than the work. So the
pieces are gathered into 1 MiB blocks and each block is handed to a blocking ``flush`` in a
worker thread while the loop receives the next one (hashlib, the CRC32C and ``os.write``
release the GIL, so on two cores the two overlap). At most one block is in flight: memory stays
bounded (two blocks per body) and the blocks are flushed in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from .base import TooLargeError

#: Bytes gathered into one block before it is flushed.
BLOCK_SIZE = 1 << 20


async def feed_blocks(
    chunks: AsyncIterator[bytes],
    flush: Callable[[list[bytes]], None],
    *,
    max_size: int | None = None,
) -> list[bytes]:
    """Pass ``chunks`` to ``flush`` in blocks of about :data:`BLOCK_SIZE`, each in a worker
    thread while the next is received (one in flight at most, in order), and return the last
    block, not flushed (under a block: the caller flushes it in its own final hop, so a small
    body costs one hop in all).

    ``max_size``: raise ``TooLargeError`` at the chunk that passes it. Whatever ``flush``
    raises surfaces when the next block is handed over or at the end. On any error or
    cancellation the block in flight is waited for (shielded) before it propagates, so the
    caller may close what ``flush`` writes to.
    """
    loop = asyncio.get_running_loop()
    in_flight: asyncio.Future[None] | None = None
    pending: list[bytes] = []
    pending_size = received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if max_size is not None and received > max_size:
                raise TooLargeError(f"body larger than {max_size} bytes")
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= BLOCK_SIZE:
                if in_flight is not None:
                    await in_flight
                in_flight = loop.run_in_executor(None, flush, pending)
                pending, pending_size = [], 0
        if in_flight is not None:
            await in_flight
            in_flight = None
    except BaseException:
        if in_flight is not None:  # let the worker finish with the file before it is closed
            with contextlib.suppress(BaseException):
                await asyncio.shield(in_flight)
        raise
    return pending
