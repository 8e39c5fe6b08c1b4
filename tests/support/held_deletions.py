"""Holding the store's deletions back, to show an answer does not wait for them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def deletions_held(
    monkeypatch: pytest.MonkeyPatch, store: Any, limit: float = 10.0
) -> Iterator[threading.Event]:
    """Make ``store.delete_many`` wait until the yielded event is set: on leaving the block,
    or after ``limit`` seconds (so code that waits for its deletions still finishes, and the
    test sees the event already set when its call returns)."""
    release = threading.Event()
    original = store.delete_many

    async def held(object_ids: Any) -> list[str]:
        await asyncio.to_thread(release.wait, 30)
        return await original(object_ids)

    monkeypatch.setattr(store, "delete_many", held)
    timer = threading.Timer(limit, release.set)
    timer.start()
    try:
        yield release
    finally:
        release.set()
        timer.cancel()
