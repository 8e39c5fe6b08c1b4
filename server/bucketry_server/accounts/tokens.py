"""Bearer secrets: personal access tokens and persistent (bucket-scoped) credentials.

Both are ``Token`` rows (kinds ``token`` and ``cred``; ``tmp`` for temporary bucket
credentials): the secret is shown once and stored hashed; presented as a bearer token,
credentials act as their user restricted to their buckets (see :mod:`.access`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..db import Database
from ..errors import Conflict, forbidden, not_found
from ..ids import new_id
from ..models import Token, User
from ..pagination import keyset_page
from ..security import hash_secret, new_secret
from ..timeutil import iso, utcnow
from .access import can_write, find_bucket
from .principals import PRINCIPALS, Principal

CREDENTIAL = "cred"


def issue_token(
    s: Session,
    user: User,
    name: str,
    *,
    kind: str = "token",
    id_prefix: str = "tok",
    expires_in: int | None = None,
    bucket_ids: list[str] | None = None,
    read_only: bool = False,
) -> tuple[Token, str]:
    """Store a new bearer secret (hashed) and return it once."""
    secret = new_secret({"token": "pat", "tmp": "tmp", "cred": "crd"}[kind])
    token = Token(
        id=new_id(id_prefix),
        kind=kind,
        user_id=user.id,
        name=name,
        secret_hash=hash_secret(secret),
        prefix=secret[:12],
        bucket_ids=bucket_ids,
        read_only=read_only,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(seconds=expires_in) if expires_in else None,
    )
    s.add(token)
    s.flush()
    return token, secret


def token_json(t: Token) -> dict[str, Any]:
    """A personal token as API JSON (never the secret)."""
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
        "last_used_at": iso(t.last_used_at),
    }


def _user(s: Session, uid: str) -> User:
    user = s.get(User, uid)
    if user is None:
        raise not_found("user")
    return user


def list_tokens(
    s: Session, p: Principal, cursor: str | None, page_size: int
) -> tuple[list[Token], str | None]:
    """One page of the caller's personal tokens; 401/403 without a personal token."""
    uid = p.require_unscoped()
    stmt = select(Token).where(Token.user_id == uid, Token.kind == "token")
    return keyset_page(s, stmt, [Token.created_at, Token.id], cursor, page_size, tag="tok")


def create_personal_token(
    s: Session, p: Principal, name: str, expires_in: int | None
) -> tuple[Token, str]:
    """A new personal token of the caller; returns the row and the secret (shown once)."""
    uid = p.require_unscoped()
    return issue_token(s, _user(s, uid), name, expires_in=expires_in)


def revoke_token(db: Database, p: Principal, token_id: str) -> None:
    """Delete one of the caller's personal tokens (404 if not theirs); effective at once."""
    uid = p.require_unscoped()
    with db.session() as s:
        token = s.get(Token, token_id)
        if token is None or token.user_id != uid or token.kind != "token":
            raise not_found("token")
        s.delete(token)
    PRINCIPALS.clear()  # revoked now (after the commit), not when the cache entry ages out  # revoked now, not when the cache entry ages out


def credential_json(t: Token) -> dict[str, Any]:
    """Persistent credentials as API JSON (never the secret)."""
    return {
        "id": t.id,
        "name": t.name,
        "bucket_ids": list(t.bucket_ids or []),
        "read_only": bool(t.read_only),
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
    }


def list_credentials(
    s: Session, p: Principal, cursor: str | None, page_size: int
) -> tuple[list[Token], str | None]:
    """One page of the caller's persistent credentials."""
    uid = p.require_unscoped()
    stmt: Select[Any] = select(Token).where(Token.user_id == uid, Token.kind == CREDENTIAL)
    return keyset_page(s, stmt, [Token.created_at, Token.id], cursor, page_size, tag="crd")


def create_credentials(
    s: Session,
    p: Principal,
    name: str,
    buckets: list[str],
    *,
    read_only: bool = False,
    expires_in: int | None = None,
) -> tuple[Token, str]:
    """Credentials named ``name`` for ``buckets`` (ids or names). Every bucket must be visible
    to the caller (else 404) and, unless ``read_only``, writable by them (else 403); a name
    the caller already uses is a 409 ``name_taken``."""
    uid = p.require_unscoped()
    taken = s.scalar(
        select(Token.id).where(Token.user_id == uid, Token.kind == CREDENTIAL, Token.name == name)
    )
    if taken is not None:
        raise Conflict("name_taken", f"you already have credentials named {name!r}")
    bucket_ids: list[str] = []
    for ref in buckets:
        bucket = find_bucket(s, p, ref)
        if not read_only and not can_write(p, bucket):
            raise forbidden(f"you cannot write to bucket {ref!r}; ask for read_only credentials")
        if bucket.id not in bucket_ids:
            bucket_ids.append(bucket.id)
    return issue_token(
        s,
        _user(s, uid),
        name,
        kind=CREDENTIAL,
        id_prefix="crd",
        expires_in=expires_in,
        bucket_ids=bucket_ids,
        read_only=read_only,
    )


def own_credential(s: Session, p: Principal, credential_id: str) -> Token:
    """The caller's credentials ``credential_id``, else 404."""
    p.require_unscoped()
    token = s.get(Token, credential_id)
    if token is None or token.user_id != p.user_id or token.kind != CREDENTIAL:
        raise not_found("credential")
    return token


def delete_credential(db: Database, p: Principal, credential_id: str) -> None:
    """Delete the caller's credentials ``credential_id`` (404 if not theirs); effective at once."""
    with db.session() as s:
        s.delete(own_credential(s, p, credential_id))
    PRINCIPALS.clear()


def mint_bucket_token(
    s: Session, p: Principal, bucket_id: str, bucket_name: str, *, read_only: bool, expires_in: int
) -> tuple[Token, str]:
    """Temporary credentials (kind ``tmp``) of the caller scoped to one bucket."""
    uid = p.require_unscoped()
    return issue_token(
        s,
        _user(s, uid),
        f"tmp:{bucket_name}",
        kind="tmp",
        id_prefix="tmp",
        expires_in=expires_in,
        bucket_ids=[bucket_id],
        read_only=read_only,
    )
