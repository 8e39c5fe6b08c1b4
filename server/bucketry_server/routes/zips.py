"""Zip archives stored as blobs: member listing and member byte ranges (HTTP only; see
:mod:`..blobs.zips`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..blobs import zips
from .deps import CurrentPrincipal, State
from .params import BucketRef

router = APIRouter(tags=["blobs"])

Key = Annotated[str, Query(min_length=1, max_length=1024)]


@router.get("/buckets/{bucket}/blob/zip")
async def blobs_zip_list(
    bucket: BucketRef,
    key: Key,
    p: CurrentPrincipal,
    state: State,
    path: Annotated[str, Query(max_length=1024)] = "",
    recursive: bool = True,
) -> dict[str, Any]:
    return await zips.list_members(state, p, bucket, key, path, recursive)


@router.get("/buckets/{bucket}/blob/zip/range")
async def blobs_zip_range(
    bucket: BucketRef,
    key: Key,
    member: Annotated[str, Query(min_length=1, max_length=1024)],
    p: CurrentPrincipal,
    state: State,
) -> dict[str, Any]:
    return await zips.member_range(state, p, bucket, key, member)
