"""Group commit (:mod:`bucketry_server.groupcommit`): on SQLite the blob commits of one
process's concurrent requests share one transaction, and each still gets its own outcome."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bucketry_server.accounts.principals import Principal
from bucketry_server.backends.managed.catalogue import NewBlob, commit_blobs, write_object
from bucketry_server.backends.managed.objects import discard_later, settle_discards
from bucketry_server.db import Database
from bucketry_server.errors import NotFound, PreconditionFailed
from bucketry_server.groupcommit import run_grouped
from bucketry_server.ids import new_id
from bucketry_server.models import Blob, Bucket, ObjectLedger, Upload, UploadPart, User
from bucketry_server.storage.base import Expected
from bucketry_server.uploads.completion import _claim_for_completion
from bucketry_server.uploads.parts import put_part
from tests.support.live_server import LiveServer
from tests.support.write_transactions import WriteTransactions


class _Commits:
    """Counts the commits of an engine (``on_commit`` is the listener)."""

    def __init__(self) -> None:
        self.commits = 0

    def on_commit(self, _conn: Any) -> None:
        self.commits += 1


def _count_commits(db: Database) -> _Commits:
    counter = _Commits()
    event.listen(db.engine, "commit", counter.on_commit)
    return counter


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'group.db'}")
    with database.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield database
    database.dispose()


def _insert(row_id: int) -> Any:
    def job(s: Session) -> int:
        s.execute(text("INSERT INTO t (id, v) VALUES (:i, 'x')"), {"i": row_id})
        return row_id

    return job


def _rows(db: Database) -> list[int]:
    with db.session() as s:
        return list(s.execute(text("SELECT id FROM t ORDER BY id")).scalars())


def test_jobs_queued_together_commit_once(db: Database) -> None:
    commits = _count_commits(db)

    async def run() -> list[int]:
        return await asyncio.gather(*(run_grouped(db, _insert(i)) for i in range(10)))

    assert asyncio.run(run()) == list(range(10))
    assert commits.commits == 1
    assert _rows(db) == list(range(10))


def test_a_refused_job_leaves_the_others_committed(db: Database) -> None:
    """A job that undoes its writes and raises a domain error: the others commit with it."""
    commits = _count_commits(db)

    def refused(s: Session) -> None:
        s.execute(text("INSERT INTO t (id, v) VALUES (99, 'x')"))
        s.execute(text("DELETE FROM t WHERE id = 99"))
        raise NotFound("not_found", "bucket not found")

    async def run() -> list[Any]:
        jobs = [run_grouped(db, _insert(1)), run_grouped(db, refused), run_grouped(db, _insert(2))]
        return await asyncio.gather(*jobs, return_exceptions=True)

    first, error, second = asyncio.run(run())
    assert (first, second) == (1, 2) and isinstance(error, NotFound)
    assert commits.commits == 1 and _rows(db) == [1, 2]


def test_a_failing_job_fails_alone(db: Database) -> None:
    """A database error aborts the group; every job then runs alone and gets its own outcome."""
    with db.session() as s:
        s.execute(text("INSERT INTO t (id, v) VALUES (5, 'x')"))

    async def run() -> list[Any]:
        jobs = [run_grouped(db, _insert(i)) for i in (1, 5, 2)]  # 5 exists
        return await asyncio.gather(*jobs, return_exceptions=True)

    first, duplicate, second = asyncio.run(run())
    assert (first, second) == (1, 2) and isinstance(duplicate, IntegrityError)
    assert _rows(db) == [1, 2, 5]


async def _body(data: bytes) -> AsyncIterator[bytes]:
    yield data


def test_concurrent_blob_commits_share_a_transaction(
    server: LiveServer, users: dict[str, str]
) -> None:
    """Five commits of one process at once (two of one key, one refused by its precondition):
    one transaction for the four that land, each with its own outcome, exact usage, and the
    replaced version's object deleted and forgotten."""
    state = server.state
    if state.db.engine.dialect.name != "sqlite":
        pytest.skip("group commit is SQLite's (PostgreSQL commits in parallel)")
    auth = {"Authorization": f"Bearer {users['admin']}"}
    made = httpx.post(f"{server.api}/buckets", json={"name": "grouped"}, headers=auth)
    assert made.status_code == 201
    with state.db.session() as s:
        bucket_id = s.scalar(select(Bucket.id).where(Bucket.name == "grouped"))
    assert bucket_id is not None
    put = httpx.put(
        f"{server.api}/buckets/grouped/blob", params={"key": "old"}, content=b"o", headers=auth
    )
    assert put.status_code == 201

    async def written(key: str, data: bytes) -> NewBlob:
        oid, result = await write_object(state, _body(data), Expected(sha256=False))
        return NewBlob.written(key, oid, result, "application/octet-stream", {})

    async def run() -> list[Any]:
        items = [
            await written(k, d)
            for k, d in [("a", b"1"), ("b", b"22"), ("same", b"333"), ("same", b"4444")]
        ]
        refusal = await written("old", b"refused")
        counter = _count_commits(state.db)
        try:
            done = await asyncio.gather(
                *(commit_blobs(state, bucket_id, [item]) for item in items),
                commit_blobs(state, bucket_id, [refusal], if_none_match="*"),
                return_exceptions=True,
            )
            await settle_discards(state)  # the replaced versions go after the answers
        finally:
            event.remove(state.db.engine, "commit", counter.on_commit)
        return [counter.commits, items[2], *done]

    commits, same1, *landed, refused = asyncio.run(run())
    assert isinstance(refused, PreconditionFailed)
    assert all(isinstance(x, list) for x in landed)
    # One transaction for the four blobs, then forgetting the replaced version and the refused
    # write's object (without grouping: four commits, then those two).
    assert commits <= 3
    with state.db.session() as s:
        rows = {r.key: r for r in s.scalars(select(Blob).where(Blob.bucket_id == bucket_id))}
        bucket = s.get(Bucket, bucket_id)
        assert bucket is not None
        assert sorted(rows) == ["a", "b", "old", "same"]
        assert rows["same"].size == 4 and rows["old"].size == 1
        assert (bucket.object_count, bucket.bytes_used) == (4, 1 + 1 + 2 + 4)
        replaced = same1.object_id
        assert s.get(ObjectLedger, replaced) is None
    assert not asyncio.run(state.store.exists(replaced))


