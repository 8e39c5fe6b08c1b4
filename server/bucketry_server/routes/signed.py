"""Signed URLs over HTTP: minting (``POST /buckets/{bucket}/signed-urls``) and using them
(``GET``/``PUT /signed/{token}``). HTTP only: what a token holds, its expiry cap and the check
that the access behind it still exists are in :mod:`..accounts.signed_urls`. The bytes move
through :mod:`.http_bodies`, exactly as for the bearer routes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..accounts import signed_urls
from ..backends.base import BlobRecord, BucketBackend
from ..backends.registry import backend_for
from ..blobs.service import stat_blob
from ..errors import DomainError
from ..state import AppState
from ..timeutil import iso
from . import http_bodies
from .deps import CurrentPrincipal, State
from .params import BucketRef, ChecksumCRC32C, ChecksumSHA256, ContentMD5, JsonInt

router = APIRouter()

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
    wanted = [signed_urls.SignRequest(i.key, i.method, i.expires_in) for i in body.items]
    grants = signed_urls.mint(state, p, bucket, wanted)
    base = _public_base(state)
    return {
        "results": [
            {
                "key": g.key,
                "method": g.method,
                "url": g.provider_url
                or base + str(request.app.url_path_for("blobs_signed_get", token=g.token)),
                "kind": "provider" if g.provider_url else "server",
                "expires_at": iso(datetime.fromtimestamp(g.expiry, UTC)),
            }
            for g in grants
        ]
    }


@router.get("/signed/{token}", tags=["blobs"])
async def blobs_signed_get(
    token: Token,
    state: State,
    range_: Annotated[str | None, Header(alias="Range", max_length=100)] = None,
) -> Response:
    target = signed_urls.verify(state, token, "GET")

    async def load() -> tuple[BucketBackend, BlobRecord]:
        bucket = await run_in_threadpool(signed_urls.bucket_for_signed_read, state, target)
        backend = backend_for(state, bucket)
        return backend, await stat_blob(backend, target.key)

    return await http_bodies.download(load, range_header=range_)


@router.put("/signed/{token}", tags=["blobs"], status_code=201)
async def blobs_signed_put(
    request: Request,
    token: Token,
    state: State,
    content_md5: ContentMD5 = None,
    x_checksum_sha256: ChecksumSHA256 = None,
    x_checksum_crc32c: ChecksumCRC32C = None,
) -> Response:
    try:
        target = signed_urls.verify(state, token, "PUT")
    except DomainError as problem:
        raise http_bodies.refuse_early(request, problem) from None
    return await http_bodies.upload(
        request,
        state,
        lambda s: signed_urls.signed_bucket(s, target, "PUT"),
        target.key,
        content_md5=content_md5,
        sha256=x_checksum_sha256,
        crc32c=x_checksum_crc32c,
    )
