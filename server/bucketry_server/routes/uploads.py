"""Multipart uploads: initiate → put parts (any order, in parallel, re-sendable) → list parts
(resume) → complete (atomic) → abort. HTTP only: the protocol is :mod:`..uploads.service`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..blobs.validation import parse_crc32c, parse_expected
from ..blobs.views import blob_json
from ..uploads import completion, parts, service
from ..uploads.service import part_json
from .deps import CurrentPrincipal, State
from .params import (
    BucketRef,
    ChecksumCRC32C,
    ChecksumSHA256,
    ContentMD5,
    Cursor,
    IdPath,
    JsonInt,
    PageSize,
    Text,
)

router = APIRouter(tags=["uploads"])

PartNumber = Annotated[int, Path(ge=1, le=10000)]


class UploadCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    key: str = Field(min_length=1, max_length=1024)
    content_type: str | None = Field(default=None, max_length=255)
    metadata: dict[str, str] = Field(default_factory=dict)
    size: JsonInt | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, max_length=64)
    if_none_match: Text | None = Field(default=None, max_length=200)


class CompletedPart(BaseModel):
    model_config = ConfigDict(strict=True)
    part_number: JsonInt = Field(ge=1, le=10000)
    etag: str = Field(max_length=200)


class UploadComplete(BaseModel):
    model_config = ConfigDict(strict=True)
    parts: list[CompletedPart] = Field(min_length=1, max_length=10000)


@router.get("/buckets/{bucket}/uploads")
def uploads_list(
    bucket: BucketRef,
    p: CurrentPrincipal,
    state: State,
    key: Annotated[str | None, Query(max_length=1024)] = None,
    prefix: Annotated[str | None, Query(max_length=1024)] = None,
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return service.list_uploads(
        state, p, bucket, key=key, prefix=prefix, cursor=cursor, page_size=page_size
    )


@router.post("/buckets/{bucket}/uploads", status_code=201)
def uploads_create(
    bucket: BucketRef, body: UploadCreate, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    return service.create_upload(
        state,
        p,
        bucket,
        body.key,
        content_type=body.content_type,
        metadata=body.metadata,
        size=body.size,
        sha256=body.sha256,
        if_none_match=body.if_none_match,
    )


@router.get("/buckets/{bucket}/uploads/{upload_id}")
def uploads_get(
    bucket: BucketRef, upload_id: IdPath, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    return service.get_upload(state, p, bucket, upload_id)


@router.delete("/buckets/{bucket}/uploads/{upload_id}", status_code=204)
async def uploads_abort(
    bucket: BucketRef, upload_id: IdPath, p: CurrentPrincipal, state: State
) -> Response:
    await service.abort_upload(state, p, bucket, upload_id)
    return Response(status_code=204)


@router.put("/buckets/{bucket}/uploads/{upload_id}/parts/{part_number}")
async def uploads_put_part(
    bucket: BucketRef,
    upload_id: IdPath,
    part_number: PartNumber,
    request: Request,
    p: CurrentPrincipal,
    state: State,
    content_md5: ContentMD5 = None,
    x_checksum_sha256: ChecksumSHA256 = None,
    x_checksum_crc32c: ChecksumCRC32C = None,
) -> Response:
    p.require_user()
    expected = parse_expected(
        content_md5, x_checksum_sha256, parts.MAX_PART_SIZE, crc32c=x_checksum_crc32c
    )
    length = request.headers.get("content-length")
    declared = int(length) if length is not None and length.isdigit() else None
    parts.check_part(state, p, part_number, declared)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            if chunk:
                yield chunk

    part = await parts.put_part(
        state, p, bucket, upload_id, part_number, body(), expected, size=declared
    )
    return Response(
        json.dumps(part_json(part), separators=(",", ":")),
        status_code=200,
        media_type="application/json",
        headers={"ETag": part.etag},
    )


@router.post("/buckets/{bucket}/uploads/{upload_id}/complete", status_code=201)
async def uploads_complete(
    bucket: BucketRef,
    upload_id: IdPath,
    body: UploadComplete,
    p: CurrentPrincipal,
    state: State,
    x_checksum_crc32c: ChecksumCRC32C = None,
) -> dict[str, Any]:
    parts = [(c.part_number, c.etag) for c in body.parts]
    crc = parse_crc32c(x_checksum_crc32c)
    blob = await completion.complete_upload(state, p, bucket, upload_id, parts, crc32c=crc)
    return blob_json(blob)