def test_deferred_discards_survive_a_round_cancelled_before_it_ran(server: LiveServer) -> None:
    """A deletion round cancelled before it started (a loop shutting down) neither makes
    settle_discards raise or wait forever nor stops the next round, which also takes what the
    cancelled one had queued."""
    state = server.state

    async def run() -> tuple[bool, bool]:
        first, _ = await write_object(state, _body(b"1"), Expected(sha256=False))
        second, _ = await write_object(state, _body(b"2"), Expected(sha256=False))
        discard_later(state, [first])
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()  # the round, before it ever ran
        await asyncio.wait_for(settle_discards(state), 5)
        discard_later(state, [second])
        await asyncio.wait_for(settle_discards(state), 5)
        return await state.store.exists(first), await state.store.exists(second)

    assert asyncio.run(run()) == (False, False)


def test_concurrent_parts_of_an_upload_share_a_transaction(
    server: LiveServer, users: dict[str, str]
) -> None:
    """Six parts of one upload stored at once while another writer holds the database: their
    commits queue as one group behind it (two write transactions: the first part's, then the
    other five together) instead of six one after another; each part is recorded as sent."""
    state = server.state
    if state.db.engine.dialect.name != "sqlite":
        pytest.skip("group commit is SQLite's (PostgreSQL commits in parallel)")
    auth = {"Authorization": f"Bearer {users['admin']}"}
    made = httpx.post(f"{server.api}/buckets", json={"name": "grouped-parts"}, headers=auth)
    assert made.status_code == 201
    up = httpx.post(
        f"{server.api}/buckets/grouped-parts/uploads", json={"key": "big"}, headers=auth
    )
    assert up.status_code == 201, up.text
    upload_id = up.json()["id"]
    with state.db.session() as s:
        admin_id = s.scalar(select(User.id).where(User.name == "admin"))
    admin = Principal(kind="token", user_id=admin_id, is_admin=True)
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:  # holds SQLite's write lock (and the write gate) a while
        with state.db.session() as s:
            s.execute(update(Bucket).where(Bucket.name == "nothing").values(version=1))
            held.set()
            release.wait(10)

    async def run() -> tuple[int, list[UploadPart]]:
        writes = WriteTransactions(state.db)
        holder = threading.Thread(target=other_writer)
        holder.start()
        held.wait(10)
        try:
            sends = [
                put_part(
                    state,
                    admin,
                    "grouped-parts",
                    upload_id,
                    n,
                    _body(bytes([n]) * n),
                    Expected(sha256=False),
                )
                for n in range(1, 7)
            ]
            gathered = asyncio.gather(*sends)
            await asyncio.sleep(1.0)  # every part's bytes are stored; their commits wait
            release.set()
            parts = await gathered
        finally:
            release.set()
            holder.join()
            writes.remove()
        return writes.count, parts

    count, parts = asyncio.run(run())
    assert [(p.part_number, p.size) for p in parts] == [(n, n) for n in range(1, 7)]
    assert count <= 3, count  # the holder's, then the parts' (six on the old code)
    listed = httpx.get(f"{server.api}/buckets/grouped-parts/uploads/{upload_id}", headers=auth)
    assert [p["size"] for p in listed.json()["parts"]] == list(range(1, 7))
    with state.db.session() as s:  # committed parts keep no ledger mark
        assert not s.scalars(
            select(ObjectLedger).where(ObjectLedger.object_id.in_([p.object_id for p in parts]))
        ).all()


