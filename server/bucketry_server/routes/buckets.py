"""Managed buckets: CRUD, listing (filters, search, sort, JSON Logic), status, actions, folder
browsing, preview, usage, public toggle and temporary credentials.

``POST /buckets/import`` (external providers) comes with a later issue.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from starlette.concurrency import run_in_threadpool

from ..auth import (
    CurrentPrincipal,
    Principal,
    State,
    bucket_for_manage,
    bucket_for_read,
    can_write,
)
from ..blob_ops import delete_blob_rows, etag_matches
from ..bootstrap import issue_token
from ..ids import new_id
from ..jsonlogic import Field as FilterField
from ..jsonlogic import compile_filter
from ..keys import check_key, check_prefix, key_error
from ..maintenance import discard_objects
from ..models import Blob, Bucket, ObjectLedger, Org, Upload, UploadPart, User
from ..pagination import decode_cursor, encode_cursor, keyset_page
from ..problems import ApiProblem, forbidden, not_found
from ..state import AppState
from ..thumbnails import IMAGE_EXTENSIONS, MAX_SOURCE_BYTES, make_thumbnail
from ..timeutil import iso, utcnow
from .params import Cursor, JsonInt, PageSize, no_null_body

router = APIRouter()

MANAGED = "MANAGED"
MANAGED_ACTIONS = ["READ", "WRITE"]
NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"
#: Names that would shadow a fixed route under ``/buckets/``.
RESERVED_NAMES = frozenset({"count"})
DELETE_BATCH = 500

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


def _reject_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it up front (a 4xx, never a database 500).
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


#: A string without NUL characters (for text that reaches the database).
Text = Annotated[str, AfterValidator(_reject_nul)]
SearchText = Annotated[Text | None, Query(max_length=200)]

XOrganization = Annotated[Text | None, Header(alias="X-Organization", max_length=64)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]


# ------------------------------------------------------------------------------ JSON shapes
def bucket_etag(b: Bucket) -> str:
    return f'"{b.id}.{b.version}"'


def bucket_json(b: Bucket, owner: str, org: str | None) -> dict[str, Any]:
    managed = b.provider == MANAGED
    return {
        "id": b.id,
        "name": b.name,
        "owner": owner,
        "org": org,
        "description": b.description,
        "provider": b.provider,
        "imported": not managed,
        "provider_bucket": b.provider_bucket,
        "prefix": b.prefix,
        "endpoint_url": b.endpoint_url,
        "region": b.region,
        "credentials_set": b.credentials_enc is not None,
        "public": bool(b.public),
        "status": b.status or "AVAILABLE",
        "actions": list(MANAGED_ACTIONS if managed else (b.actions or [])),
        "manifests": list(b.manifests or []),
        "last_checked_at": iso(b.last_checked_at),
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }


def buckets_json(s: Session, buckets: Sequence[Bucket]) -> list[dict[str, Any]]:
    """Bucket bodies with owner names and org slugs loaded in two queries."""
    owner_ids = {b.owner_id for b in buckets}
    org_ids = {b.org_id for b in buckets if b.org_id is not None}
    owners = dict(s.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all())
    orgs: dict[str, str] = {}
    if org_ids:
        orgs = dict(s.execute(select(Org.id, Org.slug).where(Org.id.in_(org_ids))).all())
    return [
        bucket_json(b, owners.get(b.owner_id, ""), orgs.get(b.org_id) if b.org_id else None)
        for b in buckets
    ]


def one_bucket_json(s: Session, b: Bucket) -> dict[str, Any]:
    return buckets_json(s, [b])[0]


def _json_with_etag(body: dict[str, Any], b: Bucket, status: int = 200) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers={"ETag": bucket_etag(b)},
    )


# ------------------------------------------------------------------------------ helpers
def resolve_org(s: Session, p: Principal, slug: str) -> Org:
    """The org named ``slug`` if the caller is a member (or an admin), else 403.

    An unknown slug answers the same 403 so org names are not probed."""
    org = s.scalar(select(Org).where(Org.slug == slug))
    if org is None or (org.id not in p.org_ids and not p.is_admin):
        raise forbidden(f"you are not a member of organization {slug!r}")
    return org


def check_bucket_name(name: str) -> None:
    if name in RESERVED_NAMES:
        raise ApiProblem(
            422,
            "reserved_name",
            f"bucket name {name!r} is reserved",
            errors=[
                {"loc": ["body", "name"], "msg": "this name is reserved", "type": "value_error"}
            ],
        )


def ensure_name_free(
    s: Session, name: str, owner_id: str, org_id: str | None, exclude: str | None = None
) -> None:
    """Names are unique per owner, and within an organization."""
    same_place = Bucket.owner_id == owner_id
    if org_id is not None:
        same_place = or_(same_place, Bucket.org_id == org_id)
    stmt = select(Bucket.id).where(Bucket.name == name, same_place)
    if exclude is not None:
        stmt = stmt.where(Bucket.id != exclude)
    if s.scalar(stmt.limit(1)) is not None:
        raise ApiProblem(409, "name_taken", f"a bucket named {name!r} already exists")


def _visible(p: Principal) -> ColumnElement[bool]:
    """SQL twin of ``auth.can_see`` for listings: own and org buckets (everything for an admin);
    scoped credentials see only their buckets."""
    owned: ColumnElement[bool]
    if p.is_admin:
        owned = true()
    else:
        owned = or_(Bucket.owner_id == p.user_id, Bucket.org_id.in_(sorted(p.org_ids)))
    if p.bucket_ids is not None:
        return and_(Bucket.id.in_(sorted(p.bucket_ids)), or_(owned, Bucket.public.is_(True)))
    return owned


Owner = aliased(User, name="owner_user")
OwnerOrg = aliased(Org, name="owner_org")

FILTER_FIELDS: dict[str, FilterField] = {
    "name": FilterField(Bucket.name, "str"),
    "owner": FilterField(Owner.name, "str"),
    "org": FilterField(OwnerOrg.slug, "str", nullable=True),
    "provider": FilterField(Bucket.provider, "str"),
    "status": FilterField(Bucket.status, "str"),
    "imported": FilterField(Bucket.provider != MANAGED, "bool"),
    "public": FilterField(Bucket.public.is_(True), "bool"),
    "created_at": FilterField(Bucket.created_at, "datetime"),
}


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

    def conditions(self, s: Session, p: Principal) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [_visible(p)]
        if self.x_organization:
            conds.append(Bucket.org_id == resolve_org(s, p, self.x_organization).id)
        if self.name is not None:
            conds.append(Bucket.name == self.name)
        if self.owner is not None:
            conds.append(Owner.name == self.owner)
        if self.org is not None:
            conds.append(OwnerOrg.slug == self.org)
        if self.provider is not None:
            conds.append(Bucket.provider == self.provider)
        if self.status is not None:
            conds.append(Bucket.status == self.status)
        if self.imported is not None:
            is_managed = Bucket.provider == MANAGED
            conds.append(~is_managed if self.imported else is_managed)
        if self.search:
            conds.append(
                or_(
                    Bucket.name.icontains(self.search, autoescape=True),
                    Bucket.description.icontains(self.search, autoescape=True),
                )
            )
        if self.filter_:
            conds.append(compile_filter(self.filter_, FILTER_FIELDS))
        return conds


Filters = Annotated[BucketFilters, Depends()]


def _joined(stmt: Select[Any]) -> Select[Any]:
    return stmt.join(Owner, Owner.id == Bucket.owner_id).outerjoin(
        OwnerOrg, OwnerOrg.id == Bucket.org_id
    )


SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "name": Bucket.name,
    "created_at": Bucket.created_at,
    "updated_at": Bucket.updated_at,
    "provider": Bucket.provider,
}


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
    p.require_user()
    descending = sort.startswith("-")
    column = SORT_COLUMNS[sort.lstrip("-")]
    with state.db.session() as s:
        stmt = _joined(select(Bucket)).where(*filters.conditions(s, p))
        rows, nxt = keyset_page(
            s,
            stmt,
            [column, Bucket.id],
            cursor,
            page_size,
            descending=descending,
            tag=f"bkt:{sort}",
        )
        return {"results": buckets_json(s, rows), "next_cursor": nxt}


@router.get("/buckets/count", tags=["buckets"])
def buckets_count(p: CurrentPrincipal, state: State, filters: Filters) -> dict[str, Any]:
    p.require_user()
    with state.db.session() as s:
        stmt = select(func.count(Bucket.id)).select_from(Bucket)
        count = s.scalar(_joined(stmt).where(*filters.conditions(s, p)))
        return {"count": int(count or 0)}


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
    uid = p.require_unscoped()
    check_bucket_name(body.name)
    org_slug = body.org if "org" in body.model_fields_set else x_organization
    with state.db.session() as s:
        org = resolve_org(s, p, org_slug) if org_slug else None
        ensure_name_free(s, body.name, uid, org.id if org else None)
        now = utcnow()
        bucket = Bucket(
            id=new_id("bkt"),
            name=body.name,
            owner_id=uid,
            org_id=org.id if org else None,
            description=body.description,
            provider=MANAGED,
            public=body.public,
            status="AVAILABLE",
            actions=list(MANAGED_ACTIONS),
            manifests=[],
            version=1,
            created_at=now,
            updated_at=now,
        )
        s.add(bucket)
        try:
            s.flush()
        except IntegrityError as exc:  # a concurrent create of the same name won
            raise ApiProblem(
                409, "name_taken", f"a bucket named {body.name!r} already exists"
            ) from exc
        return one_bucket_json(s, bucket)


@router.get("/buckets/{bucket}", tags=["buckets"])
def buckets_get(bucket: str, p: CurrentPrincipal, state: State) -> Response:
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        return _json_with_etag(one_bucket_json(s, b), b)


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


def _unprocessable(field: str, msg: str, code: str = "validation_error") -> ApiProblem:
    return ApiProblem(
        422,
        code,
        f"{field}: {msg}",
        errors=[{"loc": ["body", field], "msg": msg, "type": "value_error"}],
    )


@router.patch("/buckets/{bucket}", tags=["buckets"])
def buckets_update(
    bucket: str, body: BucketUpdate, p: CurrentPrincipal, state: State, if_match: IfMatch = None
) -> Response:
    fields = body.model_fields_set
    for name in ("name", "credentials", "manifests"):
        if name in fields and getattr(body, name) is None:
            raise _unprocessable(name, "must not be null")
    if body.name is not None:
        check_bucket_name(body.name)
    for i, key in enumerate(body.manifests or []):
        if (problem := key_error(key)) is not None:
            raise _unprocessable("manifests", f"item {i}: {problem}")
    with state.db.session() as s:
        b = bucket_for_manage(s, p, bucket)
        if if_match is not None and not etag_matches(if_match, bucket_etag(b)):
            raise ApiProblem(
                412, "precondition_failed", "the bucket's ETag does not match If-Match"
            )
        if b.provider == MANAGED:
            for name in ("endpoint_url", "region", "credentials"):
                if name in fields and getattr(body, name) is not None:
                    raise _unprocessable(
                        name, "managed buckets have no provider settings", "not_applicable"
                    )
        target_org = b.org_id
        if "org" in fields:
            target_org = resolve_org(s, p, body.org).id if body.org else None
        new_name = body.name if body.name is not None else b.name
        if new_name != b.name or target_org != b.org_id:
            ensure_name_free(s, new_name, b.owner_id, target_org, exclude=b.id)
        b.name = new_name
        b.org_id = target_org
        if "description" in fields:
            b.description = body.description
        if "manifests" in fields and body.manifests is not None:
            b.manifests = list(dict.fromkeys(body.manifests))
        if b.provider != MANAGED:
            if "endpoint_url" in fields:
                b.endpoint_url = body.endpoint_url
            if "region" in fields:
                b.region = body.region
            if body.credentials is not None:
                b.credentials_enc = state.signer.encrypt(body.credentials)
        b.version = (b.version or 0) + 1
        b.updated_at = utcnow()
        try:
            s.flush()
        except IntegrityError as exc:
            raise ApiProblem(
                409, "name_taken", f"a bucket named {new_name!r} already exists"
            ) from exc
        return _json_with_etag(one_bucket_json(s, b), b)


# ------------------------------------------------------------------------------ delete
def _delete_plan(state: AppState, p: Principal, ref: str) -> tuple[str, int, int]:
    with state.db.session() as s:
        b = bucket_for_manage(s, p, ref)
        blobs, size = s.execute(
            select(func.count(Blob.id), func.coalesce(func.sum(Blob.size), 0)).where(
                Blob.bucket_id == b.id
            )
        ).one()
        return b.id, int(blobs), int(size)


def _next_blob_batch(state: AppState, bucket_id: str) -> list[int]:
    with state.db.session() as s:
        return list(
            s.scalars(select(Blob.id).where(Blob.bucket_id == bucket_id).limit(DELETE_BATCH)).all()
        )


def _drop_bucket(state: AppState, bucket_id: str, force: bool) -> tuple[list[str], int, int]:
    """Delete the bucket row with whatever is left (blobs committed meanwhile, uploads in
    progress) in one transaction; their objects are marked dead for deletion after commit."""
    with state.db.session() as s:
        b = s.get(Bucket, bucket_id, with_for_update=True)
        if b is None:
            raise not_found("bucket")
        left = s.execute(select(Blob.object_id, Blob.size).where(Blob.bucket_id == bucket_id)).all()
        if left and not force:
            raise ApiProblem(409, "bucket_not_empty", "the bucket is not empty; use force=true")
        parts = s.scalars(
            select(UploadPart.object_id)
            .join(Upload, Upload.id == UploadPart.upload_id)
            .where(Upload.bucket_id == bucket_id)
        ).all()
        doomed = [oid for oid, _ in left] + list(parts)
        now = utcnow()
        for oid in doomed:
            s.merge(ObjectLedger(object_id=oid, state="dead", created_at=now))
        upload_ids = select(Upload.id).where(Upload.bucket_id == bucket_id)
        s.execute(delete(UploadPart).where(UploadPart.upload_id.in_(upload_ids)))
        s.execute(delete(Upload).where(Upload.bucket_id == bucket_id))
        s.execute(delete(Blob).where(Blob.bucket_id == bucket_id))
        s.delete(b)
        return doomed, len(left), sum(size for _, size in left)


@router.delete("/buckets/{bucket}", tags=["buckets"])
async def buckets_delete(
    bucket: str,
    p: CurrentPrincipal,
    state: State,
    force: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    bucket_id, blobs, size = await run_in_threadpool(_delete_plan, state, p, bucket)
    if blobs and not force:
        raise ApiProblem(
            409,
            "bucket_not_empty",
            f"the bucket holds {blobs} blobs ({size} bytes); delete them or use force=true",
        )
    if dry_run:
        return {"deleted": False, "dry_run": True, "blobs": blobs, "bytes": size}
    deleted_blobs, freed = 0, 0
    if force:
        while batch := await run_in_threadpool(_next_blob_batch, state, bucket_id):
            gone = await delete_blob_rows(state, bucket_id, batch)
            deleted_blobs += len(gone)
            freed += sum(b.size for b in gone)
    doomed, late_blobs, late_bytes = await run_in_threadpool(_drop_bucket, state, bucket_id, force)
    await discard_objects(state, doomed)
    return {
        "deleted": True,
        "dry_run": False,
        "blobs": deleted_blobs + late_blobs,
        "bytes": freed + late_bytes,
    }


# ------------------------------------------------------------------------------ status, actions, usage
@router.get("/buckets/{bucket}/status", tags=["buckets"])
def buckets_status(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        if b.provider == MANAGED:
            return {"status": "AVAILABLE", "checked_at": iso(utcnow()), "detail": None}
        return {
            "status": b.status,
            "checked_at": iso(b.last_checked_at or utcnow()),
            "detail": None,
        }


@router.get("/buckets/{bucket}/actions", tags=["buckets"])
def buckets_actions(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        actions = MANAGED_ACTIONS if b.provider == MANAGED else (b.actions or [])
        return {"actions": list(actions)}


@router.get("/buckets/{bucket}/usage", tags=["buckets"])
def buckets_usage(bucket: str, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        return {
            "bucket_id": b.id,
            "bytes": max(int(b.bytes_used or 0), 0),
            "objects": max(int(b.object_count or 0), 0),
            "computed_at": iso(utcnow()),
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
        b = bucket_for_manage(s, p, bucket)
        if bool(b.public) != body.public:
            b.public = body.public
            b.version = (b.version or 0) + 1
            b.updated_at = utcnow()
            s.flush()
        return _json_with_etag(one_bucket_json(s, b), b)


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
    """Anyone who can see the bucket (not anonymously) may mint READ; READ_WRITE needs write
    rights. Scoped credentials cannot mint more (that would outlive their own expiry)."""
    req = body or TmpCredentialsRequest()
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        p.require_unscoped()
        if req.mode == "READ_WRITE" and not can_write(p, b):
            raise forbidden("READ_WRITE credentials need write access to the bucket")
        user = s.get(User, p.user_id)
        if user is None:
            raise not_found("user")
        token, secret = issue_token(
            s,
            user,
            f"tmp:{b.name}",
            kind="tmp",
            id_prefix="tmp",
            expires_in=req.expires_in,
            bucket_ids=[b.id],
            read_only=req.mode == "READ",
        )
        return {
            "token": secret,
            "bucket_id": b.id,
            "mode": req.mode,
            "expires_at": iso(token.expires_at),
        }


# ------------------------------------------------------------------------------ content
#: A manifest is read whole (then cached by etag); bigger ones are refused.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_DIR_END = chr(ord("/") + 1)  # "0": the first string after every "<dir>/..." key

Row = tuple[str, int | None, datetime | None]
Fetch = Callable[[str, bool, int], list[Row]]


def _browse(
    fetch: Fetch, prefix: str, start: tuple[str, bool] | None, page_size: int
) -> tuple[list[dict[str, Any]], tuple[str, bool] | None]:
    """One page of the folder ``prefix``: files directly in it and sub-folders (each once),
    in key order. ``fetch(bound, strict, limit)`` yields keys under ``prefix`` after ``bound``
    in order; a sub-folder's keys are skipped with one seek. Returns the entries and the
    position to resume at (None on the last page)."""
    bound, strict = start or (prefix, False)
    found: list[tuple[dict[str, Any], tuple[str, bool]]] = []
    batch = min(page_size + 1, 1000)
    while len(found) <= page_size:
        rows = fetch(bound, strict, batch)
        open_dir: str | None = None
        for key, size, modified in rows:
            rest = key[len(prefix) :]
            if open_dir is not None and rest.startswith(open_dir):
                continue
            if len(found) > page_size:
                break
            slash = rest.find("/")
            if slash >= 0:
                open_dir = rest[: slash + 1]
                entry: dict[str, Any] = {
                    "name": open_dir,
                    "type": "DIR",
                    "size": None,
                    "modified_at": None,
                }
                found.append((entry, (prefix + rest[:slash] + _DIR_END, False)))
            else:
                open_dir = None
                entry = {"name": rest, "type": "FILE", "size": size, "modified_at": iso(modified)}
                found.append((entry, (key, True)))
        if len(rows) < batch or len(found) > page_size:
            break
        if open_dir is not None:
            bound, strict = prefix + open_dir[:-1] + _DIR_END, False
        else:
            bound, strict = rows[-1][0], True
    if len(found) > page_size:
        return [e for e, _ in found[:page_size]], found[page_size - 1][1]
    return [e for e, _ in found], None


def _prefix_upper(prefix: str) -> str | None:
    """The first string after every string starting with ``prefix`` (which ends with '/')."""
    return prefix[:-1] + _DIR_END if prefix else None


def _db_fetch(state: AppState, bucket_id: str, prefix: str) -> Fetch:
    upper = _prefix_upper(prefix)

    def fetch(bound: str, strict: bool, limit: int) -> list[Row]:
        stmt = select(Blob.key, Blob.size, Blob.modified_at).where(
            Blob.bucket_id == bucket_id, Blob.key > bound if strict else Blob.key >= bound
        )
        if upper is not None:
            stmt = stmt.where(Blob.key < upper)
        with state.db.session() as s:
            return list(s.execute(stmt.order_by(Blob.key).limit(limit)).all())

    return fetch


def _list_fetch(keys: list[str], prefix: str) -> Fetch:
    upper = _prefix_upper(prefix)

    def fetch(bound: str, strict: bool, limit: int) -> list[Row]:
        i = bisect.bisect_right(keys, bound) if strict else bisect.bisect_left(keys, bound)
        out: list[Row] = []
        for key in keys[i : i + limit]:
            if upper is not None and key >= upper:
                break
            out.append((key, None, None))
        return out

    return fetch


def parse_manifest(data: bytes) -> list[str]:
    """Keys of a manifest: one per line, or JSON Lines with a ``name`` (plus an optional
    ``extension`` as in CVAT manifests). Header lines and invalid keys are skipped."""
    keys: set[str] = set()
    for raw in data.decode("utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line:
            continue
        key: str | None = line
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            key = None
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                key = item["name"]
                ext = item.get("extension")
                if isinstance(ext, str) and ext and not key.endswith(ext):
                    key += ext
        if key is not None and key_error(key) is None:
            keys.add(key)
    return sorted(keys)


class _ManifestCache:
    """The last few parsed manifests, by (object id, etag): paging re-reads nothing."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> list[str] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, str], value: list[str]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_manifests = _ManifestCache()


