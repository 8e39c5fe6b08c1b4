"""Persistent credentials and user usage, end to end through the generated client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bucketry_api import ApiClient
from bucketry_api.models.bucket_create import BucketCreate
from bucketry_api.models.bucket_update import BucketUpdate
from bucketry_api.models.credential_create import CredentialCreate
from bucketry_api.models.public_access import PublicAccess
from tests.server.bucket_helpers import Clients, client_factory, fails, put_blob
from tests.support.live_server import LiveServer


@pytest.fixture
def client(server: LiveServer, users: dict[str, str]) -> Iterator[Clients]:
    with client_factory(server, users) as make:
        yield make


def test_credentials_lifecycle(server: LiveServer, client: Clients, unique: str) -> None:
    alice, bob = client("alice"), client("bob")
    one, _ = alice.buckets.create(body=BucketCreate(name=f"cred-1-{unique}"))
    two, _ = alice.buckets.create(body=BucketCreate(name=f"cred-2-{unique}", org="acme"))
    other, _ = alice.buckets.create(body=BucketCreate(name=f"cred-x-{unique}"))

    # By name and by id, duplicates collapsed; the secret is shown once.
    created, resp = alice.credentials.create(
        body=CredentialCreate(name=f"ci-{unique}", buckets=[one.name, two.id, one.id])
    )
    assert resp.status_code == 201
    assert created.id.startswith("crd_") and created.token
    assert created.bucket_ids == [one.id, two.id]
    assert created.read_only is False and created.expires_at is None
    got, _ = alice.credentials.get(created.id)
    assert got.to_dict() == {k: v for k, v in created.to_dict().items() if k != "token"}
    assert "token" not in got.to_dict()

    # The credential works on its buckets only, with write access.
    cred = client(created.token)
    assert cred.users.get_self()[0].auth_kind == "credentials"
    assert {b.id for b in cred.buckets.list()[0].results} == {one.id, two.id}
    assert cred.buckets.get(two.id)[0].org == "acme"
    with fails(404):
        cred.buckets.get(other.id)
    put_blob(cred, one.id, "from-ci.txt", b"ci")
    assert alice.buckets.usage(one.id)[0].objects == 1
    assert cred.blobs.get(one.id, key="from-ci.txt")[0].payload.read() == b"ci"
    cred.blobs.delete(one.id, key="from-ci.txt")
    put_blob(cred, two.id, "org.txt", b"org")
    with fails(404):
        put_blob(cred, other.id, "nope.txt", b"x")
    # ... but never bucket settings, new buckets or other credentials.
    with fails(403):
        cred.buckets.update(one.id, body=BucketUpdate(description="x"))
    with fails(403):
        cred.buckets.create(body=BucketCreate(name=f"cred-new-{unique}"))
    with fails(403):
        cred.credentials.create(body=CredentialCreate(name="nested", buckets=[one.id]))
    with fails(403):
        cred.credentials.list()
    with fails(403):
        cred.credentials.delete(created.id)

    # Names are unique per user.
    with fails(409, "name_taken"):
        alice.credentials.create(body=CredentialCreate(name=f"ci-{unique}", buckets=[one.id]))
    # Another user may reuse the name.
    bobs_bucket, _ = bob.buckets.create(body=BucketCreate(name=f"cred-b-{unique}"))
    bob.credentials.create(body=CredentialCreate(name=f"ci-{unique}", buckets=[bobs_bucket.id]))

    # Other users' credentials are invisible.
    with fails(404):
        bob.credentials.get(created.id)
    with fails(404):
        bob.credentials.delete(created.id)
    with fails(404):
        alice.credentials.get("crd_missing")

    # Revocation: the token stops working at once.
    _, resp = alice.credentials.delete(created.id)
    assert resp.status_code == 204
    with fails(401, "invalid_token"):
        cred.buckets.get(one.id)
    with fails(404):
        alice.credentials.get(created.id)
    with fails(404):
        alice.credentials.delete(created.id)


def test_read_only_credentials(server: LiveServer, client: Clients, unique: str) -> None:
    alice, bob = client("alice"), client("bob")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"ro-{unique}"))
    put_blob(alice, b.id, "seed.txt", b"seed")
    created, _ = alice.credentials.create(
        body=CredentialCreate(name=f"ro-{unique}", buckets=[b.name], read_only=True, expires_in=600)
    )
    assert created.read_only is True
    assert isinstance(created.expires_at, datetime)
    delta = created.expires_at - datetime.now(UTC)
    assert timedelta(seconds=500) < delta <= timedelta(seconds=601)

    ro = client(created.token)
    assert ro.buckets.get(b.id)[0].id == b.id
    assert ro.buckets.usage(b.id)[0].objects == 1
    assert [e.name for e in ro.buckets.content(b.id)[0].content] == ["seed.txt"]
    with fails(403):
        put_blob(ro, b.id, "write.txt", b"no")
    with fails(403):
        ro.buckets.tmp_credentials(b.id)
    data, _ = ro.blobs.get(b.id, key="seed.txt")
    assert data.payload.read() == b"seed"
    assert [x.key for x in ro.blobs.list(b.id)[0].results] == ["seed.txt"]
    with fails(403):
        ro.blobs.delete(b.id, key="seed.txt")
    assert alice.buckets.usage(b.id)[0].objects == 1

    # Read-only credentials may cover a public bucket the caller cannot write; writable ones not.
    theirs, _ = bob.buckets.create(body=BucketCreate(name=f"ro-pub-{unique}", public=True))
    with fails(403):
        alice.credentials.create(body=CredentialCreate(name=f"rw-{unique}", buckets=[theirs.id]))
    pub_ro, _ = alice.credentials.create(
        body=CredentialCreate(name=f"ro-pub-{unique}", buckets=[theirs.id], read_only=True)
    )
    assert client(pub_ro.token).buckets.get(theirs.id)[0].owner == "bob"
    bob.buckets.set_public(theirs.id, body=PublicAccess(public=False))
    with fails(404):
        client(pub_ro.token).buckets.get(theirs.id)


def test_credentials_validation(client: Clients, unique: str) -> None:
    alice, bob = client("alice"), client("bob")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"val-{unique}"))
    hidden, _ = bob.buckets.create(body=BucketCreate(name=f"val-h-{unique}"))
    with fails(404):
        alice.credentials.create(body=CredentialCreate(name="x", buckets=[f"missing-{unique}"]))
    with fails(404):
        alice.credentials.create(body=CredentialCreate(name="x", buckets=[b.id, hidden.id]))
    for body in (
        CredentialCreate(name="", buckets=[b.id]),
        CredentialCreate(name="x" * 101, buckets=[b.id]),
        CredentialCreate(name="x", buckets=[]),
        CredentialCreate(name="x", buckets=[b.id] * 101),
        CredentialCreate(name="x", buckets=[b.id], expires_in=59),
        CredentialCreate(name="x", buckets=[b.id], expires_in=31536001),
    ):
        with fails(422):
            alice.credentials.create(body=body)
    # Nothing was stored by the failures above.
    names = [c.name for c in alice.credentials.list(page_size=1000)[0].results]
    assert "x" not in names
    with fails(401):
        client(None).credentials.list()
    with fails(401):
        client(None).credentials.create(body=CredentialCreate(name="x", buckets=[b.id]))
    with fails(401):
        client(None).credentials.get("crd_x")
    with fails(401):
        client(None).credentials.delete("crd_x")


def test_credentials_list_pages(client: Clients, unique: str) -> None:
    carol = client("carol")
    b, _ = carol.buckets.create(body=BucketCreate(name=f"pages-{unique}"))
    made = {
        carol.credentials.create(body=CredentialCreate(name=f"p{i}-{unique}", buckets=[b.id]))[0].id
        for i in range(5)
    }
    seen: list[str] = []
    cursor: str | None = None
    while True:
        kwargs: dict[str, Any] = {"cursor": cursor} if cursor else {}
        page, _ = carol.credentials.list(page_size=2, **kwargs)
        assert len(page.results) <= 2
        seen += [c.id for c in page.results]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert made <= set(seen)
    with fails(400):
        carol.credentials.list(cursor="garbage!!")
    with fails(400):
        carol.credentials.list(page_size=0)


def test_user_usage(client: Clients, unique: str) -> None:
    alice, carol, bob = client("alice"), client("carol"), client("bob")
    mine, _ = alice.buckets.create(body=BucketCreate(name=f"use-a-{unique}"))
    team, _ = alice.buckets.create(body=BucketCreate(name=f"use-t-{unique}", org="acme"))
    put_blob(alice, mine.id, "a", b"1" * 100)
    put_blob(alice, mine.id, "b", b"2" * 200)
    put_blob(alice, team.id, "c", b"3" * 50)

    def check(api: ApiClient) -> dict[str, tuple[int, int]]:
        usage, _ = api.usage.get()
        assert usage.bytes_ == sum(i.bytes_ for i in usage.buckets)
        assert usage.objects == sum(i.objects for i in usage.buckets)
        return {i.bucket_id: (i.bytes_, i.objects) for i in usage.buckets}

    alices = check(alice)
    assert alices[mine.id] == (300, 2) and alices[team.id] == (50, 1)
    carols = check(carol)
    assert team.id in carols and mine.id not in carols
    bobs = check(bob)
    assert mine.id not in bobs and team.id not in bobs
    # Scoped credentials see only their buckets.
    tmp, _ = alice.buckets.tmp_credentials(mine.id)
    assert check(client(tmp.token)) == {mine.id: (300, 2)}
    with fails(401):
        client(None).usage.get()
