"""Managed buckets end to end through the generated client against the live server."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bucketry_api.models.bucket_create import BucketCreate
from bucketry_api.models.bucket_update import BucketUpdate
from bucketry_api.models.public_access import PublicAccess
from bucketry_api.models.tmp_credentials_request import TmpCredentialsRequest
from bucketry_api.models.upload_create import UploadCreate
from tests.server.bucket_helpers import Clients, client_factory, fails, put_blob
from tests.support.live_server import LiveServer


@pytest.fixture
def client(server: LiveServer, users: dict[str, str]) -> Iterator[Clients]:
    with client_factory(server, users) as make:
        yield make


# ------------------------------------------------------------------------------ create / get
def test_create_get_and_etag(client: Clients, unique: str) -> None:
    alice = client("alice")
    created, resp = alice.buckets.create(
        body=BucketCreate(name=f"photos-{unique}", description="Holiday pictures")
    )
    assert resp.status_code == 201
    assert created.id.startswith("bkt_")
    assert created.owner == "alice" and created.org is None
    assert created.provider == "MANAGED" and created.imported is False
    assert created.public is False and created.status == "AVAILABLE"
    assert created.actions == ["READ", "WRITE"] and created.credentials_set is False
    assert created.description == "Holiday pictures"

    by_id, resp_id = alice.buckets.get(created.id)
    by_name, resp_name = alice.buckets.get(created.name)
    assert by_id.id == by_name.id == created.id
    assert resp_id.headers["etag"] == resp_name.headers["etag"]
    assert resp_id.headers["etag"].startswith('"')


@pytest.mark.parametrize(
    "name",
    ["ab", "Upper", "-lead", "trail-", "has_underscore", "with space", "x" * 64, "dot.", "count"],
)
def test_create_rejects_bad_names(client: Clients, name: str) -> None:
    with fails(422):
        client("alice").buckets.create(body=BucketCreate(name=name))


def test_create_name_rules_and_conflicts(client: Clients, unique: str) -> None:
    alice, bob = client("alice"), client("bob")
    name = f"dup-{unique}"
    alice.buckets.create(body=BucketCreate(name=name))
    with fails(409, "name_taken"):
        alice.buckets.create(body=BucketCreate(name=name))
    # Names are unique per owner: bob may use the same one.
    theirs, _ = bob.buckets.create(body=BucketCreate(name=name))
    assert theirs.owner == "bob"
    # Each sees their own under that name.
    assert alice.buckets.get(name)[0].owner == "alice"
    assert bob.buckets.get(name)[0].owner == "bob"
    with fails(401, "unauthenticated"):
        client(None).buckets.create(body=BucketCreate(name=f"anon-{unique}"))


def test_create_in_org(client: Clients, unique: str) -> None:
    alice, carol, bob = client("alice"), client("carol"), client("bob")
    by_body, _ = alice.buckets.create(body=BucketCreate(name=f"team-{unique}", org="acme"))
    assert by_body.org == "acme" and by_body.owner == "alice"
    by_header, _ = alice.buckets.create(
        body=BucketCreate(name=f"team2-{unique}"), x_organization="acme"
    )
    assert by_header.org == "acme"
    # Explicit org=null in the body wins over the header: a personal bucket.
    personal, _ = alice.buckets.create(
        body=BucketCreate(name=f"mine-{unique}", org=None), x_organization="acme"
    )
    assert personal.org is None
    # Carol (acme) sees and may change the org bucket; bob (globex) does not see it.
    assert carol.buckets.get(by_body.id)[0].org == "acme"
    carol.buckets.update(by_body.id, body=BucketUpdate(description="by carol"))
    with fails(404):
        bob.buckets.get(by_body.id)
    with fails(404):
        carol.buckets.get(personal.id)
    # A name is unique inside an org too.
    with fails(409, "name_taken"):
        carol.buckets.create(body=BucketCreate(name=f"team-{unique}", org="acme"))
    # Not a member (or no such org): 403.
    with fails(403):
        bob.buckets.create(body=BucketCreate(name=f"intrude-{unique}", org="acme"))
    with fails(403):
        bob.buckets.create(body=BucketCreate(name=f"intrude-{unique}"), x_organization="acme")
    with fails(403):
        bob.buckets.create(body=BucketCreate(name=f"ghost-{unique}", org="no-such-org"))


def test_get_missing_and_invisible(client: Clients, unique: str) -> None:
    alice, bob = client("alice"), client("bob")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"secret-{unique}"))
    with fails(404, "not_found"):
        alice.buckets.get(f"nope-{unique}")
    with fails(404):
        alice.buckets.get("bkt_doesnotexist")
    with fails(404):
        bob.buckets.get(b.id)
    with fails(404):
        client(None).buckets.get(b.id)
    with fails(401, "invalid_token"):
        client("bkt_pat_not-a-real-token").buckets.get(b.id)


# ------------------------------------------------------------------------------ update
def test_update_partial_if_match_and_rules(client: Clients, unique: str) -> None:
    alice, bob, carol = client("alice"), client("bob"), client("carol")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"upd-{unique}", description="one"))
    _, got = alice.buckets.get(b.id)
    etag = got.headers["etag"]

    renamed, resp = alice.buckets.update(
        b.id, body=BucketUpdate(name=f"upd2-{unique}"), if_match=etag
    )
    assert renamed.name == f"upd2-{unique}"
    assert renamed.description == "one"  # untouched
    assert resp.headers["etag"] != etag
    # The old ETag no longer matches.
    with fails(412, "precondition_failed"):
        alice.buckets.update(b.id, body=BucketUpdate(description="two"), if_match=etag)
    assert alice.buckets.get(b.id)[0].description == "one"
    assert alice.buckets.update(b.id, body=BucketUpdate(description="two"), if_match="*")[0]
    cleared, _ = alice.buckets.update(b.id, body=BucketUpdate(description=None))
    assert cleared.description is None

    # Moving to an org and back.
    moved, _ = alice.buckets.update(b.id, body=BucketUpdate(org="acme"))
    assert moved.org == "acme"
    assert carol.buckets.get(b.id)[0].org == "acme"
    back, _ = alice.buckets.update(b.id, body=BucketUpdate(org=None))
    assert back.org is None
    with fails(404):
        carol.buckets.get(b.id)
    with fails(403):
        alice.buckets.update(b.id, body=BucketUpdate(org="globex"))

    # Managed buckets have no provider settings.
    with fails(422, "not_applicable"):
        alice.buckets.update(b.id, body=BucketUpdate(endpoint_url="http://127.0.0.1:9"))
    with fails(422):
        alice.buckets.update(b.id, body=BucketUpdate(region="eu-west-1"))
    with fails(422):
        alice.buckets.update(b.id, body=BucketUpdate(name="count"))
    with fails(422):
        alice.buckets.update(b.id, body=BucketUpdate(name="Bad Name"))
    with fails(422):
        alice.buckets.update(b.id, body=BucketUpdate(manifests=["../escape.txt"]))
    ok, _ = alice.buckets.update(b.id, body=BucketUpdate(manifests=["manifest.jsonl"]))
    assert ok.manifests == ["manifest.jsonl"]

    # Rename onto an existing name: 409.
    alice.buckets.create(body=BucketCreate(name=f"other-{unique}"))
    with fails(409, "name_taken"):
        alice.buckets.update(b.id, body=BucketUpdate(name=f"other-{unique}"))
    # Not visible → 404, visible but not manageable → 403.
    with fails(404):
        bob.buckets.update(b.id, body=BucketUpdate(description="hack"))
    alice.buckets.set_public(b.id, body=PublicAccess(public=True))
    with fails(403):
        bob.buckets.update(b.id, body=BucketUpdate(description="hack"))
    with fails(401):
        client(None).buckets.update(b.id, body=BucketUpdate(description="hack"))


def test_update_null_name_is_422(
    server: LiveServer, users: dict[str, str], client: Clients, unique: str
) -> None:
    b, _ = client("alice").buckets.create(body=BucketCreate(name=f"nul-{unique}"))
    r = httpx.patch(
        f"{server.api}/buckets/{b.id}",
        json={"name": None},
        headers={"Authorization": f"Bearer {users['alice']}"},
    )
    assert r.status_code == 422
    r = httpx.patch(
        f"{server.api}/buckets/{b.id}",
        json={"description": 5},
        headers={"Authorization": f"Bearer {users['alice']}"},
    )
    assert r.status_code == 422


# ------------------------------------------------------------------------------ list / count
def _names(page: Any) -> list[str]:
    return [b.name for b in page.results]


def test_list_visibility_and_org_header(client: Clients, unique: str) -> None:
    alice, carol, bob = client("alice"), client("carol"), client("bob")
    mine, _ = alice.buckets.create(body=BucketCreate(name=f"vis-a-{unique}"))
    team, _ = alice.buckets.create(body=BucketCreate(name=f"vis-t-{unique}", org="acme"))
    pub, _ = bob.buckets.create(body=BucketCreate(name=f"vis-b-{unique}", public=True))

    search = f"-{unique}"
    assert set(_names(alice.buckets.list(search=search)[0])) >= {mine.name, team.name}
    assert pub.name not in _names(alice.buckets.list(search=search)[0])  # public ≠ listed
    assert _names(carol.buckets.list(search=search)[0]) == [team.name]
    assert _names(bob.buckets.list(search=search)[0]) == [pub.name]
    # Admin sees everything.
    assert {mine.name, team.name, pub.name} <= set(
        _names(client("admin").buckets.list(search=search)[0])
    )
    # X-Organization narrows to that org's buckets; a non-member gets 403.
    assert _names(alice.buckets.list(search=search, x_organization="acme")[0]) == [team.name]
    assert alice.buckets.count(search=search, x_organization="acme")[0].count == 1
    with fails(403):
        bob.buckets.list(x_organization="acme")
    with fails(403):
        bob.buckets.count(x_organization="acme")
    with fails(401):
        client(None).buckets.list()
    with fails(401):
        client(None).buckets.count()


def test_name_lookup_follows_the_org_header(
    server: LiveServer, users: dict[str, str], client: Clients, unique: str
) -> None:
    """Issue 8 D3: a bucket addressed by name with ``X-Organization`` is the org's bucket, as
    ``buckets.list()`` with the same header shows; a non-member's header is refused (403)."""
    alice, carol = client("alice"), client("carol")
    name = f"data-{unique}"
    personal, _ = alice.buckets.create(body=BucketCreate(name=name))
    team, _ = carol.buckets.create(body=BucketCreate(name=name, org="acme"))
    assert _names(alice.buckets.list(name=name, x_organization="acme")[0]) == [name]
    headers = {"Authorization": f"Bearer {users['alice']}"}
    in_org = {**headers, "X-Organization": "acme"}
    api = server.api
    assert httpx.get(f"{api}/buckets/{name}", headers=headers).json()["id"] == personal.id
    assert httpx.get(f"{api}/buckets/{name}", headers=in_org).json()["id"] == team.id
    r = httpx.put(f"{api}/buckets/{name}/blob", params={"key": "k"}, content=b"x", headers=in_org)
    assert r.status_code == 201, r.text
    listed = httpx.get(f"{api}/buckets/{team.id}/blobs", headers=headers).json()["results"]
    assert [b["key"] for b in listed] == ["k"]
    assert httpx.get(f"{api}/buckets/{personal.id}/blobs", headers=headers).json()["results"] == []
    bob = {"Authorization": f"Bearer {users['bob']}", "X-Organization": "acme"}
    assert httpx.get(f"{api}/buckets/{name}", headers=bob).status_code == 403