async def read_object(state: AppState, object_id: str, limit: int) -> bytes:
    out = bytearray()
    async for chunk in state.store.read(object_id):
        out += chunk
        if len(out) > limit:
            raise ApiProblem(400, "too_large", f"the object is larger than {limit} bytes")
    return bytes(out)


def _content_token_tag(prefix: str, manifest: str | None) -> str:
    return "cnt:" + hashlib.sha256(f"{prefix}\0{manifest or ''}".encode()).hexdigest()[:16]


def _find_blob(state: AppState, p: Principal, ref: str, key: str) -> tuple[str, Blob | None]:
    with state.db.session() as s:
        b = bucket_for_read(s, p, ref)
        blob = s.scalar(select(Blob).where(Blob.bucket_id == b.id, Blob.key == key))
        return b.id, blob


def _file_details(
    state: AppState, bucket_id: str, prefix: str, entries: list[dict[str, Any]]
) -> None:
    """Sizes and times of the manifest's files that exist as blobs (one query per page)."""
    keys = [prefix + e["name"] for e in entries if e["type"] == "FILE"]
    if not keys:
        return
    with state.db.session() as s:
        rows = s.execute(
            select(Blob.key, Blob.size, Blob.modified_at).where(
                Blob.bucket_id == bucket_id, Blob.key.in_(keys)
            )
        ).all()
    found = {key: (size, modified) for key, size, modified in rows}
    for e in entries:
        if e["type"] == "FILE" and (hit := found.get(prefix + e["name"])) is not None:
            e["size"], e["modified_at"] = hit[0], iso(hit[1])


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
    check_prefix(prefix)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if manifest_path is not None:
        check_key(manifest_path, "manifest_path")
    tag = _content_token_tag(prefix, manifest_path)
    start: tuple[str, bool] | None = None
    values = decode_cursor(next_token, 2, tag)
    if values is not None:
        bound, strict = values
        if not isinstance(bound, str) or not isinstance(strict, bool):
            raise ApiProblem(400, "bad_cursor", "the next_token is malformed")
        start = (bound, strict)

    if manifest_path is None:

        def from_db() -> tuple[list[dict[str, Any]], tuple[str, bool] | None]:
            with state.db.session() as s:
                bucket_id = bucket_for_read(s, p, bucket).id
            return _browse(_db_fetch(state, bucket_id, prefix), prefix, start, page_size)

        entries, resume = await run_in_threadpool(from_db)
    else:
        bucket_id, blob = await run_in_threadpool(_find_blob, state, p, bucket, manifest_path)
        if blob is None:
            raise ApiProblem(404, "not_found", f"manifest {manifest_path!r} not found")
        keys = _manifests.get((blob.object_id, blob.etag))
        if keys is None:
            if blob.size > MAX_MANIFEST_BYTES:
                raise ApiProblem(
                    400,
                    "manifest_too_large",
                    f"manifests are limited to {MAX_MANIFEST_BYTES} bytes",
                )
            data = await read_object(state, blob.object_id, MAX_MANIFEST_BYTES)
            keys = await run_in_threadpool(parse_manifest, data)
            _manifests.put((blob.object_id, blob.etag), keys)
        entries, resume = _browse(_list_fetch(keys, prefix), prefix, start, page_size)
        await run_in_threadpool(_file_details, state, bucket_id, prefix, entries)
    return {
        "prefix": prefix,
        "content": entries,
        "next_token": encode_cursor(list(resume), tag) if resume is not None else None,
    }