def test_commits_with_a_hook_share_a_transaction_and_a_refused_hook_undoes_its_count(
    server: LiveServer, users: dict[str, str]
) -> None:
    """Commits carrying an in-transaction hook (a multipart completion deleting its upload)
    join the group as well; a hook that refuses leaves its blob out and the bucket's usage
    exact for the others."""
    state = server.state
    if state.db.engine.dialect.name != "sqlite":
        pytest.skip("group commit is SQLite's (PostgreSQL commits in parallel)")
    auth = {"Authorization": f"Bearer {users['admin']}"}
    made = httpx.post(f"{server.api}/buckets", json={"name": "grouped-hooks"}, headers=auth)
    assert made.status_code == 201
    with state.db.session() as s:
        bucket_id = s.scalar(select(Bucket.id).where(Bucket.name == "grouped-hooks"))
    assert bucket_id is not None
    hooked: list[str] = []

    def hook(key: str) -> Any:
        def run(s: Session) -> None:
            if key == "refused":
                raise NotFound("not_found", "upload not found")
            hooked.append(key)

        return run

    async def run() -> list[Any]:
        items = []
        for key, data in [("a", b"1"), ("b", b"22"), ("refused", b"333")]:
            oid, result = await write_object(state, _body(data), Expected(sha256=False))
            items.append(NewBlob.written(key, oid, result, "application/octet-stream", {}))
        writes = WriteTransactions(state.db)
        try:
            done = await asyncio.gather(
                *(commit_blobs(state, bucket_id, [i], also=hook(i.key)) for i in items),
                return_exceptions=True,
            )
            await settle_discards(state)
        finally:
            writes.remove()
        return [writes.count, *done]

    count, a, b, refused = asyncio.run(run())
    assert isinstance(refused, NotFound) and isinstance(a, list) and isinstance(b, list)
    # One transaction for the three, then forgetting the refused blob's object (the old code:
    # a hook made its commit go alone, so a and b took one each).
    assert count <= 2, count
    assert sorted(hooked) == ["a", "b"]
    with state.db.session() as s:
        keys = s.scalars(select(Blob.key).where(Blob.bucket_id == bucket_id)).all()
        bucket = s.get(Bucket, bucket_id)
        assert bucket is not None
        assert sorted(keys) == ["a", "b"]
        assert (bucket.object_count, bucket.bytes_used) == (2, 3)


def test_completion_claims_share_a_transaction(server: LiveServer, users: dict[str, str]) -> None:
    """The claims of concurrent completions (three uploads, and a second claim of one of them)
    run in one transaction: exactly one claim per upload wins, the late one finds no upload."""
    state = server.state
    if state.db.engine.dialect.name != "sqlite":
        pytest.skip("group commit is SQLite's (PostgreSQL commits in parallel)")
    auth = {"Authorization": f"Bearer {users['admin']}"}
    made = httpx.post(f"{server.api}/buckets", json={"name": "grouped-claims"}, headers=auth)
    assert made.status_code == 201
    api = f"{server.api}/buckets/grouped-claims/uploads"
    listed = {}
    for key in ("x", "y", "z"):
        upload_id = httpx.post(api, json={"key": key}, headers=auth).json()["id"]
        part = httpx.put(f"{api}/{upload_id}/parts/1", content=b"data", headers=auth)
        listed[upload_id] = [(1, part.json()["etag"])]
    bucket_id = made.json()["id"]
    ids = list(listed)

    async def run() -> list[Any]:
        writes = WriteTransactions(state.db)
        try:
            claims = [
                _claim_for_completion(state, bucket_id, u, listed[u], new_id("obj"))
                for u in [*ids, ids[0]]
            ]
            done = await asyncio.gather(*claims, return_exceptions=True)
            return [writes.count, *done]
        finally:
            writes.remove()

    count, *claims = asyncio.run(run())
    assert count == 1, count  # one per claim on the old code
    assert [c.upload.id for c in claims[:3]] == ids and isinstance(claims[3], NotFound)
    with state.db.session() as s:
        marks = s.scalars(select(Upload.completing).where(Upload.id.in_(ids))).all()
        assert sorted(marks) == sorted(c.new_oid for c in claims[:3])
        s.execute(update(Upload).where(Upload.id.in_(ids)).values(completing=None))
        s.execute(delete(ObjectLedger).where(ObjectLedger.object_id.in_(marks)))