def test_list_filters_search_and_count(client: Clients, unique: str) -> None:
    alice = client("alice")
    a, _ = alice.buckets.create(body=BucketCreate(name=f"raw-{unique}", description="RAW frames"))
    b, _ = alice.buckets.create(body=BucketCreate(name=f"done-{unique}", org="acme", public=True))
    c, _ = alice.buckets.create(body=BucketCreate(name=f"misc-{unique}", description="raw too"))
    s = f"-{unique}"

    def names(**kw: Any) -> set[str]:
        return set(_names(alice.buckets.list(search=kw.pop("search", s), **kw)[0]))

    assert names() == {a.name, b.name, c.name}
    assert names(name=a.name) == {a.name}
    assert names(owner="alice") == {a.name, b.name, c.name}
    assert names(owner="bob") == set()
    assert names(org="acme") == {b.name}
    assert names(provider="MANAGED") == {a.name, b.name, c.name}
    assert names(provider="AWS_S3") == set()
    assert names(status="AVAILABLE") == {a.name, b.name, c.name}
    assert names(status="NOT_FOUND") == set()
    assert names(imported=False) == {a.name, b.name, c.name}
    assert names(imported=True) == set()
    # search: case-insensitive substring of name or description.
    assert names(search=f"RAW-{unique}".upper()) == {a.name}
    assert {a.name, c.name} <= names(search="raw")
    assert alice.buckets.count(search=s)[0].count == 3
    assert alice.buckets.count(search=s, org="acme")[0].count == 1
    # LIKE wildcards in search are literal.
    assert names(search="%") == set()
    assert names(search="_") == set()

    # NUL characters never reach the database.
    with fails(400):
        alice.buckets.list(search="a\x00b")
    with fails(400):
        alice.buckets.count(name="a\x00b")
    with fails(400, "invalid_filter"):
        alice.buckets.list(filter_=json.dumps({"==": [{"var": "name"}, "a\x00"]}))
    with fails(422):
        alice.buckets.create(body=BucketCreate(name=f"nul-{unique}", description="a\x00b"))
    with fails(404):
        alice.buckets.get(f"nul-{unique}")

    # Bad enum values are 400s.
    with fails(400):
        alice.buckets.list(provider="NOPE")  # type: ignore[arg-type]
    with fails(400):
        alice.buckets.list(sort="size")  # type: ignore[arg-type]


