"""A serving process's tuning (:mod:`bucketry_server.process_tuning`), applied by the app
factory of every ``serve --workers`` process."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bucketry_server import cli, process_tuning


@pytest.fixture
def restored() -> Iterator[None]:
    """Put back the collector's thresholds and unfreeze what the test froze."""
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_a_worker_process_tunes_its_collector_and_heap(
    monkeypatch: pytest.MonkeyPatch, restored: None
) -> None:
    """The app factory of a ``serve --workers`` process caps malloc's arenas before the app,
    then freezes the built app out of the collector and starts the heap trimmer."""
    import bucketry_server.app as app_module

    calls: list[str] = []
    monkeypatch.setattr(app_module, "create_app", lambda settings=None: calls.append("app"))
    monkeypatch.setattr(process_tuning, "start_heap_trimmer", lambda: calls.append("trim"))
    monkeypatch.setattr(cli, "limit_malloc_arenas", lambda: calls.append("arenas"))
    monkeypatch.setattr(cli.sys, "platform", "not-linux")  # no parent-death signal here
    cli.worker_app()
    assert calls == ["arenas", "app", "trim"]
    assert gc.get_threshold() == process_tuning.GC_THRESHOLDS
    assert gc.get_freeze_count() > 0
