"""A forced delete of a managed bucket (``DELETE /buckets/{b}?force=true``): the answer comes
after one short transaction whatever the number of blobs, the bucket is unreachable and its name
free at once, and its blobs are purged in the background in batches (objects marked dead in
each, files after), resuming after a crash."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import create_engine, event, func, select, text

from bucketry_api import ApiClient
from bucketry_api.errors import ClientError
from bucketry_server import maintenance
from bucketry_server.backends.managed.catalogue import NewBlob, commit_blobs
from bucketry_server.buckets import deletion
from bucketry_server.errors import NotFound
from bucketry_server.faults import ENV
from bucketry_server.ids import new_id
from bucketry_server.models import Blob, Bucket, ObjectLedger, Upload, UploadPart
from bucketry_server.timeutil import utcnow
from bucketry_server.uploads.service import lock_upload
from tests.server.imported_helpers import auth
from tests.server.test_batch import make_tar
from tests.server.test_durability import _objects, _serve
from tests.server.test_uploads import new_upload
from tests.support.live_server import LiveServer, free_port


def _bucket_with(srv: LiveServer, token: str, name: str, n: int) -> tuple[str, list[str]]:
    """A new bucket holding ``n`` small blobs (one tar batch): its id and object ids."""
    h = auth(token)
    r = httpx.post(f"{srv.api}/buckets", json={"name": name}, headers=h)
    assert r.status_code == 201, r.text
    bucket_id = r.json()["id"]
    tar = make_tar([(f"k/{i:04d}", b"x" * (i % 7)) for i in range(n)])
    r = httpx.post(f"{srv.api}/buckets/{name}/blobs/batch", content=tar, headers=h, timeout=60)
    assert r.status_code == 200 and r.json()["stored"] == n, r.text
    with srv.state.db.session() as s:
        return bucket_id, list(s.scalars(select(Blob.object_id).where(Blob.bucket_id == bucket_id)))


def _rows_of(srv: LiveServer, bucket_id: str) -> int:
    with srv.state.db.session() as s:
        return int(s.scalar(select(func.count(Blob.id)).where(Blob.bucket_id == bucket_id)) or 0)


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


@pytest.fixture
def held_purge(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The background purge waits (before any transaction) until the event is set; batches
    of 100 blobs. Set at the end of the test in any case."""
    release = threading.Event()
    real = getattr(deletion, "_purge_batch", None)

    def held(*args: Any) -> Any:
        release.wait(30)
        assert real is not None
        return real(*args)

    monkeypatch.setattr(deletion, "_purge_batch", held, raising=False)
    monkeypatch.setattr(deletion, "DROP_BATCH", 100)
    try:
        yield release
    finally:
        release.set()


async def _existing(srv: LiveServer, objects: list[str]) -> list[str]:
    """The objects whose files are still in the store."""
    return [oid for oid in objects if await srv.state.store.exists(oid)]


def _purged(srv: LiveServer, bucket_id: str, objects: list[str], timeout: float = 30) -> None:
    """Wait until the bucket row, its blob rows, the objects' ledger marks and files are gone."""
    deadline = time.monotonic() + timeout
    while True:
        with srv.state.db.session() as s:
            row = s.get(Bucket, bucket_id)
            marks = s.scalars(
                select(ObjectLedger.object_id).where(ObjectLedger.object_id.in_(objects))
            ).all()
        files = anyio.run(_existing, srv, objects)
        if row is None and not marks and not files:
            break
        assert time.monotonic() < deadline, (row, len(marks), len(files))
        time.sleep(0.05)
    assert _rows_of(srv, bucket_id) == 0