def test_list_json_logic_filter(client: Clients, unique: str) -> None:
    alice = client("alice")
    a, _ = alice.buckets.create(body=BucketCreate(name=f"jl-raw-{unique}"))
    b, _ = alice.buckets.create(body=BucketCreate(name=f"jl-pub-{unique}", public=True))
    c, _ = alice.buckets.create(body=BucketCreate(name=f"jl-org-{unique}", org="acme"))
    s = f"-{unique}"

    def names(expr: Any) -> set[str]:
        text = json.dumps(expr)
        page, _ = alice.buckets.list(search=s, filter_=text)
        count, _ = alice.buckets.count(search=s, filter_=text)
        assert count.count == len(page.results)
        return set(_names(page))

    var = lambda n: {"var": n}  # noqa: E731
    everything = {a.name, b.name, c.name}
    assert names({"==": [var("name"), a.name]}) == {a.name}
    assert names({"==": [a.name, var("name")]}) == {a.name}  # literal first
    assert names({"!=": [var("name"), a.name]}) == {b.name, c.name}
    assert names({"in": ["raw", var("name")]}) == {a.name}
    assert names({"in": ["RAW", var("name")]}) == set()  # JSON Logic `in` is case-sensitive
    assert names({"in": [var("name"), [a.name, c.name, "zzz"]]}) == {a.name, c.name}
    assert names({"in": [var("name"), []]}) == set()
    assert names({"==": [var("public"), True]}) == {b.name}
    assert names(var("public")) == {b.name}
    assert names({"!": var("public")}) == {a.name, c.name}
    assert names({"!": [{"==": [var("public"), True]}]}) == {a.name, c.name}
    assert names({"==": [var("org"), None]}) == {a.name, b.name}
    assert names({"!=": [var("org"), None]}) == {c.name}
    assert names({"==": [var("org"), "acme"]}) == {c.name}
    assert names({"!=": [var("org"), "acme"]}) == {a.name, b.name}  # NULL orgs kept
    assert names({"==": [var("owner"), "alice"]}) == everything
    assert names({"==": [var("imported"), False]}) == everything
    assert names({"==": [var("provider"), "MANAGED"]}) == everything
    assert names({"==": [var("status"), "AVAILABLE"]}) == everything
    assert names({"or": [{"==": [var("name"), a.name]}, var("public")]}) == {a.name, b.name}
    assert names({"and": [{"in": ["jl-", var("name")]}, {"!": var("public")}]}) == {a.name, c.name}
    assert names({">=": [var("created_at"), "2000-01-01T00:00:00Z"]}) == everything
    assert names({"<": [var("created_at"), "2000-01-01T00:00:00Z"]}) == set()
    assert names({"<": ["2000-01-01T00:00:00Z", var("created_at"), "2999-01-01T00:00:00Z"]}) == (
        everything
    )
    assert names({">": [var("name"), b.name]}) == {n for n in everything if n > b.name}
    assert names(True) == everything
    assert names(False) == set()

    bad: list[Any] = [
        "not json",
        "{",
        {"==": [var("nope"), 1]},
        {"like": [var("name"), "x"]},
        {"==": [var("name")]},
        {"==": [var("name"), var("owner")]},
        {"==": ["a", "b"]},
        {"==": [var("public"), "yes"]},
        {"<": [var("public"), True]},
        {"<": [var("created_at"), "yesterday"]},
        {"<": [var("name"), None]},
        {"==": [var("name"), 3]},
        {"in": [var("name"), "abc"], "or": []},
        {"in": [3, var("name")]},
        {"and": []},
        {"and": "x"},
        {},
        [],
        42,
        var("name"),
        {"var": 5},
    ]
    deep: Any = True
    for _ in range(40):
        deep = {"!": deep}
    bad.append(deep)
    for expr in bad:
        text = expr if isinstance(expr, str) else json.dumps(expr)
        with fails(400, "invalid_filter"):
            alice.buckets.list(filter_=text)
        with fails(400, "invalid_filter"):
            alice.buckets.count(filter_=text)


