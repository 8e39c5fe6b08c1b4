"""Signed URLs: HMAC tokens bound to method, bucket, key and expiry, usable without a bearer.

A token is ``Signer.sign("signed-url", {"m": method, "b": bucket_id, "k": key, "e": expiry})``
(unix seconds). It names the bucket by id, so renaming the bucket keeps URLs working and a
deleted bucket answers 404. The bytes move through :mod:`..transfer`, exactly as for the bearer
routes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from .. import transfer
from ..auth import CurrentPrincipal, State, bucket_for_read, can_write
from ..keys import check_key
from ..models import Blob, Bucket
from ..problems import ApiProblem, forbidden
from ..state import AppState
from ..timeutil import iso
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
    for i, item in enumerate(body.items):
        check_key(item.key, f"items[{i}].key")
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        if any(item.method == "PUT" for item in body.items):
            if not can_write(p, b):
                raise forbidden("upload URLs need write access to the bucket")
            transfer.require_managed(b)
        bucket_id = b.id
    now = int(time.time())
    base = _public_base(state)
    results = []
    for item in body.items:
        expiry = now + item.expires_in
        token = state.signer.sign(
            PURPOSE, {"m": item.method, "b": bucket_id, "k": item.key, "e": expiry}
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


def _verify(state: AppState, token: str, method: str) -> tuple[str, str]:
    """``(bucket_id, key)`` of an intact, unexpired token for ``method``; 403 otherwise."""
    payload = state.signer.verify(PURPOSE, token)
    if payload is None:
        raise ApiProblem(403, "invalid_signature", "the signed URL is invalid or was altered")
    m, b, k, e = (payload.get(x) for x in ("m", "b", "k", "e"))
    if not (isinstance(m, str) and isinstance(b, str) and isinstance(k, str)):
        raise ApiProblem(403, "invalid_signature", "the signed URL is invalid or was altered")
    if not isinstance(e, int) or isinstance(e, bool):
        raise ApiProblem(403, "invalid_signature", "the signed URL is invalid or was altered")
    if m != method:
        raise ApiProblem(403, "wrong_method", f"this signed URL is for {m}, not {method}")
    if e <= time.time():
        raise ApiProblem(403, "expired", "the signed URL has expired")
    return b, k


def _signed_bucket(s: Session, bucket_id: str) -> Bucket:
    bucket = s.get(Bucket, bucket_id)
    if bucket is None:
        raise ApiProblem(404, "not_found", "bucket not found")
    return bucket


@router.get("/signed/{token}", tags=["blobs"])
async def blobs_signed_get(
    token: Token,
    state: State,
    range_: Annotated[str | None, Header(alias="Range", max_length=100)] = None,
) -> Response:
    bucket_id, key = _verify(state, token, "GET")

    def load() -> Blob:
        with state.db.session() as s:
            _signed_bucket(s, bucket_id)
            return transfer.blob_or_404(transfer.find_blob(s, bucket_id, key))

    return await transfer.download(state, load, range_header=range_)


@router.put("/signed/{token}", tags=["blobs"], status_code=201)
async def blobs_signed_put(
    request: Request,
    token: Token,
    state: State,
    content_md5: ContentMD5 = None,
    x_checksum_sha256: ChecksumSHA256 = None,
) -> Response:
    try:
        bucket_id, key = _verify(state, token, "PUT")
    except ApiProblem as problem:
        raise transfer.refuse_early(request, problem) from None
    return await transfer.upload(
        request,
        state,
        lambda s: _signed_bucket(s, bucket_id),
        key,
        content_md5=content_md5,
        sha256=x_checksum_sha256,
    )
