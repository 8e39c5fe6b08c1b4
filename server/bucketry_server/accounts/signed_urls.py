"""Signed URLs, the domain side: minting HMAC tokens bound to method, bucket, key, expiry and
the minting token, verifying them, and deciding at each use whether the access behind a URL
still exists. No HTTP here (the routes in :mod:`..routes.signed` build the URLs and move the
bytes), so an operation outside a request can mint or check one too.

A token is ``Signer.sign("signed-url", {"m": method, "b": bucket_id, "k": key, "e": expiry,
"t": token_id})`` (unix seconds). It names the bucket by id, so renaming the bucket keeps URLs
working and a deleted bucket answers 404. A signed URL is only as good as the access behind it:
its expiry never exceeds that of the token (or credential) that minted it, and every use checks
that this token still exists, is unexpired and still may read (GET) or write (PUT) the bucket,
so deleting the credential, its expiry, or a public bucket turning private ends the URL too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

from sqlalchemy.orm import Session

from ..backends.registry import backend_for
from ..errors import Forbidden, NotFound, forbidden
from ..keys import check_key
from ..models import Bucket
from ..state import AppState
from .access import bucket_for_read, can_see, can_write
from .principals import Principal, principal_by_token_id

PURPOSE = "signed-url"

Method = Literal["GET", "PUT"]


@dataclass(frozen=True)
class SignRequest:
    """One URL to mint: ``key`` for ``method``, valid ``expires_in`` seconds (at most)."""

    key: str
    method: Method = "GET"
    expires_in: int = 3600


@dataclass(frozen=True)
class SignedGrant:
    """A minted token and when it expires (unix seconds, capped at the minting token's);
    ``provider_url``: the provider's own signed URL for an imported bucket whose provider can
    sign (same expiry), to be handed out instead of the server's."""

    key: str
    method: Method
    token: str
    expiry: int
    provider_url: str | None = None


@dataclass(frozen=True)
class SignedTarget:
    """What an intact, unexpired token grants: ``key`` of bucket ``bucket_id``, minted by the
    token ``token_id``."""

    bucket_id: str
    key: str
    token_id: str


def mint(
    state: AppState, p: Principal, bucket: str, requests: Sequence[SignRequest]
) -> list[SignedGrant]:
    """Sign ``requests`` on ``bucket`` (id or name) for ``p``.

    Every key is checked (``Invalid`` naming ``items[i].key``); the caller must be signed in
    with a token (``Unauthenticated`` / ``Forbidden``), see the bucket (``NotFound``) and, for
    any PUT, write it (``Forbidden``; the backend must take writes). Each expiry is capped at
    the minting token's own expiry.
    """
    p.require_user()
    if p.token_id is None:  # every signed-in caller acts through a token: a URL is bound to it
        raise forbidden("signed URLs can only be made with a token")
    for i, item in enumerate(requests):
        check_key(item.key, f"items[{i}].key")
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        if any(item.method == "PUT" for item in requests):
            if not can_write(p, b):
                raise forbidden("upload URLs need write access to the bucket")
            backend_for(state, b).check_writable()
        bucket_id = b.id
        presign = provider_signer(backend_for(state, b))
    now = int(time.time())
    grants = []
    for item in requests:
        expiry = min(now + item.expires_in, expiry_cap(p))
        payload = {"m": item.method, "b": bucket_id, "k": item.key, "e": expiry, "t": p.token_id}
        lifetime = max(1, expiry - now)
        # A provider URL cannot be revoked: only short ones, so none outlives its grant long.
        short = lifetime <= PROVIDER_URL_MAX_SECONDS
        url = presign(item.key, item.method, lifetime) if presign and short else None
        token = state.signer.sign(PURPOSE, payload)
        grants.append(SignedGrant(item.key, item.method, token, expiry, url))
    return grants


#: The longest lifetime of a provider-signed URL (the provider cannot revoke it when the token
#: that made it is deleted); longer URLs are the server's, checked at every use.
PROVIDER_URL_MAX_SECONDS = 900


def provider_signer(backend: object) -> Callable[[str, str, int], str | None] | None:
    """The backend's ``presign(key, method, expires_in)`` if it is an imported bucket's
    (its provider's own signed URLs; each call may still answer None when the provider or
    its credentials cannot sign), else None (managed buckets: the server signs)."""
    if not getattr(backend, "imported", False):
        return None
    presign = getattr(backend, "presign", None)
    return presign if callable(presign) else None


def expiry_cap(p: Principal) -> int:
    """The latest expiry (unix seconds) a URL minted by ``p`` may have: its token's expiry."""
    if p.expires_at is None:
        return 2**62
    return int(p.expires_at.replace(tzinfo=UTC).timestamp())


def verify(state: AppState, token: str, method: str) -> SignedTarget:
    """What ``token`` grants if it is intact, unexpired, bound to a minting token and made for
    ``method``. Raises ``Forbidden`` (``invalid_signature``, ``wrong_method``, ``expired``)
    otherwise. Whether the access behind it still exists is :func:`signed_bucket`'s question."""
    payload = state.signer.verify(PURPOSE, token)
    if payload is None:
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    m, b, k, e, t = (payload.get(x) for x in ("m", "b", "k", "e", "t"))
    if not (isinstance(m, str) and isinstance(b, str) and isinstance(k, str)):
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    if not isinstance(e, int) or isinstance(e, bool):
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    if m != method:
        raise Forbidden("wrong_method", f"this signed URL is for {m}, not {method}")
    if e <= time.time():
        raise Forbidden("expired", "the signed URL has expired")
    if not isinstance(t, str):  # not bound to a minting principal
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    return SignedTarget(b, k, t)


def signed_bucket(s: Session, target: SignedTarget, method: str) -> Bucket:
    """The target's bucket, if the token that minted the URL may still ``method`` it.

    Raises ``NotFound`` if the bucket is gone, ``Forbidden`` (``revoked``) if the minting
    token was deleted or expired or has lost that access (scope, membership, the bucket went
    private).
    """
    bucket = s.get(Bucket, target.bucket_id)
    if bucket is None or bucket.deleted_at is not None:  # deleted (maybe still purging)
        raise NotFound("not_found", "bucket not found")
    p = principal_by_token_id(s, target.token_id)
    allowed = p is not None and (can_write(p, bucket) if method == "PUT" else can_see(p, bucket))
    if not allowed:
        raise Forbidden("revoked", "the access this signed URL was made with no longer exists")
    return bucket


def bucket_for_signed_read(state: AppState, target: SignedTarget) -> Bucket:
    """:func:`signed_bucket` for a GET, in a session of its own. Blocking: call from a worker
    thread."""
    with state.db.session() as s:
        return signed_bucket(s, target, "GET")