SORTS = [
    "name",
    "-name",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "provider",
    "-provider",
]


def test_pagination_every_sort(client: Clients, unique: str) -> None:
    alice = client("alice")
    tag = f"pg{unique}"
    created = []
    # Names deliberately not in creation order, and two updated later.
    for i in [7, 3, 11, 0, 14, 5, 9, 1, 12, 6, 2, 13, 8, 4, 10]:
        b, _ = alice.buckets.create(body=BucketCreate(name=f"{tag}-{i:02d}"))
        created.append(b)
    alice.buckets.update(created[0].id, body=BucketUpdate(description="touched"))
    alice.buckets.update(created[5].id, body=BucketUpdate(description="touched"))
    assert alice.buckets.count(search=tag)[0].count == 15

    full = {b.id: b for b in (alice.buckets.list(search=tag, page_size=100)[0].results)}
    assert len(full) == 15
    for sort in SORTS:
        seen: list[Any] = []
        cursor: str | None = None
        pages = 0
        while True:
            kwargs: dict[str, Any] = {"cursor": cursor} if cursor else {}
            page, _ = alice.buckets.list(search=tag, sort=sort, page_size=4, **kwargs)  # type: ignore[arg-type]
            pages += 1
            assert len(page.results) <= 4
            seen.extend(page.results)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == 4, sort
        ids = [b.id for b in seen]
        assert len(ids) == len(set(ids)) == 15, sort
        field = sort.lstrip("-")
        keys = [(getattr(b, field), b.id) for b in seen]
        assert keys == sorted(keys, reverse=sort.startswith("-")), sort

    # A cursor belongs to its listing: another sort or garbage is a 400.
    page, _ = alice.buckets.list(search=tag, sort="name", page_size=4)
    assert page.next_cursor
    with fails(400, "bad_cursor"):
        alice.buckets.list(search=tag, sort="-created_at", cursor=page.next_cursor)
    with fails(400, "bad_cursor"):
        alice.buckets.list(cursor="!!!garbage")
    with fails(400):
        alice.buckets.list(page_size=0)
    with fails(400):
        alice.buckets.list(page_size=1001)


