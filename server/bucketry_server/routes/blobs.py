"""Blobs of a bucket, addressed by ``?key=``: put, get (ranges), head, delete, copy, bulk delete,
listing. The byte-moving parts live in :mod:`..transfer` (shared with signed URLs)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from .. import blob_ops, transfer
from ..auth import CurrentPrincipal, State, bucket_for_read, bucket_for_write
from ..ids import new_id
from ..keys import check_key, check_prefix, key_error
from ..listing import ListQuery, list_blobs, prefix_range
from ..maintenance import discard_objects
from ..models import Blob, Bucket
from ..problems import ApiProblem
from ..storage.base import ObjectMissingError, WriteResult
from .params import BucketRef, ChecksumSHA256, ContentMD5

router = APIRouter()

KeyParam = Annotated[str, Query(min_length=1, max_length=1024)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=200)]
DELETE_BATCH = 500


def _readable_blob(
    request: Request, state: State, p: CurrentPrincipal, bucket: str, key: str
) -> Blob:
    check_key(key)
    transfer.check_query_utf8(request, key)
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        return transfer.blob_or_404(transfer.find_blob(s, b.id, key))


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
    x_blob_metadata: Annotated[str | None, Header(alias="X-Blob-Metadata", max_length=2048)] = None,
) -> Response:
    return await transfer.upload(
        request,
        state,
        lambda s: bucket_for_write(s, p, bucket),
        key,
        content_type=content_type,
        metadata=x_blob_metadata,
        content_md5=content_md5,
        sha256=x_checksum_sha256,
        if_match=if_match,
        if_none_match=if_none_match,
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
) -> Response:
    return await transfer.download(
        state,
        lambda: _readable_blob(request, state, p, bucket, key),
        range_header=range_,
        if_match=if_match,
        if_none_match=if_none_match,
    )


@router.head("/buckets/{bucket}/blob", tags=["blobs"])
def blobs_head(
    request: Request, bucket: BucketRef, key: KeyParam, p: CurrentPrincipal, state: State
) -> Response:
    return transfer.head_response(_readable_blob(request, state, p, bucket, key))


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
    transfer.check_query_utf8(request, key)

    def find() -> tuple[str, int]:
        with state.db.session() as s:
            b = bucket_for_write(s, p, bucket)
            blob = transfer.blob_or_404(transfer.find_blob(s, b.id, key))
            blob_ops.check_preconditions(blob, if_match, None)
            return b.id, blob.id

    bucket_id, blob_id = await run_in_threadpool(find)
    gone = await blob_ops.delete_blob_rows(state, bucket_id, [blob_id])
    if not gone:  # deleted by someone else in between
        raise ApiProblem(404, "not_found", "blob not found")
    return Response(status_code=204)


# --------------------------------------------------------------------------- copy


class BlobCopy(BaseModel):
    model_config = ConfigDict(strict=True)
    source_bucket: str | None = Field(default=None, max_length=100)
    source_key: str = Field(min_length=1, max_length=1024)
    key: str = Field(min_length=1, max_length=1024)
    overwrite: bool = True


@router.post("/buckets/{bucket}/blob/copy", tags=["blobs"], status_code=201)
async def blobs_copy(
    bucket: BucketRef, body: BlobCopy, p: CurrentPrincipal, state: State
) -> Response:
    check_key(body.source_key, "source_key")
    check_key(body.key)
    if_none_match = None if body.overwrite else "*"

    def lookup() -> tuple[str, Blob]:
        with state.db.session() as s:
            dst = transfer.require_managed(bucket_for_write(s, p, bucket))
            src_bucket = bucket_for_read(s, p, body.source_bucket or bucket)
            src = transfer.find_blob(s, src_bucket.id, body.source_key)
            if src is None:
                raise ApiProblem(404, "not_found", "source blob not found")
            transfer.precheck(s, dst.id, body.key, None, if_none_match)
            return dst.id, src

    for attempt in (1, 2):
        dst_id, src = await run_in_threadpool(lookup)
        oid = new_id("obj")
        try:
            await state.store.copy(src.object_id, oid)
        except ObjectMissingError:  # the source was replaced or deleted meanwhile: look again
            await discard_objects(state, [oid])
            if attempt == 2:
                raise
            continue
        except BaseException:
            await discard_objects(state, [oid])
            raise
        # Every write records the SHA-256, so the copy carries the source's checksums over.
        result = WriteResult(src.size, src.md5, src.sha256 or "")
        blob = await blob_ops.commit_blob(
            state,
            dst_id,
            body.key,
            oid,
            result,
            content_type=src.content_type,
            metadata=dict(src.meta or {}),
            if_none_match=if_none_match,
        )
        return JSONResponse(blob_ops.blob_json(blob), status_code=201, headers={"ETag": blob.etag})
    raise AssertionError("unreachable")


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


def _delete_batches(
    state: State, p: CurrentPrincipal, bucket: str, body: BlobDeleteMany
) -> tuple[str, list[dict[str, Any]], list[list[int]], int]:
    """Resolve what to delete: per-key results so far, row-id batches and the bytes involved."""
    with state.db.session() as s:
        b: Bucket = bucket_for_write(s, p, bucket)
        results: list[dict[str, Any]] = []
        ids: list[int] = []
        size = 0
        if body.keys is not None:
            seen: set[str] = set()
            found: dict[str, Blob] = {}
            valid = [k for k in body.keys if key_error(k) is None]
            for i in range(0, len(valid), DELETE_BATCH):
                chunk = valid[i : i + DELETE_BATCH]
                rows = s.scalars(select(Blob).where(Blob.bucket_id == b.id, Blob.key.in_(chunk)))
                found.update((r.key, r) for r in rows)
            for k in body.keys:
                if k in seen:
                    continue
                seen.add(k)
                if key_error(k) is not None:
                    results.append({"key": k, "deleted": False, "error": "invalid_key"})
                elif k not in found:
                    results.append({"key": k, "deleted": False, "error": "not_found"})
                else:
                    ids.append(found[k].id)
                    size += found[k].size
                    results.append({"key": k, "deleted": True, "error": None})
        else:
            assert body.prefix is not None
            for blob_id, key, blob_size in _rows_under(s, b.id, body.prefix):
                ids.append(blob_id)
                size += blob_size
                results.append({"key": key, "deleted": True, "error": None})
        batches = [ids[i : i + DELETE_BATCH] for i in range(0, len(ids), DELETE_BATCH)]
        return b.id, results, batches, size


def _rows_under(s: Session, bucket_id: str, prefix: str) -> list[tuple[int, str, int]]:
    stmt = (
        select(Blob.id, Blob.key, Blob.size)
        .where(Blob.bucket_id == bucket_id, *prefix_range(prefix))
        .order_by(Blob.key)
    )
    return [(r[0], r[1], r[2]) for r in s.execute(stmt).all()]


@router.post("/buckets/{bucket}/blobs/delete", tags=["blobs"])
async def blobs_delete_many(
    bucket: BucketRef, body: BlobDeleteMany, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    if body.prefix is not None:
        if body.prefix == "":
            raise ApiProblem(
                400,
                "empty_prefix",
                "an empty prefix would delete the whole bucket; delete the bucket with force",
            )
        check_prefix(body.prefix)
    bucket_id, results, batches, size = await run_in_threadpool(
        _delete_batches, state, p, bucket, body
    )
    if not body.dry_run:
        deleted_ids: set[int] = set()
        size = 0
        for batch in batches:
            gone = await blob_ops.delete_blob_rows(state, bucket_id, batch)
            deleted_ids.update(g.id for g in gone)
            size += sum(g.size for g in gone)
        # Rows that vanished between the lookup and the delete were not deleted by us.
        all_ids = [i for batch in batches for i in batch]
        if len(deleted_ids) != len(all_ids):
            missing = {i for i in all_ids if i not in deleted_ids}
            id_of = dict(zip([r["key"] for r in results if r["deleted"]], all_ids, strict=True))
            for r in results:
                if r["deleted"] and id_of[r["key"]] in missing:
                    r["deleted"] = False
                    r["error"] = "not_found"
    deleted = sum(1 for r in results if r["deleted"])
    return {"results": results, "deleted": deleted, "bytes": size, "dry_run": body.dry_run}


# --------------------------------------------------------------------------- listing


@router.get("/buckets/{bucket}/blobs", tags=["blobs"])
def blobs_list(
    request: Request,
    bucket: BucketRef,
    p: CurrentPrincipal,
    state: State,
    prefix: Annotated[str, Query(max_length=1024)] = "",
    delimiter: Annotated[str | None, Query(max_length=1)] = None,
    recursive: bool = True,
    glob: Annotated[str | None, Query(max_length=1024)] = None,
    order_by: Literal["name", "size", "created_at"] = "name",
    order: Literal["asc", "desc"] = "asc",
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    check_prefix(prefix)
    transfer.check_query_utf8(request, prefix, glob, delimiter)
    delimiter = delimiter or None
    if not recursive:
        if delimiter not in (None, "/"):
            raise ApiProblem(
                400,
                "invalid_parameter",
                "recursive=false means delimiter='/'; give one or the other",
            )
        delimiter = "/"
    query = ListQuery(
        bucket_id="",  # set once the bucket is resolved
        prefix=prefix,
        delimiter=delimiter,
        glob=glob or None,
        order_by=order_by,
        descending=order == "desc",
        page_size=page_size,
        cursor=cursor,
    )
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        # The page is JSON text already: no per-entry response validation or re-encoding.
        return Response(
            list_blobs(s, replace(query, bucket_id=b.id)), media_type="application/json"
        )
