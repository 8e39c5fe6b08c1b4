"""Persistent credentials (named, scoped to a set of buckets, optionally read-only) and the
calling user's space usage.

Credentials are ``Token`` rows of kind ``cred``: the secret is shown once and stored hashed;
presented as a bearer token they act as their user restricted to their buckets (see ``auth``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..auth import PRINCIPALS, CurrentPrincipal, Principal, State, can_write, find_bucket
from ..bootstrap import issue_token
from ..models import Bucket, Token, User
from ..pagination import keyset_page
from ..problems import ApiProblem, forbidden, not_found
from ..timeutil import iso
from .buckets import Text
from .params import Cursor, JsonInt, PageSize

router = APIRouter()

KIND = "cred"


def credential_json(t: Token) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "bucket_ids": list(t.bucket_ids or []),
        "read_only": bool(t.read_only),
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
    }


@router.get("/credentials", tags=["credentials"])
def credentials_list(
    p: CurrentPrincipal, state: State, page_size: PageSize = 100, cursor: Cursor = None
) -> dict[str, Any]:
    uid = p.require_unscoped()
    with state.db.session() as s:
        stmt: Select[Any] = select(Token).where(Token.user_id == uid, Token.kind == KIND)
        rows, nxt = keyset_page(s, stmt, [Token.created_at, Token.id], cursor, page_size, tag="crd")
        return {"results": [credential_json(t) for t in rows], "next_cursor": nxt}


class CredentialCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    name: Text = Field(min_length=1, max_length=100)
    buckets: list[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=100
    )
    read_only: bool = False
    expires_in: JsonInt | None = Field(default=None, ge=60, le=31536000)


@router.post("/credentials", tags=["credentials"], status_code=201)
def credentials_create(body: CredentialCreate, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """Every bucket must be visible to the caller (else 404) and, unless ``read_only``,
    writable by them (else 403)."""
    uid = p.require_unscoped()
    with state.db.session() as s:
        taken = s.scalar(
            select(Token.id).where(
                Token.user_id == uid, Token.kind == KIND, Token.name == body.name
            )
        )
        if taken is not None:
            raise ApiProblem(409, "name_taken", f"you already have credentials named {body.name!r}")
        bucket_ids: list[str] = []
        for ref in body.buckets:
            bucket = find_bucket(s, p, ref)
            if not body.read_only and not can_write(p, bucket):
                raise forbidden(
                    f"you cannot write to bucket {ref!r}; ask for read_only credentials"
                )
            if bucket.id not in bucket_ids:
                bucket_ids.append(bucket.id)
        user = s.get(User, uid)
        if user is None:
            raise not_found("user")
        token, secret = issue_token(
            s,
            user,
            body.name,
            kind=KIND,
            id_prefix="crd",
            expires_in=body.expires_in,
            bucket_ids=bucket_ids,
            read_only=body.read_only,
        )
        return {**credential_json(token), "token": secret}


def _own_credential(p: Principal, s: Session, credential_id: str) -> Token:
    token = s.get(Token, credential_id)
    if token is None or token.user_id != p.user_id or token.kind != KIND:
        raise not_found("credential")
    return token


@router.get("/credentials/{credential_id}", tags=["credentials"])
def credentials_get(credential_id: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    p.require_unscoped()
    with state.db.session() as s:
        return credential_json(_own_credential(p, s, credential_id))


@router.delete("/credentials/{credential_id}", tags=["credentials"], status_code=204)
def credentials_delete(credential_id: str, p: CurrentPrincipal, state: State) -> Response:
    p.require_unscoped()
    with state.db.session() as s:
        s.delete(_own_credential(p, s, credential_id))
    PRINCIPALS.clear()  # revoked now, not when the cache entry ages out
    return Response(status_code=204)


@router.get("/usage", tags=["usage"])
def usage_get(p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """Totals and per-bucket figures over the buckets the caller owns or shares through an
    organization (scoped credentials: their buckets only), from the usage counters."""
    uid = p.require_user()
    mine = or_(Bucket.owner_id == uid, Bucket.org_id.in_(sorted(p.org_ids)))
    stmt = select(Bucket.id, Bucket.name, Bucket.bytes_used, Bucket.object_count).where(mine)
    if p.bucket_ids is not None:
        stmt = stmt.where(Bucket.id.in_(sorted(p.bucket_ids)))
    with state.db.session() as s:
        rows = s.execute(stmt.order_by(Bucket.name, Bucket.id)).all()
    items = [
        {
            "bucket_id": bid,
            "name": name,
            "bytes": max(int(size or 0), 0),
            "objects": max(int(n or 0), 0),
        }
        for bid, name, size, n in rows
    ]
    return {
        "bytes": sum(i["bytes"] for i in items),
        "objects": sum(i["objects"] for i in items),
        "buckets": items,
    }