# ------------------------------------------------------------------------------ status etc.
def test_status_actions_usage(client: Clients, unique: str) -> None:
    alice, bob = client("alice"), client("bob")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"stat-{unique}"))
    status, _ = alice.buckets.status(b.id)
    assert status.status == "AVAILABLE" and status.checked_at is not None
    assert alice.buckets.actions(b.name)[0].actions == ["READ", "WRITE"]
    usage, _ = alice.buckets.usage(b.id)
    assert (usage.bucket_id, usage.bytes_, usage.objects) == (b.id, 0, 0)
    put_blob(alice, b.id, "a.bin", b"x" * 100)
    put_blob(alice, b.id, "dir/b.bin", b"y" * 50)
    usage, _ = alice.buckets.usage(b.id)
    assert (usage.bytes_, usage.objects) == (150, 2)
    for call in (bob.buckets.status, bob.buckets.actions, bob.buckets.usage):
        with fails(404):
            call(b.id)
    with fails(404):
        client(None).buckets.usage(b.id)


def test_public_toggle(client: Clients, unique: str) -> None:
    alice, bob, anon = client("alice"), client("bob"), client(None)
    b, _ = alice.buckets.create(body=BucketCreate(name=f"pub-{unique}"))
    with fails(404):
        anon.buckets.get(b.id)
    made, resp = alice.buckets.set_public(b.id, body=PublicAccess(public=True))
    assert made.public is True and resp.headers["etag"]
    assert anon.buckets.get(b.id)[0].public is True
    assert anon.buckets.usage(b.id)[0].objects == 0
    assert anon.buckets.content(b.id)[0].content == []
    assert bob.buckets.get(b.id)[0].owner == "alice"
    with fails(403):
        bob.buckets.set_public(b.id, body=PublicAccess(public=False))
    with fails(401):
        anon.buckets.set_public(b.id, body=PublicAccess(public=False))
    with fails(403):
        bob.buckets.delete(b.id)
    alice.buckets.set_public(b.id, body=PublicAccess(public=False))
    with fails(404):
        anon.buckets.get(b.id)
    with fails(404):
        bob.buckets.set_public(b.id, body=PublicAccess(public=True))


def test_set_public_bad_body(
    server: LiveServer, users: dict[str, str], client: Clients, unique: str
) -> None:
    b, _ = client("alice").buckets.create(body=BucketCreate(name=f"pubbad-{unique}"))
    auth = {"Authorization": f"Bearer {users['alice']}"}
    for body in ({}, {"public": "yes"}, {"public": None}):
        r = httpx.put(f"{server.api}/buckets/{b.id}/public", json=body, headers=auth)
        assert r.status_code == 422, body
    assert client("alice").buckets.get(b.id)[0].public is False


# ------------------------------------------------------------------------------ delete
def test_delete_empty_nonempty_dry_run_force(client: Clients, unique: str) -> None:
    alice, carol = client("alice"), client("carol")
    empty, _ = alice.buckets.create(body=BucketCreate(name=f"del-e-{unique}"))
    dry, _ = alice.buckets.delete(empty.id, dry_run=True)
    assert (dry.deleted, dry.dry_run, dry.blobs, dry.bytes_) == (False, True, 0, 0)
    assert alice.buckets.get(empty.id)[0].id == empty.id
    gone, _ = alice.buckets.delete(empty.id)
    assert (gone.deleted, gone.dry_run, gone.blobs) == (True, False, 0)
    with fails(404):
        alice.buckets.get(empty.id)
    with fails(404):
        alice.buckets.delete(empty.id)

    full, _ = alice.buckets.create(body=BucketCreate(name=f"del-f-{unique}", org="acme"))
    put_blob(alice, full.id, "one.txt", b"1" * 10)
    put_blob(alice, full.id, "sub/two.txt", b"2" * 20)
    with fails(409, "bucket_not_empty"):
        alice.buckets.delete(full.id)
    with fails(409, "bucket_not_empty"):
        alice.buckets.delete(full.id, dry_run=True)
    dry, _ = alice.buckets.delete(full.id, force=True, dry_run=True)
    assert (dry.deleted, dry.dry_run, dry.blobs, dry.bytes_) == (False, True, 2, 30)
    assert alice.buckets.usage(full.id)[0].objects == 2
    # An org member may delete an org bucket.
    done, _ = carol.buckets.delete(full.id, force=True)
    assert (done.deleted, done.dry_run, done.blobs, done.bytes_) == (True, False, 2, 30)
    with fails(404):
        alice.buckets.get(full.id)
    # The name is free again.
    alice.buckets.create(body=BucketCreate(name=f"del-f-{unique}"))


