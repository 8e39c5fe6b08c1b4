"""Who is calling, and what they may do with a bucket.

Rules: a resource the caller may not see answers 404 (its existence is not leaked); one they may
see but not change answers 403. Scoped credentials (temporary or persistent) act as their user
restricted to a set of buckets, optionally read-only.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Bucket, Membership, Token, User
from .problems import ApiProblem, forbidden, not_found
from .security import hash_secret
from .state import AppState, get_state
from .timeutil import utcnow


@dataclass(frozen=True)
class Principal:
    kind: str  # anonymous | token | tmp | cred
    user_id: str | None = None
    user_name: str | None = None
    is_admin: bool = False
    org_ids: frozenset[str] = frozenset()
    token_id: str | None = None
    bucket_ids: frozenset[str] | None = None  # None: not scoped
    read_only: bool = False
    expires_at: datetime | None = None  # of the token (naive UTC)

    @property
    def anonymous(self) -> bool:
        return self.user_id is None

    @property
    def scoped(self) -> bool:
        return self.bucket_ids is not None

    def require_user(self) -> str:
        if self.user_id is None:
            raise ApiProblem(
                401,
                "unauthenticated",
                "authentication required: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return self.user_id

    def require_unscoped(self) -> str:
        """Account-level actions (tokens, new buckets) need a personal token."""
        uid = self.require_user()
        if self.scoped:
            raise forbidden("bucket-scoped credentials cannot do this; use a personal token")
        return uid


ANONYMOUS = Principal(kind="anonymous")


class PrincipalCache:
    """Resolved principals by token hash for a few seconds: a burst of small requests (a folder
    upload) then costs one token lookup instead of one per request. Revoking a token clears the
    cache of this process at once; another instance may honour it for at most ``ttl`` seconds.
    Tokens that expire sooner than that are not cached."""

    def __init__(self, ttl: float = 5.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, secret: str) -> Principal | None:
        key = hash_secret(secret)
        with self._lock:
            hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        expires_at = hit[1].expires_at
        if expires_at is not None and expires_at <= utcnow():
            return None
        return hit[1]

    def put(self, secret: str, principal: Principal) -> None:
        if principal.expires_at is not None:
            if (principal.expires_at - utcnow()).total_seconds() < self.ttl:
                return
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[hash_secret(secret)] = (time.monotonic() + self.ttl, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


PRINCIPALS = PrincipalCache()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiProblem(
            401,
            "invalid_token",
            "expected 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return value.strip()


def resolve_principal(session: Session, secret: str | None) -> Principal:
    if secret is None:
        return ANONYMOUS
    token = session.scalar(select(Token).where(Token.secret_hash == hash_secret(secret)))
    now = utcnow()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        raise ApiProblem(
            401,
            "invalid_token",
            "the token is unknown, revoked or expired",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    principal = _principal_of(session, token)
    if principal is None:
        raise ApiProblem(401, "invalid_token", "the token's user no longer exists")
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now  # coarse, so reads don't write on every request
    return principal


def principal_by_token_id(session: Session, token_id: str) -> Principal | None:
    """The principal of the token (or credential) ``token_id`` as it stands now.

    None if the token was deleted or revoked, has expired, or its user is gone. Signed URLs
    use it to check at every use that the access they were minted with still exists.
    """
    token = session.get(Token, token_id)
    if token is None or (token.expires_at is not None and token.expires_at <= utcnow()):
        return None
    return _principal_of(session, token)


def _principal_of(session: Session, token: Token) -> Principal | None:
    """The principal acting through ``token`` (None if its user no longer exists)."""
    user = session.get(User, token.user_id)
    if user is None:
        return None
    orgs = session.scalars(select(Membership.org_id).where(Membership.user_id == user.id)).all()
    return Principal(
        kind=token.kind,
        user_id=user.id,
        user_name=user.name,
        is_admin=user.is_admin and token.kind == "token",
        org_ids=frozenset(orgs),
        token_id=token.id,
        bucket_ids=frozenset(token.bucket_ids) if token.bucket_ids is not None else None,
        read_only=token.read_only,
        expires_at=token.expires_at,
    )


def get_principal(request: Request, state: Annotated[AppState, Depends(get_state)]) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    secret = _bearer(request)
    if secret is None:
        endpoint = request.scope.get("endpoint")
        anonymous_ok: frozenset[str] = request.app.state.anonymous_operations
        if getattr(endpoint, "__name__", None) not in anonymous_ok:
            ANONYMOUS.require_user()
        principal = ANONYMOUS
    else:
        cached = PRINCIPALS.get(secret)
        if cached is None:
            with state.db.session() as s:
                cached = resolve_principal(s, secret)
            PRINCIPALS.put(secret, cached)
        principal = cached
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
State = Annotated[AppState, Depends(get_state)]


def owns(p: Principal, bucket: Bucket) -> bool:
    """Full rights through ownership, org membership or admin (before scoping)."""
    if p.user_id is None:
        return False
    return (
        p.is_admin
        or bucket.owner_id == p.user_id
        or (bucket.org_id is not None and bucket.org_id in p.org_ids)
    )


def can_see(p: Principal, bucket: Bucket) -> bool:
    in_scope = p.bucket_ids is None or bucket.id in p.bucket_ids
    return (in_scope and owns(p, bucket)) or bucket.public


def can_write(p: Principal, bucket: Bucket) -> bool:
    in_scope = p.bucket_ids is None or bucket.id in p.bucket_ids
    return in_scope and owns(p, bucket) and not p.read_only


def can_manage(p: Principal, bucket: Bucket) -> bool:
    """Settings, deletion, public toggle, credentials: never through scoped credentials."""
    return not p.scoped and owns(p, bucket)


def find_bucket(session: Session, p: Principal, ref: str, org_id: str | None = None) -> Bucket:
    """Resolve ``{bucket}`` (id or name) to a bucket the caller can see, else 404.

    A name is looked up in the ``X-Organization`` org first, then among the caller's personal
    buckets, their other buckets, their organizations', and finally public buckets.
    """
    if "\x00" in ref:  # never a valid id or name (and PostgreSQL text cannot hold it)
        raise not_found("bucket")
    if ref.startswith("bkt_"):
        bucket = session.get(Bucket, ref)
        if bucket is None or not can_see(p, bucket):
            raise not_found("bucket")
        return bucket
    rows = session.scalars(select(Bucket).where(Bucket.name == ref)).all()
    candidates = [b for b in rows if can_see(p, b)]
    if not candidates:
        raise not_found("bucket")

    def rank(b: Bucket) -> tuple[int, str]:
        if org_id is not None and b.org_id == org_id:
            tier = 0
        elif b.owner_id == p.user_id and b.org_id is None:
            tier = 1
        elif b.owner_id == p.user_id:
            tier = 2
        elif owns(p, b):
            tier = 3
        else:
            tier = 4
        return (tier, b.created_at.isoformat())

    return min(candidates, key=rank)


def bucket_for_read(session: Session, p: Principal, ref: str) -> Bucket:
    return find_bucket(session, p, ref)


def bucket_for_write(session: Session, p: Principal, ref: str) -> Bucket:
    bucket = find_bucket(session, p, ref)
    if p.anonymous:
        p.require_user()
    if not can_write(p, bucket):
        raise forbidden("this bucket is read-only for you")
    return bucket


def bucket_for_manage(session: Session, p: Principal, ref: str) -> Bucket:
    bucket = find_bucket(session, p, ref)
    if p.anonymous:
        p.require_user()
    if not can_manage(p, bucket):
        raise forbidden("only the bucket's owner or organization can change its settings")
    return bucket