def test_forced_delete_answers_before_the_purge_and_frees_the_name(
    server: LiveServer, users: dict[str, str], unique: str, held_purge: threading.Event
) -> None:
    token = users["alice"]
    name = f"many-{unique}"
    bucket_id, objects = _bucket_with(server, token, name, 450)
    with _blob_deletes(server) as deletes:
        r = httpx.delete(
            f"{server.api}/buckets/{name}",
            params={"force": "true"},
            headers=auth(token),
            timeout=5,
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            "deleted": True,
            "dry_run": False,
            "blobs": 450,
            "bytes": sum(i % 7 for i in range(450)),
        }
        assert _rows_of(server, bucket_id) == 450  # answered before any blob went
        assert deletes == []
        # The name is free at once; the new bucket sees none of the old blobs.
        again = httpx.post(f"{server.api}/buckets", json={"name": name}, headers=auth(token))
        assert again.status_code == 201, again.text
        assert again.json()["id"] != bucket_id
        listed = httpx.get(f"{server.api}/buckets/{name}/blobs", headers=auth(token))
        assert listed.status_code == 200 and listed.json()["results"] == [], listed.text
        old = httpx.get(
            f"{server.api}/buckets/{name}/blob", params={"key": "k/0000"}, headers=auth(token)
        )
        assert old.status_code == 404
        held_purge.set()
        _purged(server, bucket_id, objects)
    # One short transaction per 100 blobs; the last one (none left) drops the bucket row.
    assert [n for n in deletes if n] == [100, 100, 100, 100, 50]
    new = httpx.get(f"{server.api}/buckets/{name}", headers=auth(token))
    assert new.status_code == 200 and new.json()["id"] == again.json()["id"]


def _usage(srv: LiveServer, token: str) -> dict[str, Any]:
    r = httpx.get(f"{srv.api}/usage", headers=auth(token))
    assert r.status_code == 200, r.text
    usage: dict[str, Any] = r.json()
    return usage


def test_a_deleted_bucket_is_unreachable_at_once(
    server: LiveServer, users: dict[str, str], unique: str, held_purge: threading.Event
) -> None:
    token = users["alice"]
    name = f"gone-{unique}"
    bucket_id, objects = _bucket_with(server, token, name, 150)
    h = auth(token)
    assert httpx.put(f"{server.api}/buckets/{name}/public", json={"public": True}, headers=h)
    signed = httpx.post(
        f"{server.api}/buckets/{name}/signed-urls", json={"items": [{"key": "k/0001"}]}, headers=h
    )
    assert signed.status_code == 200, signed.text
    signed_url = server.url + signed.json()["results"][0]["url"]
    assert httpx.get(signed_url).status_code == 200
    tmp = httpx.post(
        f"{server.api}/buckets/{bucket_id}/tmp-credentials",
        json={"mode": "READ_WRITE"},
        headers=h,
    )
    assert tmp.status_code == 201, tmp.text
    scoped = auth(tmp.json()["token"])
    before = _usage(server, token)
    assert bucket_id in [b["bucket_id"] for b in before["buckets"]]

    r = httpx.delete(f"{server.api}/buckets/{bucket_id}", params={"force": "true"}, headers=h)
    assert r.status_code == 200, r.text
    assert _rows_of(server, bucket_id) == 150  # the purge has not started
    blob = {"key": "k/0001"}
    for ref in (name, bucket_id):
        for headers in (h, scoped, {}):  # owner, the temporary credentials, anonymous
            url = f"{server.api}/buckets/{ref}"
            assert httpx.get(url, headers=headers).status_code == 404
            assert httpx.get(f"{url}/blob", params=blob, headers=headers).status_code == 404
            assert httpx.get(f"{url}/blobs", headers=headers).status_code == 404
            put = httpx.put(f"{url}/blob", params={"key": "new"}, content=b"x", headers=headers)
            assert put.status_code in (401, 404), put.text
    assert httpx.get(signed_url).status_code == 404
    listed = httpx.get(f"{server.api}/buckets", params={"page_size": 1000}, headers=h).json()
    assert bucket_id not in [b["id"] for b in listed["results"]]
    after = _usage(server, token)
    assert bucket_id not in [b["bucket_id"] for b in after["buckets"]]
    freed = sum(i % 7 for i in range(150))
    assert (after["bytes"], after["objects"]) == (before["bytes"] - freed, before["objects"] - 150)
    again = httpx.delete(f"{server.api}/buckets/{bucket_id}", params={"force": "true"}, headers=h)
    assert again.status_code == 404
    held_purge.set()
    _purged(server, bucket_id, objects)


