"""Signed URLs: HMAC tokens bound to method, bucket, key, expiry and the minting token.

A token is ``Signer.sign("signed-url", {"m": method, "b": bucket_id, "k": key, "e": expiry,
"t": token_id})`` (unix seconds). It names the bucket by id, so renaming the bucket keeps URLs
working and a deleted bucket answers 404. A signed URL is only as good as the access behind it:
its expiry never exceeds that of the token (or credential) that minted it, and every use checks
that this token still exists, is unexpired and still may read (GET) or write (PUT) the bucket,
so deleting the credential, its expiry, or a public bucket turning private ends the URL too.
The bytes move through :mod:`.http_bodies`, exactly as for the bearer routes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..accounts.access import bucket_for_read, can_see, can_write
from ..accounts.principals import Principal, principal_by_token_id
from ..backends.base import BlobRecord, BucketBackend
from ..backends.registry import backend_for
from ..blobs.service import stat_blob
from ..errors import DomainError, Forbidden, NotFound, forbidden
from ..keys import check_key
from ..models import Bucket
from ..state import AppState
from ..timeutil import iso
from . import http_bodies
from .deps import CurrentPrincipal, State
from .params import BucketRef, ChecksumSHA256, ContentMD5, JsonInt

router = APIRouter()

PURPOSE = "signed-url"
# The spec says ≤ 4096; tokens for 1024-byte keys of 4-byte characters can be longer.
Token = Annotated[str, Path(min_length=1, max_length=8192)]


class SignedUrlItem(BaseModel):
    model_config = ConfigDict(strict=True)
    key: str = Field(min_length=1, max_length=1024)
    method: Literal["GET", "PUT"] = "GET"
    expires_in: JsonInt = Field(default=3600, ge=1, le=604800)


class SignedUrlRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    items: list[SignedUrlItem] = Field(min_length=1, max_length=1000)


def _public_base(state: AppState) -> str:
    """``settings.public_url`` is the server root (a trailing ``/api/v1`` is tolerated)."""
    base = (state.settings.public_url or "").rstrip("/")
    if not base:
        return ""
    parts = urlsplit(base)
    if parts.path.endswith("/api/v1"):
        base = base[: -len("/api/v1")]
    return base


@router.post("/buckets/{bucket}/signed-urls", tags=["blobs"])
def blobs_sign(
    request: Request, bucket: BucketRef, body: SignedUrlRequest, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    p.require_user()
    if p.token_id is None:  # every signed-in caller acts through a token: a URL is bound to it
        raise forbidden("signed URLs can only be made with a token")
    for i, item in enumerate(body.items):
        check_key(item.key, f"items[{i}].key")
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        if any(item.method == "PUT" for item in body.items):
            if not can_write(p, b):
                raise forbidden("upload URLs need write access to the bucket")
            backend_for(state, b).check_writable()
        bucket_id = b.id
    now = int(time.time())
    base = _public_base(state)
    results = []
    for item in body.items:
        expiry = min(now + item.expires_in, _expiry_cap(p))
        token = state.signer.sign(
            PURPOSE,
            {"m": item.method, "b": bucket_id, "k": item.key, "e": expiry, "t": p.token_id},
        )
        path = request.app.url_path_for("blobs_signed_get", token=token)
        results.append(
            {
                "key": item.key,
                "method": item.method,
                "url": base + str(path),
                "expires_at": iso(datetime.fromtimestamp(expiry, UTC)),
            }
        )
    return {"results": results}


def _expiry_cap(p: Principal) -> int:
    """The latest expiry (unix seconds) a URL minted by ``p`` may have: its token's expiry."""
    if p.expires_at is None:
        return 2**62
    return int(p.expires_at.replace(tzinfo=UTC).timestamp())


def _verify(state: AppState, token: str, method: str) -> tuple[str, str, str]:
    """``(bucket_id, key, minting token id)`` of an intact, unexpired token for ``method``;
    raises ``Forbidden`` otherwise."""
    payload = state.signer.verify(PURPOSE, token)
    if payload is None:
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    m, b, k, e = (payload.get(x) for x in ("m", "b", "k", "e"))
    if not (isinstance(m, str) and isinstance(b, str) and isinstance(k, str)):
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    if not isinstance(e, int) or isinstance(e, bool):
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    if m != method:
        raise Forbidden("wrong_method", f"this signed URL is for {m}, not {method}")
    if e <= time.time():
        raise Forbidden("expired", "the signed URL has expired")
    t = payload.get("t")
    if not isinstance(t, str):  # not bound to a minting principal
        raise Forbidden("invalid_signature", "the signed URL is invalid or was altered")
    return b, k, t


def _signed_bucket(s: Session, bucket_id: str, token_id: str, method: str) -> Bucket:
    """The URL's bucket, if the token that minted the URL may still ``method`` it.

    Raises ``NotFound`` if the bucket is gone, ``Forbidden`` (``revoked``) if the minting
    token was deleted or expired or has lost that access (scope, membership, the bucket went
    private).
    """
    bucket = s.get(Bucket, bucket_id)
    if bucket is None:
        raise NotFound("not_found", "bucket not found")
    p = principal_by_token_id(s, token_id)
    allowed = p is not None and (can_write(p, bucket) if method == "PUT" else can_see(p, bucket))
    if not allowed:
        raise Forbidden("revoked", "the access this signed URL was made with no longer exists")
    return bucket


def _load_bucket(state: AppState, bucket_id: str, token_id: str) -> Bucket:
    with state.db.session() as s:
        return _signed_bucket(s, bucket_id, token_id, "GET")


@router.get("/signed/{token}", tags=["blobs"])
async def blobs_signed_get(
    token: Token,
    state: State,
    range_: Annotated[str | None, Header(alias="Range", max_length=100)] = None,
) -> Response:
    bucket_id, key, token_id = _verify(state, token, "GET")

    async def load() -> tuple[BucketBackend, BlobRecord]:
        bucket = await run_in_threadpool(_load_bucket, state, bucket_id, token_id)
        backend = backend_for(state, bucket)
        return backend, await stat_blob(backend, key)

    return await http_bodies.download(load, range_header=range_)


@router.put("/signed/{token}", tags=["blobs"], status_code=201)
async def blobs_signed_put(
    request: Request,
    token: Token,
    state: State,
    content_md5: ContentMD5 = None,
    x_checksum_sha256: ChecksumSHA256 = None,
) -> Response:
    try:
        bucket_id, key, token_id = _verify(state, token, "PUT")
    except DomainError as problem:
        raise http_bodies.refuse_early(request, problem) from None
    return await http_bodies.upload(
        request,
        state,
        lambda s: _signed_bucket(s, bucket_id, token_id, "PUT"),
        key,
        content_md5=content_md5,
        sha256=x_checksum_sha256,
    )
