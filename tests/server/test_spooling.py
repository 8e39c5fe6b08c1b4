"""Spools share one budget per process (:mod:`bucketry_server.spooling`): the S3 store's
writes, tar batches into imported buckets and S3 parts without a CRC32C take their bytes from
it before holding them (in memory, then on disk in the spool folder, not the system's
temporary folder), and past it the write is refused with 503 ``busy`` and stores nothing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucketry_server import spooling
from bucketry_server.accounts.users import create_user
from bucketry_server.backends.base import WriteSpec
from bucketry_server.backends.remote.batch import RemoteBatch
from bucketry_server.errors import TooLarge
from bucketry_server.problems import status_of
from bucketry_server.spooling import Spool, SpoolBudget, SpoolFull
from bucketry_server.storage import S3Store
from tests.conftest import SEAWEED_BUCKET
from tests.server.providers.test_s3 import SeaweedFactory
from tests.server.test_remote_batch import Recording
from tests.support.live_server import LiveServer, live_server
from tests.support.seaweed import SeaweedS3

MIB = 1024 * 1024


def _settled_budget(seconds: float = 10.0) -> int:
    """The process budget's bytes in use once other tests' spools (a background operation's)
    are closed, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while spooling.BUDGET.used and time.monotonic() < deadline:
        time.sleep(0.05)
    return spooling.BUDGET.used


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[SpoolBudget]:
    """The process's budget cut to 4 MiB for one test (and empty before and after it)."""
    assert _settled_budget() == 0
    monkeypatch.setattr(spooling.BUDGET, "max_bytes", 4 * MIB)
    yield spooling.BUDGET
    assert _settled_budget() == 0, "a spool kept its bytes taken"


@pytest.fixture
def no_system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder as an empty folder a spool must not use."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_spool_takes_its_bytes_first_and_gives_them_back(tmp_path: Path) -> None:
    budget = SpoolBudget(3 * MIB)
    other = Spool(budget=budget, folder=tmp_path)  # another upload's
    other.write(b"o" * MIB)
    with Spool(in_memory=MIB, budget=budget, folder=tmp_path) as spool:
        spool.write(b"a" * MIB)  # in memory: counted too
        assert budget.used == 2 * MIB and not spool.on_disk
        spool.write(b"b" * MIB)  # rolls over: the memory's bytes move to disk with it
        assert budget.used == 3 * MIB and spool.on_disk
        with pytest.raises(SpoolFull) as refused:
            spool.write(b"c")
        assert budget.used == 3 * MIB and spool.size == 2 * MIB  # nothing written
        assert spool.reader().read() == b"a" * MIB + b"b" * MIB
        assert list(tmp_path.iterdir()) == []  # unnamed: a crash leaves nothing
        other.close()
        spool.write(b"c")  # the other upload gave its bytes back
    assert budget.used == 0 and spool.closed
    error = refused.value
    assert status_of(error) == 503 and error.code == "busy"
    assert error.headers["Retry-After"].isdigit() and str(3 * MIB) in str(error.detail)


def test_a_body_larger_than_the_whole_budget_is_413_not_503(tmp_path: Path) -> None:
    """A body that alone is larger than the budget can never be held: 413 (send it in
    smaller pieces), not 503 ``busy`` with a ``Retry-After`` a client would obey for ever."""
    budget = SpoolBudget(3 * MIB)
    with Spool(in_memory=MIB, budget=budget, folder=tmp_path) as spool:
        spool.write(b"a" * 2 * MIB)
        with pytest.raises(TooLarge) as refused:
            spool.write(b"b" * (MIB + 1))
        assert budget.used == 2 * MIB and spool.size == 2 * MIB  # nothing written
    assert budget.used == 0
    error = refused.value
    assert status_of(error) == 413 and error.code == "payload_too_large"
    assert str(3 * MIB) in str(error.detail) and "SPOOL_MAX_BYTES" in str(error.detail)


def test_a_batch_past_the_budget_is_refused_and_gives_its_bytes_back(
    budget: SpoolBudget, tmp_path: Path
) -> None:
    batch = RemoteBatch(Recording(), str(tmp_path))
    spec = WriteSpec("x/y", {})

    async def fill() -> None:
        other = Spool()  # another upload holds 2 MiB of the 4
        other.write(b"o" * 2 * MIB)
        await batch.add("m0", os.urandom(MIB), "", spec)
        assert budget.used == 3 * MIB
        with pytest.raises(SpoolFull):
            await batch.add("big", os.urandom(2 * MIB), "", spec)
        other.close()
        with pytest.raises(TooLarge):  # 5 MiB in one batch: never, whatever others hold
            for i in range(1, 5):
                await batch.add(f"m{i}", os.urandom(MIB), "", spec)
        assert budget.used == 4 * MIB
        await batch.abandon()

    asyncio.run(fill())


def _open_files_in(folder: Path) -> int:
    """How many of this process's descriptors are files in ``folder`` (unnamed ones too)."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own, others')
            found += os.readlink(f"/proc/self/fd/{fd}").startswith(f"{folder}/")
    return found


@pytest.mark.emulator
def test_an_s3_part_without_a_crc_spools_under_the_budget(
    seaweed: SeaweedS3,
    budget: SpoolBudget,
    no_system_temp: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A part without a CRC32C is spooled (S3 needs its checksum first): over 16 MiB it went
    to the system's temporary folder, however many parts were in flight; now it goes to the
    spool folder under the budget, and past it the part is refused before S3 sees it."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(spooling.BUDGET, "folder", folder)
    client: Any = SeaweedFactory(seaweed).good()
    key = f"spool-{uuid.uuid4().hex}"
    upload = client.start_multipart(key, content_type="text/plain", metadata={})
    seen: list[tuple[int, int, int]] = []  # (taken, files in the spool folder, in /tmp)

    def pieces(total: int) -> Iterator[bytes]:
        for _ in range(total // MIB):
            yield b"p" * MIB
        seen.append((budget.used, _open_files_in(folder), _open_files_in(no_system_temp)))

    try:
        budget.max_bytes = 32 * MIB
        assert client.write_part(key, upload, 1, pieces(5 * MIB)).size == 5 * MIB
        assert seen.pop() == (5 * MIB, 0, 0)  # in memory, counted
        assert client.write_part(key, upload, 2, pieces(20 * MIB)).size == 20 * MIB
        assert seen.pop() == (20 * MIB, 1, 0)
        other = Spool()  # other uploads hold 20 of the 32 MiB
        other.write(b"o" * 20 * MIB)
        with pytest.raises(SpoolFull):
            client.write_part(key, upload, 3, pieces(20 * MIB))
        other.close()
        assert budget.used == 0 and _open_files_in(folder) == 0
        budget.max_bytes = 4 * MIB
        with pytest.raises(TooLarge):  # never fits, however many retries: 413
            client.write_part(key, upload, 3, pieces(20 * MIB))
        assert budget.used == 0 and _open_files_in(folder) == 0
    finally:
        client.abort_multipart(key, upload)


@pytest.fixture(scope="module")
def s3_server(
    seaweed: SeaweedS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    """A server whose managed blobs live in SeaweedFS (its store spools writes over 8 MiB)."""
    storage = seaweed.store_url(SEAWEED_BUCKET, f"spool-{uuid.uuid4().hex[:8]}/")
    with live_server(tmp_path_factory.mktemp("spool-s3"), storage=storage) as srv:
        _, token = create_user(srv.state.db, "spooler")
        yield srv, token


@pytest.mark.emulator
def test_a_put_past_the_spool_budget_is_503_busy_and_stores_nothing(
    s3_server: tuple[LiveServer, str], budget: SpoolBudget, no_system_temp: Path
) -> None:
    srv, token = s3_server
    assert isinstance(srv.state.store, S3Store)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(srv.api + "/buckets", json={"name": "spooled"}, headers=headers).is_success
    put = srv.api + "/buckets/spooled/blob"
    small = httpx.put(put, params={"key": "small"}, content=b"s" * 3 * MIB, headers=headers)
    assert small.status_code == 201, small.text  # within the budget (held in memory)
    body = os.urandom(9 * MIB)  # over the store's 8 MiB in memory: spooled to disk
    r = httpx.put(put, params={"key": "big"}, content=body, headers=headers, timeout=60)
    assert r.status_code == 413, r.text  # larger than the whole budget: no retry would do
    assert r.json()["code"] == "payload_too_large"
    assert httpx.get(put, params={"key": "big"}, headers=headers).status_code == 404
    budget.max_bytes = 12 * MIB
    other = Spool()  # other uploads hold 4 of the 12 MiB
    other.write(b"o" * 4 * MIB)
    try:
        r = httpx.put(put, params={"key": "big"}, content=body, headers=headers, timeout=60)
    finally:
        other.close()
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "busy" and r.headers["Retry-After"].isdigit()
    assert httpx.get(put, params={"key": "big"}, headers=headers).status_code == 404
    r = httpx.put(put, params={"key": "big"}, content=body, headers=headers, timeout=60)
    assert r.status_code == 201, r.text
    got = httpx.get(put, params={"key": "big"}, headers=headers, timeout=60)
    assert got.content == body
    assert os.listdir(no_system_temp) == []