# ------------------------------------------------------------------------------ preview
PREVIEW_CANDIDATES = 5


def _preview_candidates(state: AppState, p: Principal, ref: str) -> list[tuple[str, int]]:
    with state.db.session() as s:
        b = bucket_for_read(s, p, ref)
        lowered = func.lower(Blob.key)
        is_image = or_(
            Blob.content_type.like("image/%"),
            *[lowered.like(f"%{ext}") for ext in IMAGE_EXTENSIONS],
        )
        rows = s.execute(
            select(Blob.object_id, Blob.size)
            .where(Blob.bucket_id == b.id, is_image, Blob.size > 0)
            .order_by(Blob.key)
            .limit(PREVIEW_CANDIDATES)
        )
        return list(rows.all())


@router.get("/buckets/{bucket}/preview", tags=["buckets"])
async def buckets_preview(bucket: str, p: CurrentPrincipal, state: State) -> Response:
    candidates = await run_in_threadpool(_preview_candidates, state, p, bucket)
    for object_id, size in candidates:
        if size > MAX_SOURCE_BYTES:
            continue
        try:
            data = await read_object(state, object_id, MAX_SOURCE_BYTES)
        except Exception:  # a vanished object (deleted meanwhile): try the next image
            continue
        thumb = await asyncio.to_thread(make_thumbnail, data)
        if thumb is not None:
            return Response(
                thumb,
                media_type="image/jpeg",
                headers={"Cache-Control": "private, max-age=60"},
            )
    raise ApiProblem(404, "no_preview", "the bucket holds no image to preview")
