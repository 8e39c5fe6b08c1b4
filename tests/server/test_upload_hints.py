"""Parts of an upload this process saw live a moment ago skip the upload's lookup before their
body (:mod:`bucketry_server.uploads.live`); whatever a stale hint lets through is refused by the
part's commit, with nothing kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from bucketry_api import ApiClient
from bucketry_api.models import BucketCreate
from bucketry_server.backends.managed.objects import discard_objects
from bucketry_server.models import ObjectLedger, Upload, UploadPart
from bucketry_server.timeutil import utcnow
from bucketry_server.uploads import live, parts
from bucketry_server.uploads.service import drop_upload, parts_of, stored_objects
from tests.support.live_server import LiveServer

MIN = 64 * 1024  # the shared server's smallest part but the last


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The uploads the part route looked up in the database before reading a body."""
    seen: list[str] = []
    real = parts.live_upload

    def counted(s: object, bucket_id: str, upload_id: str) -> Upload:
        seen.append(upload_id)
        return real(s, bucket_id, upload_id)  # type: ignore[arg-type]

    monkeypatch.setattr(parts, "live_upload", counted)
    live.LIVE.clear()
    yield seen
    live.LIVE.clear()


def _client(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.api, headers={"Authorization": f"Bearer {token}"})


def _create(c: httpx.Client, bucket: str, key: str = "big.bin") -> str:
    r = c.post(f"/buckets/{bucket}/uploads", json={"key": key})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _part(c: httpx.Client, bucket: str, upload_id: str, n: int, data: bytes) -> httpx.Response:
    return c.put(f"/buckets/{bucket}/uploads/{upload_id}/parts/{n}", content=data)


def _store_ids(server: LiveServer) -> set[str]:
    return set(asyncio.run(server.state.store.list_ids()))


def test_parts_of_a_fresh_upload_skip_the_upload_lookup(
    server: LiveServer,
    users: dict[str, str],
    alice: ApiClient,
    unique: str,
    lookups: list[str],
) -> None:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"hint-{unique}"))
    with _client(server, users["alice"]) as c:
        upload_id = _create(c, b.id)
        sizes = {1: MIN, 2: MIN, 3: 1000}
        codes = [_part(c, b.id, upload_id, n, bytes([n]) * k).status_code for n, k in sizes.items()]
        assert codes == [200, 200, 200]
        assert lookups == []  # created here a moment ago: no lookup before the bodies
        done = c.post(
            f"/buckets/{b.id}/uploads/{upload_id}/complete", json=_listed(c, b.id, upload_id)
        )
        assert done.status_code == 201, done.text
        # Completed: a late part is looked up again, and refused.
        assert _part(c, b.id, upload_id, 4, b"late").status_code == 404
        assert lookups == [upload_id]


def _listed(c: httpx.Client, bucket: str, upload_id: str) -> dict[str, object]:
    r = c.get(f"/buckets/{bucket}/uploads/{upload_id}")
    assert r.status_code == 200, r.text
    listed = [{"part_number": p["part_number"], "etag": p["etag"]} for p in r.json()["parts"]]
    return {"parts": listed}


def test_a_part_for_an_upload_ended_elsewhere_is_refused_and_leaves_nothing(
    server: LiveServer, users: dict[str, str], alice: ApiClient, unique: str
) -> None:
    """Another process aborts the upload (its rows go; this process's hint stays): the next
    part is read, refused by its commit with a 404, and its object deleted."""
    b, _ = alice.buckets.create(body=BucketCreate(name=f"gone-{unique}"))
    with _client(server, users["alice"]) as c:
        upload_id = _create(c, b.id)
        assert _part(c, b.id, upload_id, 1, b"a" * 1000).status_code == 200
        with server.state.db.session() as s:
            freed = stored_objects(parts_of(s, upload_id))
            drop_upload(s, upload_id, parts_of(s, upload_id))
        asyncio.run(discard_objects(server.state, freed))  # as the abort does
        assert live.LIVE.get(upload_id, b.id, utcnow()) is not None  # the hint is stale
        before = _store_ids(server)
        r = _part(c, b.id, upload_id, 2, b"b" * 1000)
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "not_found"
    with server.state.db.session() as s:
        assert s.scalars(select(UploadPart).where(UploadPart.upload_id == upload_id)).all() == []
    deadline = time.monotonic() + 5
    while _store_ids(server) - before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _store_ids(server) - before == set()
    with server.state.db.session() as s:  # nothing left for the sweep either
        assert s.scalars(select(ObjectLedger).where(ObjectLedger.object_id.in_(freed))).all() == []


def test_a_hint_never_reaches_another_bucket(
    server: LiveServer, users: dict[str, str], alice: ApiClient, unique: str, lookups: list[str]
) -> None:
    """An upload id sent under another bucket the caller may write to is looked up, and
    refused."""
    b1, _ = alice.buckets.create(body=BucketCreate(name=f"one-{unique}"))
    b2, _ = alice.buckets.create(body=BucketCreate(name=f"two-{unique}"))
    with _client(server, users["alice"]) as c:
        upload_id = _create(c, b1.id)
        assert _part(c, b2.id, upload_id, 1, b"x" * 10).status_code == 404
        assert lookups == [upload_id]
        assert _part(c, b1.id, upload_id, 1, b"x" * 10).status_code == 200
