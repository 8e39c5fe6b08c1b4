"""What a write costs the server besides its bytes: statements compiled once, a writer that gets
the GIL back at once while it holds SQLite's write gate, random ids read from the kernel in
batches, and an object store write that never touches the filesystem on the event loop."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats

from bucketry_server import ids
from bucketry_server.accounts.principals import Principal
from bucketry_server.backends.managed.catalogue import NewBlob, commit_blobs, write_object
from bucketry_server.backends.managed.objects import settle_discards
from bucketry_server.models import Bucket, User
from bucketry_server.storage.base import ChecksumMismatchError, Expected
from bucketry_server.storage.local import LocalStore
from bucketry_server.uploads.parts import put_part
from bucketry_server.writegate import HELD_SWITCH_INTERVAL, WriteGate
from tests.support.live_server import LiveServer


async def _body(data: bytes) -> AsyncIterator[bytes]:
    yield data


class _Statements:
    """The cache outcome of every write statement (and the blob and part reads) the engine runs
    until :meth:`remove`."""

    TABLES = ("blobs", "buckets", "upload_parts", "uploads", "object_ledger")

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.seen: list[tuple[str, Any]] = []
        event.listen(engine, "after_cursor_execute", self.on_statement)

    def on_statement(
        self, _conn: Any, _cur: Any, statement: str, _p: Any, context: Any, *_a: Any
    ) -> None:
        head = statement.lstrip()[:200].lower()
        if any(f" {table}" in head for table in self.TABLES):
            self.seen.append((" ".join(statement.split())[:90], context.cache_hit))

    def remove(self) -> None:
        event.remove(self.engine, "after_cursor_execute", self.on_statement)


def test_overwrites_and_replaced_parts_compile_no_statement_after_the_first(
    server: LiveServer, users: dict[str, str]
) -> None:
    """A blob overwrite (its old object marked ``dead`` in the ledger) and a part sent twice
    (the first one's object marked ``dead``) run statements built once: after one warm-up
    round, every statement of a second round is a compiled-cache hit. The ledger marks were
    built per call (a multi-row INSERT … ON CONFLICT) and compiled every time: half of a small
    PUT's commit, spent holding SQLite's write gate."""
    state = server.state
    auth = {"Authorization": f"Bearer {users['admin']}"}
    assert (
        httpx.post(f"{server.api}/buckets", json={"name": "compiled"}, headers=auth).status_code
        == 201
    )
    with state.db.session() as s:
        bucket_id = s.scalar(select(Bucket.id).where(Bucket.name == "compiled"))
        admin_id = s.scalar(select(User.id).where(User.name == "admin"))
    assert bucket_id is not None
    admin = Principal(kind="token", user_id=admin_id, is_admin=True)

    async def one_round(n: int) -> None:
        oid, result = await write_object(state, _body(b"v%d" % n), Expected(sha256=False))
        await commit_blobs(state, bucket_id, [NewBlob.written("k", oid, result, "text/plain", {})])
        up = httpx.post(
            f"{server.api}/buckets/compiled/uploads", json={"key": f"u{n}"}, headers=auth
        )
        assert up.status_code == 201, up.text
        for data in (b"first", b"second"):  # the second replaces the first
            await put_part(
                state, admin, "compiled", up.json()["id"], 1, _body(data), Expected(sha256=False)
            )
        await settle_discards(state)

    async def run() -> list[tuple[str, Any]]:
        await one_round(0)
        await one_round(1)  # every statement shape seen once (a first overwrite too)
        statements = _Statements(state.db.engine)
        try:
            await one_round(2)
        finally:
            statements.remove()
        return statements.seen

    seen = asyncio.run(run())
    writes = [s for s in seen if s[0].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert any("object_ledger" in text for text, _ in writes)  # the dead marks were made
    assert len(writes) >= 8
    compiled_again = [text for text, hit in seen if hit != CacheStats.CACHE_HIT]
    assert compiled_again == []


def test_a_writer_holding_the_gate_takes_the_gil_back_within_a_short_interval(
    tmp_path: Path,
) -> None:
    """While a thread of the process holds the SQLite write gate, the interpreter's switch
    interval is :data:`HELD_SWITCH_INTERVAL` (a statement that let the GIL go gets it back
    within it, not after the event loop's default 5 ms); the previous interval comes back
    when the gate opens, also when its holder fails."""
    before = sys.getswitchinterval()
    assert before > HELD_SWITCH_INTERVAL
    gate = WriteGate(tmp_path / "gate.lock")
    assert gate.acquire()
    try:
        assert sys.getswitchinterval() == pytest.approx(HELD_SWITCH_INTERVAL)
    finally:
        gate.release()
    assert sys.getswitchinterval() == pytest.approx(before)
    seen: list[float] = []

    def other_thread() -> None:
        assert gate.acquire()
        seen.append(sys.getswitchinterval())
        gate.release()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(5)
    assert seen == [pytest.approx(HELD_SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == pytest.approx(before)


def test_two_gates_held_at_once_restore_the_interval_once_both_open(tmp_path: Path) -> None:
    """Two databases of one process have two gates: the interval from before the first one
    was taken comes back only when the last one opens, whatever the order."""
    before = sys.getswitchinterval()
    first, second = WriteGate(tmp_path / "a.lock"), WriteGate(tmp_path / "b.lock")
    assert first.acquire() and second.acquire()
    first.release()
    assert sys.getswitchinterval() == pytest.approx(HELD_SWITCH_INTERVAL)
    second.release()
    assert sys.getswitchinterval() == pytest.approx(before)


def test_ids_read_the_kernel_in_batches_and_never_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """``new_id`` takes its random bytes from ``os.urandom`` 4 KiB at a time (one call per 256
    ids, not one per id: each call gave the event loop's thread up); no id repeats."""
    calls: list[int] = []
    real = os.urandom

    def counting(n: int) -> bytes:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(ids.os, "urandom", counting)
    ids._reset()
    made = [ids.new_id("obj") for _ in range(1000)]
    assert len(set(made)) == 1000
    assert all(len(i) == 36 and i.startswith("obj_") for i in made)
    assert len(calls) <= 4  # 1000 ids of 16 bytes from 4 KiB batches


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_makes_ids_of_its_own() -> None:
    """A child forked after the parent made an id does not hand out the parent's next bytes."""
    ids.new_id("obj")  # the pool holds bytes the child must not reuse
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, ids.new_id("obj").encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != ids.new_id("obj")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_child_forked_while_another_thread_takes_an_id_can_make_ids() -> None:
    """A fork while another thread of the parent holds the id pool's lock (every request
    makes ids) leaves the child a lock of its own: the inherited one stayed held for ever,
    so the child's first id hung."""
    import signal

    ids._lock.acquire()  # as a thread of the parent in the middle of ``token_bytes``
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            signal.setitimer(signal.ITIMER_REAL, 2.0)  # SIGALRM ends a hung child
            ids.new_id("obj")
            os._exit(0)
    finally:
        ids._lock.release()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_token_bytes_refuses_more_than_one_batch() -> None:
    """``token_bytes`` hands out at most one batch; more is refused (it returned 4096 bytes
    for any larger ``n``), and so is a negative ``n`` (it moved the pool back: the next
    bytes handed out had been handed out already)."""
    assert len(ids.token_bytes(4096)) == 4096
    for n in (4097, -1):
        with pytest.raises(ValueError, match="4096"):
            ids.token_bytes(n)


@pytest.fixture
def opens_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """The names of the threads that opened files under ``tmp_path`` with ``os.open``."""
    threads: list[str] = []
    real = os.open

    def recording(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).startswith(str(tmp_path)):
            threads.append(threading.current_thread().name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording)
    yield threads


def test_a_store_write_opens_and_removes_its_temp_file_off_the_event_loop(
    tmp_path: Path, opens_on: list[str]
) -> None:
    """Creating the temp file waits on the directory (and the journal other writes' fsyncs
    hold): a small and a multi-block write create it in a worker thread, and a refused write
    removes it there too; the event loop's thread never does."""
    store = LocalStore(tmp_path / "store")
    removed_on: list[str] = []

    async def blocks(n: int) -> AsyncIterator[bytes]:
        for _ in range(n):
            yield b"x" * (1 << 20)

    async def run() -> str:
        loop_thread = threading.current_thread().name
        await store.write(ids.new_id("obj"), _body(b"small"))
        await store.write(ids.new_id("obj"), blocks(3))
        with pytest.raises(ChecksumMismatchError):
            await store.write(ids.new_id("obj"), _body(b"bad"), Expected(sha256_hex="0" * 64))
        return loop_thread

    import bucketry_server.storage.local as local

    real_remove = local.remove_path

    def recording_remove(path: Path, *args: Any) -> Any:
        removed_on.append(threading.current_thread().name)
        return real_remove(path, *args)

    local.remove_path = recording_remove  # type: ignore[assignment]
    try:
        loop_thread = asyncio.run(run())
    finally:
        local.remove_path = real_remove  # type: ignore[assignment]
    assert len(opens_on) >= 3
    assert loop_thread not in opens_on
    assert removed_on and loop_thread not in removed_on
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
