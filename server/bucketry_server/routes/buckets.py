"""Buckets: CRUD, listing (filters, search, sort, JSON Logic), status, actions, folder browsing,
preview, usage, public toggle and temporary credentials. HTTP only: the services are in
:mod:`..buckets`. ``POST /buckets/import`` (external providers) comes with a later issue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ..accounts.access import bucket_for_read
from ..backends.registry import backend_for
from ..buckets import content, preview, service
from ..buckets.filters import BucketQuery, count_buckets, list_buckets
from ..buckets.usage import bucket_usage
from ..buckets.views import bucket_etag, buckets_json, one_bucket_json
from ..models import Bucket
from .deps import CurrentPrincipal, State
from .params import Cursor, JsonInt, PageSize, Text, no_null_body

router = APIRouter()

NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"

ProviderName = Literal["MANAGED", "AWS_S3", "AZURE_BLOB", "GCS", "S3_COMPATIBLE", "FILESYSTEM"]
StatusName = Literal["AVAILABLE", "NOT_FOUND", "FORBIDDEN", "UNREACHABLE", "CHECKING"]
SortName = Literal[
    "name",
    "-name",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "provider",
    "-provider",
]


SearchText = Annotated[Text | None, Query(max_length=200)]

XOrganization = Annotated[Text | None, Header(alias="X-Organization", max_length=64)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]


def _json_with_etag(body: dict[str, Any], b: Bucket, status: int = 200) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers={"ETag": bucket_etag(b)},
    )


@dataclass
class BucketFilters:
    """The filters shared by ``buckets_list`` and ``buckets_count`` (one FastAPI dependency)."""

    x_organization: XOrganization = None
    name: SearchText = None
    owner: SearchText = None
    org: SearchText = None
    provider: ProviderName | None = None
    status: StatusName | None = None
    imported: bool | None = None
    search: SearchText = None
    filter_: Annotated[Text | None, Query(alias="filter", max_length=4096)] = None

    def query(self) -> BucketQuery:
        return BucketQuery(
            organization=self.x_organization,
            name=self.name,
            owner=self.owner,
            org=self.org,
            provider=self.provider,
            status=self.status,
            imported=self.imported,
            search=self.search,
            filter=self.filter_,
        )


Filters = Annotated[BucketFilters, Depends()]


# ------------------------------------------------------------------------------ list / count
@router.get("/buckets", tags=["buckets"])
def buckets_list(
    p: CurrentPrincipal,
    state: State,
    filters: Filters,
    sort: SortName = "name",
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    with state.db.session() as s:
        rows, nxt = list_buckets(s, p, filters.query(), sort, cursor, page_size)
        return {"results": buckets_json(state, s, rows), "next_cursor": nxt}


@router.get("/buckets/count", tags=["buckets"])
def buckets_count(p: CurrentPrincipal, state: State, filters: Filters) -> dict[str, Any]:
    with state.db.session() as s:
        return {"count": count_buckets(s, p, filters.query())}


# ------------------------------------------------------------------------------ create / get
class BucketCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    name: str = Field(min_length=3, max_length=63, pattern=NAME_PATTERN)
    description: Text | None = Field(default=None, max_length=1000)
    org: Text | None = Field(default=None, max_length=64)
    public: bool = False


@router.post("/buckets", tags=["buckets"], status_code=201)
def buckets_create(
    body: BucketCreate, p: CurrentPrincipal, state: State, x_organization: XOrganization = None
) -> dict[str, Any]:
    org = body.org if "org" in body.model_fields_set else x_organization
    with state.db.session() as s:
        b = service.create_bucket(
            s, p, body.name, description=body.description, org=org, public=body.public
        )
        return one_bucket_json(state, s, b)


@router.get("/buckets/{bucket}", tags=["buckets"])
def buckets_get(bucket: str, p: CurrentPrincipal, state: State) -> Response:
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        return _json_with_etag(one_bucket_json(state, s, b), b)


# ------------------------------------------------------------------------------ update
class BucketUpdate(BaseModel):
    model_config = ConfigDict(strict=True)
    name: str | None = Field(default=None, min_length=3, max_length=63, pattern=NAME_PATTERN)
    description: Text | None = Field(default=None, max_length=1000)
    org: Text | None = Field(default=None, max_length=64)
    endpoint_url: Text | None = Field(default=None, max_length=2048)
    region: Text | None = Field(default=None, max_length=64)
    credentials: dict[Text, Text] | None = None
    manifests: list[Annotated[str, Field(max_length=1024)]] | None = Field(
        default=None, max_length=100
    )


@router.patch("/buckets/{bucket}", tags=["buckets"])
def buckets_update(
    bucket: str, body: BucketUpdate, p: CurrentPrincipal, state: State, if_match: IfMatch = None
) -> Response:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    with state.db.session() as s:
        b = service.update_bucket(state, s, p, bucket, changes, if_match=if_match)
        return _json_with_etag(one_bucket_json(state, s, b), b)


# ------------------------------------------------------------------------------ delete
@router.delete("/buckets/{bucket}", tags=["buckets"])
async def buckets_delete(
    bucket: str,
    p: CurrentPrincipal,
    state: State,
    force: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    return await service.delete_bucket(state, p, bucket, force=force, dry_run=dry_run)


# ------------------------------------------------------------------------------ status, actions, usage
@router.get("/buckets/{bucket}/status", tags=["buckets"])
def buckets_status(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        return service.status_json(state, bucket_for_read(s, p, bucket))


@router.get("/buckets/{bucket}/actions", tags=["buckets"])
def buckets_actions(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
    return {"actions": list(backend_for(state, b).status().actions)}


@router.get("/buckets/{bucket}/usage", tags=["buckets"])
def buckets_usage(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        return bucket_usage(bucket_for_read(s, p, bucket))


# ------------------------------------------------------------------------------ public, tmp credentials
class PublicAccess(BaseModel):
    model_config = ConfigDict(strict=True)
    public: bool


@router.put("/buckets/{bucket}/public", tags=["buckets"])
def buckets_set_public(
    bucket: str, body: PublicAccess, p: CurrentPrincipal, state: State
) -> Response:
    with state.db.session() as s:
        b = service.set_public(s, p, bucket, body.public)
        return _json_with_etag(one_bucket_json(state, s, b), b)


class TmpCredentialsRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    mode: Literal["READ", "READ_WRITE"] = "READ"
    expires_in: JsonInt = Field(default=3600, ge=60, le=43200)


@router.post("/buckets/{bucket}/tmp-credentials", tags=["buckets"], status_code=201)
def buckets_tmp_credentials(
    bucket: str,
    p: CurrentPrincipal,
    state: State,
    body: Annotated[TmpCredentialsRequest | None, Body()] = None,
    _: Annotated[None, Depends(no_null_body)] = None,
) -> dict[str, Any]:
    req = body or TmpCredentialsRequest()
    with state.db.session() as s:
        return service.tmp_credentials(s, p, bucket, req.mode, req.expires_in)


# ------------------------------------------------------------------------------ content, preview
@router.get("/buckets/{bucket}/content", tags=["buckets"])
async def buckets_content(
    bucket: str,
    p: CurrentPrincipal,
    state: State,
    prefix: Annotated[str, Query(max_length=1024)] = "",
    next_token: Annotated[str | None, Query(max_length=4096)] = None,
    page_size: PageSize = 100,
    manifest_path: Annotated[str | None, Query(max_length=1024)] = None,
) -> dict[str, Any]:
    return await content.browse(state, p, bucket, prefix, next_token, page_size, manifest_path)


@router.get("/buckets/{bucket}/preview", tags=["buckets"])
async def buckets_preview(bucket: str, p: CurrentPrincipal, state: State) -> Response:
    thumb = await preview.preview(state, p, bucket)
    return Response(
        thumb, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"}
    )