def test_delete_frees_objects(server: LiveServer, client: Clients, unique: str) -> None:
    """Blobs and the parts of unfinished multipart uploads leave the store with the bucket."""
    from bucketry_server.models import Blob, ObjectLedger, UploadPart

    alice = client("alice")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"del-o-{unique}"))
    put_blob(alice, b.id, "k.bin", b"z" * 1000)
    upload, _ = alice.uploads.create(b.id, body=UploadCreate(key="big.bin"))
    alice.uploads.put_part(b.id, upload.id, 1, body=b"p" * 100)
    with server.state.db.session() as s:
        blob_oid = s.scalar(select(Blob.object_id).where(Blob.bucket_id == b.id))
        part_oid = s.scalar(select(UploadPart.object_id).where(UploadPart.upload_id == upload.id))
    assert blob_oid is not None and part_oid is not None
    store = server.state.store
    assert asyncio.run(store.exists(blob_oid)) and asyncio.run(store.exists(part_oid))

    done, _ = alice.buckets.delete(b.id, force=True)
    assert (done.blobs, done.bytes_) == (1, 1000)
    deadline = time.monotonic() + 10  # the files go just after the answer (``discard_later``)
    while asyncio.run(store.exists(blob_oid)) or asyncio.run(store.exists(part_oid)):
        assert time.monotonic() < deadline, "objects left in the store"
        time.sleep(0.02)
    while True:
        with server.state.db.session() as s:
            if s.get(ObjectLedger, blob_oid) is None and s.get(ObjectLedger, part_oid) is None:
                break
        assert time.monotonic() < deadline, "ledger marks left"
        time.sleep(0.02)
    with fails(404):
        alice.uploads.get(b.id, upload.id)

    # An empty bucket with only an unfinished upload needs no force.
    e, _ = alice.buckets.create(body=BucketCreate(name=f"del-u-{unique}"))
    up, _ = alice.uploads.create(e.id, body=UploadCreate(key="x"))
    alice.uploads.put_part(e.id, up.id, 1, body=b"q")
    assert alice.buckets.delete(e.id)[0].deleted is True


# ------------------------------------------------------------------------------ content
def test_content_folders_and_paging(client: Clients, unique: str) -> None:
    alice = client("alice")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"cnt-{unique}"))
    keys = ["a.txt", "a/1.txt", "a/2.txt", "a/deep/3.txt", "a.b/x", "b.txt", "c/1", "d", "e/f/g"]
    for k in keys:
        put_blob(alice, b.id, k, k.encode())
    root, _ = alice.buckets.content(b.id)
    got = [(e.name, e.type_) for e in root.content]
    assert got == [
        ("a.b/", "DIR"),
        ("a.txt", "FILE"),
        ("a/", "DIR"),
        ("b.txt", "FILE"),
        ("c/", "DIR"),
        ("d", "FILE"),
        ("e/", "DIR"),
    ]
    assert root.prefix == "" and root.next_token is None
    files = {e.name: e for e in root.content if e.type_ == "FILE"}
    assert files["a.txt"].size == len("a.txt") and files["a.txt"].modified_at is not None
    dirs = [e for e in root.content if e.type_ == "DIR"]
    assert all(e.size is None for e in dirs)

    sub, _ = alice.buckets.content(b.id, prefix="a/")
    assert [(e.name, e.type_) for e in sub.content] == [
        ("1.txt", "FILE"),
        ("2.txt", "FILE"),
        ("deep/", "DIR"),
    ]
    # A prefix without the trailing slash browses the same folder.
    assert alice.buckets.content(b.id, prefix="a")[0].prefix == "a/"
    assert alice.buckets.content(b.id, prefix="nothing/")[0].content == []

    # Paging by 2 gives the same entries, each once.
    seen: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"next_token": token} if token else {}
        page, _ = alice.buckets.content(b.id, page_size=2, **kwargs)
        assert len(page.content) <= 2
        seen += [e.name for e in page.content]
        token = page.next_token
        if token is None:
            break
    assert seen == [name for name, _ in got]

    with fails(400):
        alice.buckets.content(b.id, next_token="garbage!!")
    page, _ = alice.buckets.content(b.id, page_size=2)
    assert isinstance(page.next_token, str)
    with fails(400, "bad_cursor"):  # a token of another folder
        alice.buckets.content(b.id, prefix="a/", next_token=page.next_token)
    with fails(400):
        alice.buckets.content(b.id, prefix="../x")
    with fails(400):
        alice.buckets.content(b.id, page_size=0)
    with fails(404):
        client("bob").buckets.content(b.id)


