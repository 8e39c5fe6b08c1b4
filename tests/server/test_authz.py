"""Authorization matrix: every actor tries every kind of route.

Actors: the owner (alice), a member of the bucket's org (carol), a user of another org (bob),
an administrator, anonymous, and credentials scoped to the bucket: temporary read-only,
temporary read-write and persistent read-only. Rules under test: a resource you may not see
answers 404; one you may see but not change answers 403; no credentials at all answer 401
except on public reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer

Call = Callable[[httpx.Client, str], httpx.Response]
OK, DENY, HIDE, AUTH = "ok", 403, 404, 401


def _h(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="module")
def world(server: LiveServer, users: dict[str, str]) -> dict[str, Any]:
    api = server.api
    alice = _h(users["alice"])
    priv = httpx.post(api + "/buckets", json={"name": "authz-org", "org": "acme"}, headers=alice)
    pub = httpx.post(api + "/buckets", json={"name": "authz-pub", "public": True}, headers=alice)
    other = httpx.post(api + "/buckets", json={"name": "authz-other"}, headers=alice)
    assert priv.status_code == pub.status_code == other.status_code == 201, priv.text
    ids = {"priv": priv.json()["id"], "pub": pub.json()["id"], "other": other.json()["id"]}
    for b in ids.values():
        r = httpx.put(
            f"{api}/buckets/{b}/blob", params={"key": "k.txt"}, content=b"data", headers=alice
        )
        assert r.status_code == 201, r.text

    def tmp(mode: str) -> str:
        r = httpx.post(
            f"{api}/buckets/{ids['priv']}/tmp-credentials", json={"mode": mode}, headers=alice
        )
        assert r.status_code == 201, r.text
        token: str = r.json()["token"]
        return token

    cred = httpx.post(
        api + "/credentials",
        json={"name": "authz-ro", "buckets": [ids["priv"]], "read_only": True},
        headers=alice,
    )
    assert cred.status_code == 201, cred.text
    actors = {
        "owner": users["alice"],
        "org_member": users["carol"],
        "other_org": users["bob"],
        "admin": users["admin"],
        "anonymous": None,
        "tmp_read": tmp("READ"),
        "tmp_write": tmp("READ_WRITE"),
        "cred_read": cred.json()["token"],
    }
    return {"ids": ids, "actors": actors}


def _upload_key(c: httpx.Client, b: str) -> httpx.Response:
    return c.put(f"/buckets/{b}/blob", params={"key": "w.txt"}, content=b"x")


# (route name, call, expected per actor for the PRIVATE org bucket, for the PUBLIC bucket)
ROUTES: list[tuple[str, Call, dict[str, Any], dict[str, Any]]] = []


def route(name: str, priv: dict[str, Any], pub: dict[str, Any]) -> Callable[[Call], Call]:
    def register(fn: Call) -> Call:
        ROUTES.append((name, fn, priv, pub))
        return fn

    return register


READ_PRIV = {
    "owner": OK,
    "org_member": OK,
    "other_org": HIDE,
    "admin": OK,
    "anonymous": HIDE,
    "tmp_read": OK,
    "tmp_write": OK,
    "cred_read": OK,
}
READ_PUB = {a: OK for a in READ_PRIV}
READ_PRIV_AUTH = {**READ_PRIV, "anonymous": AUTH}
READ_PUB_AUTH = {**READ_PUB, "anonymous": AUTH}
WRITE_PRIV = {
    "owner": OK,
    "org_member": OK,
    "other_org": HIDE,
    "admin": OK,
    "anonymous": AUTH,
    "tmp_read": DENY,
    "tmp_write": OK,
    "cred_read": DENY,
}
# The public bucket belongs to alice personally (no org) and is outside the scoped tokens.
WRITE_PUB = {
    "owner": OK,
    "org_member": DENY,
    "other_org": DENY,
    "admin": OK,
    "anonymous": AUTH,
    "tmp_read": DENY,
    "tmp_write": DENY,
    "cred_read": DENY,
}
MANAGE_PRIV = {**WRITE_PRIV, "tmp_write": DENY}
MANAGE_PUB = WRITE_PUB

route("buckets_get", READ_PRIV, READ_PUB)(lambda c, b: c.get(f"/buckets/{b}"))
route("blobs_list", READ_PRIV, READ_PUB)(lambda c, b: c.get(f"/buckets/{b}/blobs"))
route("blobs_get", READ_PRIV, READ_PUB)(
    lambda c, b: c.get(f"/buckets/{b}/blob", params={"key": "k.txt"})
)
route("blobs_head", READ_PRIV, READ_PUB)(
    lambda c, b: c.head(f"/buckets/{b}/blob", params={"key": "k.txt"})
)
route("buckets_usage", READ_PRIV, READ_PUB)(lambda c, b: c.get(f"/buckets/{b}/usage"))
route("buckets_content", READ_PRIV, READ_PUB)(lambda c, b: c.get(f"/buckets/{b}/content"))
route("buckets_status", READ_PRIV_AUTH, READ_PUB_AUTH)(lambda c, b: c.get(f"/buckets/{b}/status"))
route("buckets_actions", READ_PRIV_AUTH, READ_PUB_AUTH)(lambda c, b: c.get(f"/buckets/{b}/actions"))
route("blobs_put", WRITE_PRIV, WRITE_PUB)(_upload_key)
route("blobs_delete", WRITE_PRIV, WRITE_PUB)(
    lambda c, b: c.delete(f"/buckets/{b}/blob", params={"key": "does-not-matter"})
)
route("uploads_create", WRITE_PRIV, WRITE_PUB)(
    lambda c, b: c.post(f"/buckets/{b}/uploads", json={"key": "mp.bin"})
)
route("blobs_sign_put", WRITE_PRIV, WRITE_PUB)(
    lambda c, b: c.post(
        f"/buckets/{b}/signed-urls", json={"items": [{"key": "s", "method": "PUT"}]}
    )
)
route("blobs_copy", WRITE_PRIV, WRITE_PUB)(
    lambda c, b: c.post(f"/buckets/{b}/blob/copy", json={"source_key": "k.txt", "key": "copy.txt"})
)
route("buckets_update", MANAGE_PRIV, MANAGE_PUB)(
    lambda c, b: c.patch(f"/buckets/{b}", json={"description": "touched"})
)
route("buckets_set_public", MANAGE_PRIV, MANAGE_PUB)(
    lambda c, b: c.put(
        f"/buckets/{b}/public", json={"public": b.endswith(c.headers.get("x-pub", "?"))}
    )
)


def _expect(response: httpx.Response, expected: Any, label: str) -> None:
    if expected == OK:
        assert 200 <= response.status_code < 300 or (
            response.status_code == 404 and "does-not-matter" in str(response.request.url)
        ), f"{label}: {response.status_code} {response.text[:200]}"
    else:
        assert response.status_code == expected, (
            f"{label}: {response.status_code} {response.text[:200]}"
        )


@pytest.mark.parametrize("actor", list(READ_PRIV))
def test_matrix(server: LiveServer, world: dict[str, Any], actor: str) -> None:
    token = world["actors"][actor]
    ids = world["ids"]
    with httpx.Client(base_url=server.api, headers=_h(token)) as c:
        for name, call, priv, pub in ROUTES:
            c.headers["x-pub"] = ids["pub"][-4:]  # set_public keeps "pub" public, "priv" private
            _expect(call(c, ids["priv"]), priv[actor], f"{actor} {name} private")
            _expect(call(c, ids["pub"]), pub[actor], f"{actor} {name} public")


@pytest.mark.parametrize("actor", ["tmp_read", "tmp_write", "cred_read"])
def test_scoped_credentials_see_nothing_else(
    server: LiveServer, world: dict[str, Any], actor: str
) -> None:
    with httpx.Client(base_url=server.api, headers=_h(world["actors"][actor])) as c:
        assert c.get(f"/buckets/{world['ids']['other']}").status_code == 404
        assert (
            c.get(f"/buckets/{world['ids']['other']}/blob", params={"key": "k.txt"}).status_code
            == 404
        )
        listed = c.get("/buckets").json()["results"]
        assert {b["id"] for b in listed} <= {world["ids"]["priv"], world["ids"]["pub"]}
        for call in (
            lambda: c.post("/buckets", json={"name": "nope-scoped"}),
            lambda: c.post("/tokens", json={"name": "escalate"}),
            lambda: c.post(
                f"/buckets/{world['ids']['priv']}/tmp-credentials", json={"mode": "READ_WRITE"}
            ),
            lambda: c.delete(f"/buckets/{world['ids']['priv']}"),
        ):
            assert call().status_code == 403


def test_every_authenticated_operation_refuses_anonymous(server: LiveServer) -> None:
    """Generic sweep over the spec: an operation without anonymous access answers 401 when no
    token is sent, before looking at anything else (even with nonsense parameters)."""
    from bucketry_server.app import anonymous_operations, spec_path
    from tests.test_contract import NOT_YET_SERVED, load_spec, spec_operations

    open_ops = anonymous_operations(spec_path().read_bytes())
    for op_id, (method, path) in spec_operations(load_spec()).items():
        if op_id in open_ops or op_id in NOT_YET_SERVED:
            continue
        url = server.api + path.replace("{part_number}", "1").replace("{", "x").replace("}", "")
        r = httpx.request(
            method,
            url,
            params={"key": "k"},
            json={} if method in ("POST", "PUT", "PATCH") else None,
        )
        assert r.status_code == 401, f"{op_id}: {r.status_code}"
        assert r.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_invalid_or_revoked_token_is_401_even_on_public_reads(
    server: LiveServer, world: dict[str, Any], users: dict[str, str]
) -> None:
    r = httpx.get(f"{server.api}/buckets/{world['ids']['pub']}", headers=_h("bkt_pat_forged"))
    assert r.status_code == 401
    created = httpx.post(
        server.api + "/tokens", json={"name": "short"}, headers=_h(users["bob"])
    ).json()
    assert httpx.get(server.api + "/users/self", headers=_h(created["secret"])).status_code == 200
    assert (
        httpx.delete(f"{server.api}/tokens/{created['id']}", headers=_h(users["bob"])).status_code
        == 204
    )
    assert httpx.get(server.api + "/users/self", headers=_h(created["secret"])).status_code == 401
    # someone else's token id is not found, not forbidden
    assert (
        httpx.delete(f"{server.api}/tokens/{created['id']}", headers=_h(users["alice"])).status_code
        == 404
    )