def test_a_write_that_resolved_the_bucket_before_the_delete_is_refused(
    server: LiveServer, users: dict[str, str], unique: str, held_purge: threading.Event
) -> None:
    """A commit reaching a hidden bucket (e.g. through another worker's 2 s write cache)
    answers 404 and stores nothing: the commit's bucket lock matches live buckets only."""
    token = users["alice"]
    name = f"late-{unique}"
    bucket_id, objects = _bucket_with(server, token, name, 3)
    r = httpx.delete(f"{server.api}/buckets/{name}", params={"force": "true"}, headers=auth(token))
    assert r.status_code == 200, r.text
    item = NewBlob(key="late", object_id="obj_never_written", size=1, sha256=None)
    with pytest.raises(NotFound):
        anyio.run(commit_blobs, server.state, bucket_id, [item])
    with server.state.db.session() as s:
        assert (
            s.scalar(select(Blob.id).where(Blob.bucket_id == bucket_id, Blob.key == "late")) is None
        )
    held_purge.set()
    _purged(server, bucket_id, objects)


def test_two_purgers_of_one_bucket_share_the_work(
    server: LiveServer, users: dict[str, str], unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes purging the same bucket (PostgreSQL: both may): each batch claims the
    bucket row (``SKIP LOCKED``), so nothing is purged twice and the bucket ends gone."""
    token = users["alice"]
    name = f"twice-{unique}"
    bucket_id, objects = _bucket_with(server, token, name, 300)

    async def idle(*_: Any, **__: Any) -> int:
        return 0

    monkeypatch.setattr(maintenance, "purge_deleted", idle)  # only the two below purge
    r = httpx.delete(f"{server.api}/buckets/{name}", params={"force": "true"}, headers=auth(token))
    assert r.status_code == 200, r.text
    results: list[tuple[int, bool]] = []

    def purge() -> None:
        results.append(anyio.run(lambda: deletion.purge_bucket(server.state, bucket_id, batch=20)))

    threads = [threading.Thread(target=purge) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(n for n, _ in results) == 300 and any(gone for _, gone in results), results
    _purged(server, bucket_id, objects)


def _counts(data_dir: Path, bucket_id: str) -> tuple[int, int, int]:
    """(bucket rows, its blob rows, ledger rows) in the server's SQLite database."""
    engine = create_engine(f"sqlite:///{data_dir / 'bucketry.db'}")
    try:
        with engine.connect() as c:
            one = {"b": bucket_id}
            return (
                int(
                    c.execute(text("SELECT count(*) FROM buckets WHERE id = :b"), one).scalar_one()
                ),
                int(
                    c.execute(
                        text("SELECT count(*) FROM blobs WHERE bucket_id = :b"), one
                    ).scalar_one()
                ),
                int(c.execute(text("SELECT count(*) FROM object_ledger")).scalar_one()),
            )
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_purge_stopped_by_a_crash_resumes_at_restart(tmp_path: Path) -> None:
    """SIGKILL right after the first purge batch committed (before its files went): at the
    next start the sweep deletes the marked files and the purge finishes the rest, leaving no
    row, no ledger mark and no file."""
    data = tmp_path / "data"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    n = deletion.DROP_BATCH + 500
    # deletion.CRASH_AFTER_BATCH, spelled out: the crash point is part of the test's contract
    proc = _serve(data, port, env={ENV: "bucket_purge_batch"})
    try:
        h = auth((data / "admin.token").read_text().strip())
        r = httpx.post(api + "/buckets", json={"name": "crash"}, headers=h)
        assert r.status_code == 201, r.text
        bucket_id = r.json()["id"]
        tar = make_tar([(f"k/{i:05d}", b"y" * (1 + i % 5)) for i in range(n)])
        r = httpx.post(api + "/buckets/crash/blobs/batch", content=tar, headers=h, timeout=120)
        assert r.status_code == 200 and r.json()["stored"] == n, r.text
        assert len(_objects(data)) == n
        with contextlib.suppress(httpx.HTTPError):  # the crash may beat the answer out
            r = httpx.delete(api + "/buckets/crash", params={"force": "true"}, headers=h)
            assert r.status_code == 200 and r.json()["blobs"] == n, r.text
        proc.wait(30)  # the crash point killed it
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    # One batch gone (its objects marked dead, their files still there), the rest not.
    assert _counts(data, bucket_id) == (1, n - deletion.DROP_BATCH, deletion.DROP_BATCH)
    assert len(_objects(data)) == n
    proc = _serve(data, port)
    try:
        deadline = time.monotonic() + 60
        while _counts(data, bucket_id) != (0, 0, 0) or _objects(data):
            assert time.monotonic() < deadline, (_counts(data, bucket_id), len(_objects(data)))
            time.sleep(0.1)
        again = httpx.post(api + "/buckets", json={"name": "crash"}, headers=h)
        assert again.status_code == 201, again.text
        assert httpx.get(api + "/buckets/crash/blobs", headers=h).json()["results"] == []
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def test_the_purge_also_drops_uploads_in_progress(
    server: LiveServer,
    users: dict[str, str],
    alice: ApiClient,
    unique: str,
    held_purge: threading.Event,
) -> None:
    """A multipart upload begun before the delete is unreachable at once; the purge's last
    transaction deletes it with the bucket row, and its parts' files go."""
    name = f"uploading-{unique}"
    bucket_id, objects = _bucket_with(server, users["alice"], name, 120)
    upload_id = new_upload(alice, name)
    alice.uploads.put_part(name, upload_id, 1, body=b"part bytes")
    with server.state.db.session() as s:
        part_objects = list(
            s.scalars(select(UploadPart.object_id).where(UploadPart.upload_id == upload_id))
        )
    assert len(part_objects) == 1 and anyio.run(server.state.store.exists, part_objects[0])
    r = httpx.delete(
        f"{server.api}/buckets/{name}", params={"force": "true"}, headers=auth(users["alice"])
    )
    assert r.status_code == 200, r.text
    with pytest.raises(ClientError) as exc:
        alice.uploads.get(bucket_id, upload_id)
    assert exc.value.status_code == 404
    held_purge.set()
    _purged(server, bucket_id, objects + part_objects)
    with server.state.db.session() as s:
        assert s.get(Upload, upload_id) is None


def test_reads_just_before_the_delete_do_not_keep_the_bucket_readable(
    server: LiveServer, users: dict[str, str], unique: str, held_purge: threading.Event
) -> None:
    """A GET, a listing or an anonymous read of a public bucket just before its forced delete
    leaves a read authorization in this process's 2 s cache (``bucket_cache.READABLE``); the
    delete drops it with the write ones, so the next read answers 404 while the blobs are
    still being purged."""
    token = users["alice"]
    name = f"read-{unique}"
    bucket_id, objects = _bucket_with(server, token, name, 5)
    h = auth(token)
    assert httpx.put(f"{server.api}/buckets/{name}/public", json={"public": True}, headers=h)
    blob = {"key": "k/0001"}
    for ref in (name, bucket_id):
        for headers in (h, {}):  # the owner, anonymous (public)
            url = f"{server.api}/buckets/{ref}"
            assert httpx.get(f"{url}/blob", params=blob, headers=headers).status_code == 200
            assert httpx.get(f"{url}/blobs", headers=headers).status_code == 200
    r = httpx.delete(f"{server.api}/buckets/{name}", params={"force": "true"}, headers=h)
    assert r.status_code == 200, r.text
    assert _rows_of(server, bucket_id) == 5  # the purge has not started
    for ref in (name, bucket_id):
        for headers in (h, {}):
            url = f"{server.api}/buckets/{ref}"
            got = httpx.get(f"{url}/blob", params=blob, headers=headers)
            assert got.status_code == 404, (ref, bool(headers), got.status_code)
            assert httpx.get(f"{url}/blobs", headers=headers).status_code == 404
    held_purge.set()
    _purged(server, bucket_id, objects)


def _late_part_during(
    server: LiveServer, bucket_id: str, upload_id: str, drop: Callable[[], object]
) -> None:
    """Run ``drop`` (a transaction that deletes the upload) in a thread while a part commit
    of ``upload_id`` holds its upload's lock, commit the part a second later, and check that
    the part's file does not outlive the upload: its object was marked dead with the others."""
    late_oid = new_id("obj")

    async def write_late() -> None:
        async def body() -> Any:
            yield b"late part"

        await server.state.store.write(late_oid, body())

    anyio.run(write_late)
    locked, release = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def late_part() -> None:  # the part commit's statements, held open
        try:
            with server.state.db.session() as s:
                lock_upload(s, bucket_id, upload_id, utcnow())
                s.add(
                    UploadPart(
                        upload_id=upload_id, part_number=2, object_id=late_oid, size=9, etag="e"
                    )
                )
                s.flush()
                locked.set()
                release.wait(30)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
            locked.set()

    committer = threading.Thread(target=late_part)
    committer.start()
    assert locked.wait(30) and not outcome, outcome
    dropped: list[object] = []
    dropper = threading.Thread(target=lambda: dropped.append(drop()))
    dropper.start()
    time.sleep(1.0)  # the drop reaches the upload (PostgreSQL) or the write lock (SQLite)
    release.set()
    committer.join(30)
    dropper.join(60)
    assert outcome == [None] and dropped, (outcome, dropped)
    with server.state.db.session() as s:
        assert s.get(Upload, upload_id) is None
    deadline = time.monotonic() + 10  # its file goes with the others (marked dead with them)
    while anyio.run(server.state.store.exists, late_oid):
        assert time.monotonic() < deadline, "the late part's file was leaked"
        time.sleep(0.05)


def test_a_part_committed_while_the_purge_drops_its_upload_is_not_leaked(
    server: LiveServer,
    users: dict[str, str],
    alice: ApiClient,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A part whose commit holds its upload's lock (another worker's 2 s caches let a part
    reach a hidden bucket's upload) while the purge's last transaction runs: the purge waits
    for it and marks its object dead with the others, so its file goes. (On PostgreSQL the
    purge used to read the parts first, miss the uncommitted one, then delete its row through
    the upload's cascade: a file no row and no ledger mark pointed at, kept for ever. SQLite
    serialises the two transactions whole.)"""
    name = f"racing-{unique}"
    bucket_id, objects = _bucket_with(server, users["alice"], name, 3)
    upload_id = new_upload(alice, name)
    alice.uploads.put_part(name, upload_id, 1, body=b"first part")

    async def idle(*_: Any, **__: Any) -> int:
        return 0

    monkeypatch.setattr(maintenance, "purge_deleted", idle)  # only the purge below runs
    r = httpx.delete(
        f"{server.api}/buckets/{name}", params={"force": "true"}, headers=auth(users["alice"])
    )
    assert r.status_code == 200, r.text

    def purge() -> tuple[int, bool]:
        n, gone = anyio.run(deletion.purge_bucket, server.state, bucket_id)
        assert gone
        return n, gone

    _late_part_during(server, bucket_id, upload_id, purge)
    _purged(server, bucket_id, objects)


def test_a_part_committed_while_an_empty_bucket_is_deleted_is_not_leaked(
    server: LiveServer, users: dict[str, str], alice: ApiClient, unique: str
) -> None:
    """The same race with the delete of a bucket holding no blob (one transaction that drops
    the bucket row with its uploads): the part's object is marked dead and its file goes."""
    name = f"racing-empty-{unique}"
    r = httpx.post(f"{server.api}/buckets", json={"name": name}, headers=auth(users["alice"]))
    assert r.status_code == 201, r.text
    bucket_id = r.json()["id"]
    upload_id = new_upload(alice, name)
    alice.uploads.put_part(name, upload_id, 1, body=b"first part")

    def drop() -> int:
        gone = httpx.delete(f"{server.api}/buckets/{name}", headers=auth(users["alice"]))
        assert gone.status_code == 200, gone.text
        return gone.status_code

    _late_part_during(server, bucket_id, upload_id, drop)
