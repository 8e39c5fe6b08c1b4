"""Cached read and write authorizations (:mod:`bucketry_server.accounts.bucket_cache`): used for
a burst of PUTs or reads, never after the bucket changed in this process, gone after the TTL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bucketry_api import ApiClient
from bucketry_api.models import BucketCreate, BucketUpdate
from bucketry_server.accounts import access, bucket_cache
from bucketry_server.accounts.bucket_cache import READABLE, WRITABLE, BucketCache
from bucketry_server.accounts.principals import Principal
from bucketry_server.blobs import service as blob_service
from bucketry_server.models import Bucket
from bucketry_server.routes import blobs
from tests.support.live_server import LiveServer


def _put(server: LiveServer, token: str, bucket: str, key: str) -> int:
    with httpx.Client(base_url=server.api, headers={"Authorization": f"Bearer {token}"}) as c:
        return c.put(f"/buckets/{bucket}/blob", params={"key": key}, content=b"x").status_code


def _count_lookups(
    monkeypatch: pytest.MonkeyPatch,
    module: object,
    name: str,
    real: Callable[[Any, Principal, str], Bucket],
    cache: BucketCache,
) -> Iterator[list[str]]:
    """Replace ``module.name`` (a bucket lookup) by ``real`` that also records each reference
    looked up; ``cache`` starts and ends empty."""
    seen: list[str] = []

    def counted(s: Any, p: Principal, ref: str) -> Bucket:
        seen.append(ref)
        return real(s, p, ref)

    monkeypatch.setattr(module, name, counted)
    cache.clear()
    yield seen
    cache.clear()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The bucket references the PUT route looked up in the database."""
    yield from _count_lookups(
        monkeypatch, blobs, "bucket_for_write", access.bucket_for_write, WRITABLE
    )


def _get(server: LiveServer, token: str, bucket: str, key: str, method: str = "GET") -> int:
    with httpx.Client(base_url=server.api, headers={"Authorization": f"Bearer {token}"}) as c:
        return c.request(method, f"/buckets/{bucket}/blob", params={"key": key}).status_code


@pytest.fixture
def read_lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The bucket references the blob read routes looked up in the database."""
    yield from _count_lookups(
        monkeypatch, blob_service, "bucket_for_read", access.bucket_for_read, READABLE
    )


def test_a_burst_of_reads_looks_the_bucket_up_once(
    server: LiveServer,
    users: dict[str, str],
    alice: ApiClient,
    unique: str,
    read_lookups: list[str],
) -> None:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"reads-{unique}"))
    assert _put(server, users["alice"], b.name, "k") == 201
    methods = ["GET", "HEAD", "GET", "HEAD", "GET"]
    assert [_get(server, users["alice"], b.name, "k", m) for m in methods] == [200] * 5
    assert read_lookups == [b.name]
    assert _get(server, users["carol"], b.name, "k") == 404  # another principal: its own lookup
    assert read_lookups == [b.name, b.name]


def test_read_access_taken_away_applies_to_the_next_read(
    server: LiveServer,
    users: dict[str, str],
    alice: ApiClient,
    unique: str,
    read_lookups: list[str],
) -> None:
    """Carol (acme) reads an acme bucket; once alice makes it personal, carol's next read is
    refused although her authorization was cached a moment before; once alice deletes it,
    alice's own next read is refused too."""
    b, _ = alice.buckets.create(body=BucketCreate(name=f"shared-{unique}", org="acme"))
    assert _put(server, users["alice"], b.id, "a") == 201
    assert _get(server, users["carol"], b.id, "a") == 200
    assert _get(server, users["alice"], b.id, "a") == 200
    alice.buckets.update(b.id, body=BucketUpdate(org=None))
    assert _get(server, users["carol"], b.id, "a") == 404
    assert _get(server, users["alice"], b.id, "a") == 200
    with httpx.Client(
        base_url=server.api, headers={"Authorization": f"Bearer {users['alice']}"}
    ) as c:
        assert c.delete(f"/buckets/{b.id}", params={"force": "true"}).status_code == 200
    assert _get(server, users["alice"], b.id, "a") == 404


def test_a_burst_of_puts_looks_the_bucket_up_once(
    server: LiveServer, users: dict[str, str], alice: ApiClient, unique: str, lookups: list[str]
) -> None:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"burst-{unique}"))
    assert [_put(server, users["alice"], b.name, f"k{i}") for i in range(5)] == [201] * 5
    assert lookups == [b.name]
    assert _put(server, users["carol"], b.name, "k") == 404  # another principal: its own lookup
    assert lookups == [b.name, b.name]


def test_a_renamed_bucket_is_not_reached_by_its_old_name(
    server: LiveServer, users: dict[str, str], alice: ApiClient, unique: str, lookups: list[str]
) -> None:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"old-{unique}"))
    assert _put(server, users["alice"], b.name, "a") == 201
    alice.buckets.update(b.id, body=BucketUpdate(name=f"new-{unique}"))
    assert _put(server, users["alice"], f"old-{unique}", "b") == 404
    assert _put(server, users["alice"], f"new-{unique}", "b") == 201


def test_write_access_taken_away_applies_to_the_next_put(
    server: LiveServer, users: dict[str, str], alice: ApiClient, unique: str, lookups: list[str]
) -> None:
    """Carol (acme) writes to an acme bucket; once alice makes it personal, carol's next PUT
    is refused although her authorization was cached a moment before."""
    b, _ = alice.buckets.create(body=BucketCreate(name=f"team-{unique}", org="acme"))
    assert _put(server, users["carol"], b.id, "a") == 201
    assert _put(server, users["carol"], b.id, "b") == 201
    alice.buckets.update(b.id, body=BucketUpdate(org=None))
    assert _put(server, users["carol"], b.id, "c") == 404


def test_entries_expire_and_imported_buckets_are_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = BucketCache(ttl=0.05)
    p = Principal(kind="token", user_id="usr_1")
    managed = Bucket(id="bkt_m", name="m", provider="MANAGED")
    cache.put(p, "m", managed)
    cache.put(p, "i", Bucket(id="bkt_i", name="i", provider="AWS_S3"))
    assert cache.get(p, "m") is managed
    assert cache.get(p, "i") is None
    assert cache.get(Principal(kind="token", user_id="usr_1", read_only=True), "m") is None
    time.sleep(0.06)
    assert cache.get(p, "m") is None
    assert bucket_cache.TTL <= 5.0  # never longer than a cached token's revocation bound