def test_content_from_manifest(client: Clients, unique: str) -> None:
    alice = client("alice")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"man-{unique}"))
    put_blob(alice, b.id, "img/present.jpg", b"12345")
    text_manifest = "img/present.jpg\nimg/other.png\n\nroot.txt\nimg/sub/deep.png\n../bad\n"
    put_blob(alice, b.id, "index.txt", text_manifest.encode())
    lines = [
        {"version": "1.1"},
        {"type": "images"},
        {"name": "frames/000", "extension": ".jpg"},
        {"name": "frames/001.jpg"},
        {"name": "top"},
    ]
    put_blob(alice, b.id, "manifest.jsonl", "\n".join(json.dumps(x) for x in lines).encode())

    root, _ = alice.buckets.content(b.id, manifest_path="index.txt")
    assert [(e.name, e.type_) for e in root.content] == [("img/", "DIR"), ("root.txt", "FILE")]
    img, _ = alice.buckets.content(b.id, prefix="img/", manifest_path="index.txt")
    entries = {e.name: e for e in img.content}
    assert list(entries) == ["other.png", "present.jpg", "sub/"]
    assert entries["present.jpg"].size == 5  # known blobs get their size
    assert entries["other.png"].size is None

    # Paging through a manifest listing.
    page, _ = alice.buckets.content(b.id, prefix="img/", manifest_path="index.txt", page_size=2)
    assert [e.name for e in page.content] == ["other.png", "present.jpg"]
    assert page.next_token
    rest, _ = alice.buckets.content(
        b.id, prefix="img/", manifest_path="index.txt", page_size=2, next_token=page.next_token
    )
    assert [e.name for e in rest.content] == ["sub/"] and rest.next_token is None
    with fails(400, "bad_cursor"):  # the token of the manifest listing is not the bucket's
        alice.buckets.content(b.id, prefix="img/", page_size=2, next_token=page.next_token)

    jl, _ = alice.buckets.content(b.id, manifest_path="manifest.jsonl")
    assert [(e.name, e.type_) for e in jl.content] == [("frames/", "DIR"), ("top", "FILE")]
    frames, _ = alice.buckets.content(b.id, prefix="frames", manifest_path="manifest.jsonl")
    assert [e.name for e in frames.content] == ["000.jpg", "001.jpg"]

    with fails(404):
        alice.buckets.content(b.id, manifest_path="missing.txt")
    with fails(400):
        alice.buckets.content(b.id, manifest_path="a//b")


