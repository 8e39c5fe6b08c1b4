"""Who is calling: the principal behind a bearer secret (user, token kind, organizations,
bucket scope), resolved from the database and cached for a few seconds."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Unauthenticated, forbidden
from ..models import Membership, Token, User
from ..security import hash_secret
from ..timeutil import utcnow


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
    org_slug: str | None = None  # the request's ``X-Organization`` (per request, never cached)

    @property
    def anonymous(self) -> bool:
        return self.user_id is None

    @property
    def scoped(self) -> bool:
        return self.bucket_ids is not None

    def require_user(self) -> str:
        if self.user_id is None:
            raise Unauthenticated(
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


def resolve_principal(session: Session, secret: str | None) -> Principal:
    """The principal of a bearer ``secret`` (anonymous for None); ``Unauthenticated`` if unknown, revoked or expired."""
    if secret is None:
        return ANONYMOUS
    token = session.scalar(select(Token).where(Token.secret_hash == hash_secret(secret)))
    now = utcnow()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        raise Unauthenticated(
            "invalid_token",
            "the token is unknown, revoked or expired",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    principal = _principal_of(session, token)
    if principal is None:
        raise Unauthenticated("invalid_token", "the token's user no longer exists")
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
