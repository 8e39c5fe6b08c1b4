"""Blobs of a bucket, addressed by ``?key=``: put, get (ranges), head, delete, copy, bulk delete,
listing. HTTP only: the services are in :mod:`..blobs.service`, the byte-moving parts in
:mod:`.http_bodies` (shared with signed URLs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from ..accounts.access import bucket_for_write
from ..accounts.bucket_cache import WRITABLE
from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend, ListQuery
from ..blobs import service
from ..blobs.views import blob_json
from ..errors import Invalid
from ..keys import check_key, check_prefix
from ..models import Bucket
from ..state import AppState
from . import direct as direct_path
from . import http_bodies
from .deps import CurrentPrincipal, State
from .params import BucketRef, ChecksumCRC32C, ChecksumSHA256, ContentMD5, Text

router = APIRouter()

KeyParam = Annotated[str, Query(min_length=1, max_length=1024)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=200)]


async def _readable_blob(
    request: Request, state: AppState, p: Principal, bucket: str, key: str
) -> tuple[BucketBackend, BlobRecord]:
    check_key(key)
    http_bodies.check_query_utf8(request, key)
    backend = await service.readable(state, p, bucket)
    return backend, await service.stat_blob(backend, key)


# --------------------------------------------------------------------------- one blob


@router.put("/buckets/{bucket}/blob", tags=["blobs"], status_code=201)
async def blobs_put(
    request: Request,
    bucket: BucketRef,
    key: KeyParam,
    p: CurrentPrincipal,
    state: State,
    content_type: Annotated[str | None, Query(max_length=255)] = None,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
    content_md5: ContentMD5 = None,
    x_checksum_sha256: ChecksumSHA256 = None,
    x_checksum_crc32c: ChecksumCRC32C = None,
    x_blob_metadata: Annotated[str | None, Header(alias="X-Blob-Metadata", max_length=2048)] = None,
    direct: bool = False,
) -> Response:
    if direct_path.wants_direct(request, direct):
        redirect = await direct_path.redirect_put(request, state, p, bucket, key)
        if redirect is not None:
            return redirect

    def authorize(s: Session) -> Bucket:
        granted = bucket_for_write(s, p, bucket)
        WRITABLE.put(p, bucket, granted)
        return granted

    return await http_bodies.upload(
        request,
        state,
        authorize,
        key,
        content_type=content_type,
        metadata=x_blob_metadata,
        content_md5=content_md5,
        sha256=x_checksum_sha256,
        crc32c=x_checksum_crc32c,
        if_match=if_match,
        if_none_match=if_none_match,
        granted=WRITABLE.get(p, bucket),
    )


@router.get("/buckets/{bucket}/blob", tags=["blobs"])
async def blobs_get(
    request: Request,
    bucket: BucketRef,
    key: KeyParam,
    p: CurrentPrincipal,
    state: State,
    range_: Annotated[str | None, Header(alias="Range", max_length=100)] = None,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
    direct: bool = False,
) -> Response:
    if direct_path.wants_direct(request, direct):
        redirect = await direct_path.redirect_get(request, state, p, bucket, key)
        if redirect is not None:
            return redirect
    return await http_bodies.download(
        lambda: _readable_blob(request, state, p, bucket, key),
        range_header=range_,
        if_match=if_match,
        if_none_match=if_none_match,
    )


@router.head("/buckets/{bucket}/blob", tags=["blobs"])
async def blobs_head(
    request: Request, bucket: BucketRef, key: KeyParam, p: CurrentPrincipal, state: State
) -> Response:
    _, blob = await _readable_blob(request, state, p, bucket, key)
    return http_bodies.head_response(blob)


@router.delete("/buckets/{bucket}/blob", tags=["blobs"], status_code=204)
async def blobs_delete(
    request: Request,
    bucket: BucketRef,
    key: KeyParam,
    p: CurrentPrincipal,
    state: State,
    if_match: IfMatch = None,
) -> Response:
    check_key(key)
    http_bodies.check_query_utf8(request, key)
    await service.delete_blob(state, p, bucket, key, if_match=if_match)
    return Response(status_code=204)


# --------------------------------------------------------------------------- copy


class BlobCopy(BaseModel):
    model_config = ConfigDict(strict=True)
    source_bucket: Text | None = Field(default=None, max_length=100)
    source_key: str = Field(min_length=1, max_length=1024)
    key: str = Field(min_length=1, max_length=1024)
    overwrite: bool = True


@router.post("/buckets/{bucket}/blob/copy", tags=["blobs"], status_code=201)
async def blobs_copy(
    bucket: BucketRef, body: BlobCopy, p: CurrentPrincipal, state: State
) -> Response:
    blob = await service.copy_blob(
        state,
        p,
        bucket,
        body.key,
        body.source_key,
        source_bucket=body.source_bucket,
        overwrite=body.overwrite,
    )
    return JSONResponse(blob_json(blob), status_code=201, headers={"ETag": blob.etag})


# --------------------------------------------------------------------------- bulk delete


class BlobDeleteMany(BaseModel):
    model_config = ConfigDict(strict=True)
    keys: list[Annotated[str, Field(max_length=1024)]] | None = Field(default=None, max_length=1000)
    prefix: str | None = Field(default=None, max_length=1024)
    dry_run: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> BlobDeleteMany:
        if (self.keys is None) == (self.prefix is None):
            raise ValueError("give exactly one of 'keys' or 'prefix'")
        return self


@router.post("/buckets/{bucket}/blobs/delete", tags=["blobs"])
async def blobs_delete_many(
    bucket: BucketRef, body: BlobDeleteMany, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    outcome = await service.delete_blobs(
        state, p, bucket, keys=body.keys, prefix=body.prefix, dry_run=body.dry_run
    )
    return {
        "results": outcome.results,
        "deleted": outcome.deleted,
        "bytes": outcome.bytes,
        "dry_run": body.dry_run,
    }


# --------------------------------------------------------------------------- listing


@router.get("/buckets/{bucket}/blobs", tags=["blobs"])
async def blobs_list(
    request: Request,
    bucket: BucketRef,
    p: CurrentPrincipal,
    state: State,
    prefix: Annotated[str, Query(max_length=1024)] = "",
    delimiter: Annotated[str | None, Query(max_length=1)] = None,
    recursive: bool = True,
    glob: Annotated[Text | None, Query(max_length=1024)] = None,
    order_by: Literal["name", "size", "created_at"] = "name",
    order: Literal["asc", "desc"] = "asc",
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    check_prefix(prefix)
    http_bodies.check_query_utf8(request, prefix, glob, delimiter)
    delimiter = delimiter or None
    if not recursive:
        if delimiter not in (None, "/"):
            raise Invalid(
                "invalid_parameter",
                "recursive=false means delimiter='/'; give one or the other",
            )
        delimiter = "/"
    query = ListQuery(
        prefix=prefix,
        delimiter=delimiter,
        glob=glob or None,
        order_by=order_by,
        descending=order == "desc",
        page_size=page_size,
        cursor=cursor,
    )
    # The page is JSON text already: no per-entry response validation or re-encoding.
    body = await service.list_page(state, p, bucket, query)
    return Response(body, media_type="application/json")
