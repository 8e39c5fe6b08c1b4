"""Buckets: CRUD, listing (filters, search, sort, JSON Logic), status, actions, folder browsing,
preview, usage, public toggle and temporary credentials. HTTP only: the services are in
:mod:`..buckets`. ``POST /buckets/import`` registers external provider buckets (:mod:`..buckets.imports`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_read
from ..accounts.principals import Principal
from ..backends.base import Probe
from ..backends.registry import backend_for
from ..buckets import content, imports, preview, service
from ..buckets.filters import BucketQuery, count_buckets, list_buckets
from ..buckets.usage import bucket_usage
from ..buckets.views import bucket_etag, buckets_json, one_bucket_json
from ..models import Bucket
from ..state import AppState
from ..timeutil import iso, utcnow
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
    "owner",
    "-owner",
    "id",
    "-id",
    "resource",
    "-resource",
]
CredentialsTypeName = Literal[
    "KEY_SECRET_KEY_PAIR",
    "ACCOUNT_NAME_TOKEN_PAIR",
    "CONNECTION_STRING",
    "SAS_TOKEN",
    "KEY_FILE_PATH",
    "ANONYMOUS_ACCESS",
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
    resource: SearchText = None
    credentials_type: CredentialsTypeName | None = None
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
            resource=self.resource,
            credentials_type=self.credentials_type,
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


# ------------------------------------------------------------------------------ import
class BucketImport(BaseModel):
    model_config = ConfigDict(strict=True)
    provider: Text = Field(max_length=32)
    provider_bucket: Text = Field(min_length=1, max_length=1024)
    name: str | None = Field(default=None, min_length=3, max_length=63, pattern=NAME_PATTERN)
    prefix: Text | None = Field(default=None, max_length=1024)
    endpoint_url: Text | None = Field(default=None, max_length=2048)
    region: Text | None = Field(default=None, max_length=64)
    credentials: dict[Text, Text] = Field(default_factory=dict)
    description: Text | None = Field(default=None, max_length=1000)
    org: Text | None = Field(default=None, max_length=64)
    manifests: list[Annotated[str, Field(min_length=1, max_length=1024)]] = Field(
        default_factory=list, max_length=100
    )


@router.post("/buckets/import", tags=["buckets"], status_code=201)
async def buckets_import(
    body: BucketImport, p: CurrentPrincipal, state: State, x_organization: XOrganization = None
) -> Response:
    req = imports.request_from(body)
    if "org" not in body.model_fields_set:
        req.org = x_organization
    b = await imports.import_bucket(state, p, req)

    def view() -> dict[str, Any]:
        with state.db.session() as s:
            return one_bucket_json(state, s, b)

    return _json_with_etag(await run_in_threadpool(view), b, 201)


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
async def buckets_status(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    probe = await _probe(state, p, bucket)
    return {
        "status": probe.status,
        "checked_at": iso(probe.checked_at or utcnow()),
        "detail": probe.detail,
    }


@router.get("/buckets/{bucket}/actions", tags=["buckets"])
async def buckets_actions(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    probe = await _probe(state, p, bucket)
    return {"actions": list(probe.actions), "checked_at": iso(probe.checked_at or utcnow())}


async def _probe(state: AppState, p: Principal, ref: str) -> Probe:
    """The bucket's probe through its backend (cached briefly, bounded in time)."""

    def find() -> Bucket:
        with state.db.session() as s:
            return bucket_for_read(s, p, ref)

    return await backend_for(state, await run_in_threadpool(find)).probe()


@router.get("/buckets/{bucket}/usage", tags=["buckets"])
async def buckets_usage(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    def find() -> Bucket:
        with state.db.session() as s:
            return bucket_for_read(s, p, bucket)

    b = await run_in_threadpool(find)
    backend = backend_for(state, b)
    if not backend.imported:
        return bucket_usage(b)
    usage = await backend.usage()  # computed by listing the provider, cached with its time
    return {
        "bucket_id": b.id,
        "bytes": usage.bytes,
        "objects": usage.objects,
        "computed_at": iso(usage.computed_at or utcnow()),
    }


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
