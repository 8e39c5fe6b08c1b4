"""SDK test fixtures: a client of the session server (as alice) and a fresh bucket per test
(the imported-bucket server ``imports_server`` is in ``tests/conftest.py``, shared with the
tour's test)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from bucketry import Bucket, Client
from tests.sdk import transfer_support
from tests.support.live_server import LiveServer


@pytest.fixture
def client(server: LiveServer, users: dict[str, str]) -> Iterator[Client]:
    with Client(url=server.url, token=users["alice"], progress=False) as c:
        yield c


@pytest.fixture
def bucket(client: Client, unique: str) -> Iterator[Bucket]:
    b = client.buckets.create(f"sdk-{unique}")
    yield b
    b.delete(force=True)


@pytest.fixture
def fast_link(monkeypatch: pytest.MonkeyPatch) -> None:
    """A link that always probes fast, 1 MiB slots, merged parts of at most 2 MiB
    (:func:`tests.sdk.transfer_support.fast_link`)."""
    transfer_support.fast_link(monkeypatch)


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """SIGINT raises ``KeyboardInterrupt`` in the main thread during the test, as Ctrl-C in a
    terminal does, whatever disposition this process inherited: a job a non-interactive shell
    starts in the background ignores SIGINT, and so would a Ctrl-C test's ``os.kill`` (one
    that must raise then fails, one that must not raise passes without testing anything)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
