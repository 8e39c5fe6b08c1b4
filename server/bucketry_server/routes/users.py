"""The calling user and their personal access tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ..auth import PRINCIPALS, CurrentPrincipal, State
from ..bootstrap import issue_token
from ..models import Membership, Org, Token, User
from ..pagination import keyset_page
from ..problems import not_found
from ..timeutil import iso
from .params import Cursor, JsonInt, PageSize

router = APIRouter()


def token_json(t: Token) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
        "last_used_at": iso(t.last_used_at),
    }


@router.get("/users/self", tags=["users"])
def users_get_self(p: CurrentPrincipal, state: State) -> dict[str, Any]:
    uid = p.require_user()
    with state.db.session() as s:
        user = s.get(User, uid)
        if user is None:
            raise not_found("user")
        rows = s.execute(
            select(Org, Membership.role)
            .join(Membership, Membership.org_id == Org.id)
            .where(Membership.user_id == uid)
            .order_by(Org.slug)
        ).all()
        return {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "is_admin": user.is_admin,
            "orgs": [{"slug": o.slug, "name": o.name, "role": role} for o, role in rows],
            "created_at": iso(user.created_at),
            "auth_kind": {"token": "token", "tmp": "tmp_credentials", "cred": "credentials"}.get(
                p.kind
            ),
        }


@router.get("/tokens", tags=["tokens"])
def tokens_list(
    p: CurrentPrincipal, state: State, page_size: PageSize = 100, cursor: Cursor = None
) -> dict[str, Any]:
    uid = p.require_unscoped()
    with state.db.session() as s:
        stmt = select(Token).where(Token.user_id == uid, Token.kind == "token")
        rows, nxt = keyset_page(s, stmt, [Token.created_at, Token.id], cursor, page_size, tag="tok")
        return {"results": [token_json(t) for t in rows], "next_cursor": nxt}


class TokenCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    name: str = Field(min_length=1, max_length=100)
    expires_in: JsonInt | None = Field(default=None, ge=60, le=31536000)


@router.post("/tokens", tags=["tokens"], status_code=201)
def tokens_create(body: TokenCreate, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    uid = p.require_unscoped()
    with state.db.session() as s:
        user = s.get(User, uid)
        if user is None:
            raise not_found("user")
        token, secret = issue_token(s, user, body.name, expires_in=body.expires_in)
        return {**token_json(token), "secret": secret}


@router.delete("/tokens/{token_id}", tags=["tokens"], status_code=204)
def tokens_delete(token_id: str, p: CurrentPrincipal, state: State) -> Response:
    uid = p.require_unscoped()
    with state.db.session() as s:
        token = s.get(Token, token_id)
        if token is None or token.user_id != uid or token.kind != "token":
            raise not_found("token")
        s.delete(token)
    PRINCIPALS.clear()  # revoked now, not when the cache entry ages out
    return Response(status_code=204)