# ------------------------------------------------------------------------------ preview
def _image(fmt: str, size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def test_preview(client: Clients, unique: str) -> None:
    from PIL import Image

    alice = client("alice")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"prev-{unique}"))
    with fails(404, "no_preview"):
        alice.buckets.preview(b.id)
    put_blob(alice, b.id, "a-notes.txt", b"hello")
    put_blob(alice, b.id, "b-broken.png", b"not really a png")
    with fails(404, "no_preview"):
        alice.buckets.preview(b.id)
    put_blob(alice, b.id, "d-red.PNG", _image("PNG", (800, 400), (255, 0, 0)))
    put_blob(alice, b.id, "e-blue.jpg", _image("JPEG", (100, 100), (0, 0, 255)))
    put_blob(alice, b.id, "c-noext", _image("GIF", (64, 64), (0, 255, 0)), content_type="image/gif")

    data, resp = alice.buckets.preview(b.id)
    assert resp.headers["content-type"] == "image/jpeg"
    raw = data.payload.read()
    img = Image.open(io.BytesIO(raw))
    assert img.format == "JPEG"
    # The first image by key: c-noext (found by its content type), green.
    r, g, bl = img.convert("RGB").getpixel((img.width // 2, img.height // 2))  # type: ignore[misc]
    assert g > 200 and r < 60 and bl < 60
    assert max(img.size) <= 256

    alice.buckets.delete(b.id, force=True)


def test_preview_thumbnail_size() -> None:
    from PIL import Image

    from bucketry_server.buckets.thumbnails import make_thumbnail

    thumb = make_thumbnail(_image("PNG", (1024, 512), (10, 20, 30)))
    assert thumb is not None
    assert Image.open(io.BytesIO(thumb)).size == (256, 128)
    assert make_thumbnail(b"garbage") is None


# ------------------------------------------------------------------------------ tmp credentials
def test_tmp_credentials(server: LiveServer, client: Clients, unique: str) -> None:
    alice, bob = client("alice"), client("bob")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"tmp-{unique}"))
    other, _ = alice.buckets.create(body=BucketCreate(name=f"tmp-other-{unique}"))

    ro, resp = alice.buckets.tmp_credentials(b.id, body=TmpCredentialsRequest(expires_in=120))
    assert resp.status_code == 201
    assert ro.mode == "READ" and ro.bucket_id == b.id and ro.token
    rw, _ = alice.buckets.tmp_credentials(b.name, body=TmpCredentialsRequest(mode="READ_WRITE"))
    assert rw.mode == "READ_WRITE"
    # No body: READ for an hour.
    default, _ = alice.buckets.tmp_credentials(b.id)
    assert default.mode == "READ"

    ro_api, rw_api = client(ro.token), client(rw.token)
    assert ro_api.users.get_self()[0].auth_kind == "tmp_credentials"
    assert ro_api.buckets.get(b.id)[0].id == b.id
    assert ro_api.buckets.usage(b.id)[0].bucket_id == b.id
    assert ro_api.buckets.content(b.id)[0].content == []
    assert _names(ro_api.buckets.list()[0]) == [b.name]
    assert ro_api.buckets.count()[0].count == 1
    with fails(404):
        ro_api.buckets.get(other.id)
    with fails(404):
        rw_api.buckets.get(other.id)
    # Bucket settings are never reachable through scoped credentials.
    for api in (ro_api, rw_api):
        with fails(403):
            api.buckets.update(b.id, body=BucketUpdate(description="x"))
        with fails(403):
            api.buckets.set_public(b.id, body=PublicAccess(public=True))
        with fails(403):
            api.buckets.delete(b.id)
        with fails(403):
            api.buckets.create(body=BucketCreate(name=f"tmpnew-{unique}"))
        with fails(403):
            api.buckets.tmp_credentials(b.id)

    # Writes: READ_WRITE works on its bucket, READ is refused.
    put_blob(rw_api, b.id, "via-tmp.txt", b"hello")
    assert alice.buckets.usage(b.id)[0].objects == 1
    with fails(403):
        put_blob(ro_api, b.id, "refused.txt", b"no")
    with fails(404):
        put_blob(rw_api, other.id, "elsewhere.txt", b"no")
    # The blob routes of that bucket: reads for both, writes for READ_WRITE only.
    data, _ = ro_api.blobs.get(b.id, key="via-tmp.txt")
    assert data.payload.read() == b"hello"
    assert [x.key for x in ro_api.blobs.list(b.id)[0].results] == ["via-tmp.txt"]
    rw_api.blobs.head(b.id, key="via-tmp.txt")
    with fails(403):
        ro_api.blobs.delete(b.id, key="via-tmp.txt")
    rw_api.blobs.delete(b.id, key="via-tmp.txt")
    with fails(404):
        ro_api.blobs.get(b.id, key="via-tmp.txt")
    put_blob(alice, other.id, "theirs.txt", b"x")
    with fails(404):
        ro_api.blobs.get(other.id, key="theirs.txt")
    with fails(404):
        rw_api.blobs.list(other.id)

    # Who may mint what.
    with fails(404):
        bob.buckets.tmp_credentials(b.id)
    alice.buckets.set_public(b.id, body=PublicAccess(public=True))
    bob_ro, _ = bob.buckets.tmp_credentials(b.id)
    assert client(bob_ro.token).buckets.get(b.id)[0].id == b.id
    with fails(403):
        bob.buckets.tmp_credentials(b.id, body=TmpCredentialsRequest(mode="READ_WRITE"))
    with fails(401):
        client(None).buckets.tmp_credentials(b.id)
    for bad in (59, 43201):
        with fails(422):
            alice.buckets.tmp_credentials(b.id, body=TmpCredentialsRequest(expires_in=bad))
    with fails(422):
        alice.buckets.tmp_credentials(b.id, body=TmpCredentialsRequest(mode="ADMIN"))  # type: ignore[arg-type]
    # Bob's READ token stops working when the bucket is private again.
    alice.buckets.set_public(b.id, body=PublicAccess(public=False))
    with fails(404):
        client(bob_ro.token).buckets.get(b.id)


def test_tmp_credentials_expire(server: LiveServer, client: Clients, unique: str) -> None:
    from bucketry_server.accounts.principals import PRINCIPALS
    from bucketry_server.models import Token
    from bucketry_server.security import hash_secret
    from bucketry_server.timeutil import utcnow

    alice = client("alice")
    b, _ = alice.buckets.create(body=BucketCreate(name=f"tmpexp-{unique}"))
    creds, _ = alice.buckets.tmp_credentials(b.id, body=TmpCredentialsRequest(expires_in=60))
    tmp_api = client(creds.token)
    assert tmp_api.buckets.get(b.id)[0].id == b.id
    with server.state.db.session() as s:  # fast-forward the clock of this token
        token = s.query(Token).filter(Token.secret_hash == hash_secret(creds.token)).one()
        assert token.kind == "tmp" and token.id.startswith("tmp_")
        assert token.bucket_ids == [b.id] and token.read_only
        token.expires_at = utcnow()
    PRINCIPALS.clear()  # the server caches resolved tokens for a few seconds
    with fails(401, "invalid_token"):
        tmp_api.buckets.get(b.id)
