"""Deleting a managed bucket with many blobs (``DELETE /buckets/{b}?force=true``): batches of
blobs per short transaction, objects marked dead in it, the files deleted after the answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import event, select

from bucketry_server.buckets import deletion
from bucketry_server.models import Blob, ObjectLedger
from tests.server.imported_helpers import auth
from tests.server.test_batch import make_tar
from tests.support.live_server import LiveServer


def _bucket_with(srv: LiveServer, token: str, name: str, n: int) -> list[str]:
    """A new bucket holding ``n`` small blobs (one tar batch); their object ids."""
    h = auth(token)
    assert httpx.post(f"{srv.api}/buckets", json={"name": name}, headers=h).status_code == 201
    tar = make_tar([(f"k/{i:04d}", b"x" * (i % 7)) for i in range(n)])
    r = httpx.post(f"{srv.api}/buckets/{name}/blobs/batch", content=tar, headers=h, timeout=60)
    assert r.status_code == 200 and r.json()["stored"] == n, r.text
    with srv.state.db.session() as s:
        bucket_id = s.scalar(select(Blob.bucket_id).where(Blob.key == "k/0000").limit(1))
        return list(s.scalars(select(Blob.object_id).where(Blob.bucket_id == bucket_id)))


@contextmanager
def _blob_deletes(srv: LiveServer) -> Iterator[list[int]]:
    """The number of rows of each ``DELETE FROM blobs`` statement run meanwhile."""
    rows: list[int] = []

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM BLOBS"):
            rows.append(cursor.rowcount)

    engine = srv.state.db.engine
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield rows
    finally:
        event.remove(engine, "after_cursor_execute", after)


def test_blobs_go_in_batches_and_the_files_after_the_answer(
    server: LiveServer,
    users: dict[str, str],
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = users["alice"]
    name = f"many-{unique}"
    objects = _bucket_with(server, token, name, 450)
    store = server.state.store
    unlink = store.delete_many
    release = threading.Event()

    async def held_unlinks(ids: Sequence[str]) -> list[str]:
        await anyio.to_thread.run_sync(release.wait, 20)
        return await unlink(ids)

    monkeypatch.setattr(store, "delete_many", held_unlinks)
    monkeypatch.setattr(deletion, "DROP_BATCH", 100)
    try:
        with _blob_deletes(server) as deletes:
            r = httpx.delete(
                f"{server.api}/buckets/{name}",
                params={"force": "true"},
                headers=auth(token),
                timeout=5,  # the files cannot go before the release below: no waiting on them
            )
        assert r.status_code == 200, r.text
        assert (r.json()["blobs"], r.json()["bytes"]) == (450, sum(i % 7 for i in range(450)))
        # One short transaction per 100 blobs (the last batch finds none); then the bucket row.
        assert [n for n in deletes if n] == [100, 100, 100, 100, 50]
        with server.state.db.session() as s:
            marks = dict(
                s.execute(
                    select(ObjectLedger.object_id, ObjectLedger.state).where(
                        ObjectLedger.object_id.in_(objects)
                    )
                ).all()
            )
        assert marks == dict.fromkeys(objects, "dead")  # a crash now: the sweep deletes them
        assert all(anyio.run(store.exists, oid) for oid in objects[:5])
    finally:
        release.set()
    deadline = time.monotonic() + 20
    while True:
        with server.state.db.session() as s:
            left = s.scalars(
                select(ObjectLedger.object_id).where(ObjectLedger.object_id.in_(objects))
            ).all()
        if not left:
            break
        assert time.monotonic() < deadline, f"{len(left)} ledger marks left"
        time.sleep(0.05)
    assert not any(anyio.run(store.exists, oid) for oid in objects)
