"""A serving process's tuning (:mod:`bucketry_server.process_tuning`), applied by the app
factory of every ``serve --workers`` process."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from bucketry_server import cli, process_tuning


@pytest.fixture
def restored() -> Iterator[None]:
    """Put back the interval and the collector's thresholds the test changes."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    yield
    sys.setswitchinterval(interval)
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_a_worker_process_shortens_the_thread_switch_interval(
    monkeypatch: pytest.MonkeyPatch, restored: None
) -> None:
    """The loop's thread gets the GIL back within 0.5 ms of asking (Python's 5 ms made every
    socket read and ``epoll`` of a busy loop wait up to 5 ms behind a worker thread)."""
    import bucketry_server.app as app_module

    monkeypatch.setattr(app_module, "create_app", lambda settings=None: "the app")
    monkeypatch.setattr(process_tuning, "start_heap_trimmer", lambda: True)
    monkeypatch.setattr(cli, "limit_malloc_arenas", lambda: False)
    monkeypatch.setattr(cli.sys, "platform", "not-linux")  # no parent-death signal here
    sys.setswitchinterval(0.005)
    assert cli.worker_app() == "the app"
    assert sys.getswitchinterval() == pytest.approx(process_tuning.SWITCH_INTERVAL)
    assert process_tuning.SWITCH_INTERVAL <= 0.0005
    assert gc.get_threshold() == process_tuning.GC_THRESHOLDS
