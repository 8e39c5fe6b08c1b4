"""Bucket lifecycle: create, update settings, public toggle, temporary credentials, delete.
Plain values in, domain errors out; callable without a request."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_manage, bucket_for_read, can_write, resolve_org
from ..accounts.principals import Principal
from ..accounts.tokens import mint_bucket_token
from ..backends.base import MANAGED, READ_WRITE
from ..backends.conditions import etag_matches
from ..backends.managed.catalogue import mark_objects
from ..backends.managed.objects import discard_later
from ..backends.registry import backend_for
from ..backends.remote import cache as remote_cache
from ..errors import (
    Conflict,
    DomainError,
    PreconditionFailed,
    Unprocessable,
    forbidden,
    not_found,
)
from ..ids import new_id
from ..keys import key_error
from ..models import Blob, Bucket, Upload
from ..state import AppState
from ..timeutil import iso, utcnow
from .deletion import drop_uploads, hide_bucket
from .names import check_bucket_name, ensure_name_free, flush_name
from .views import bucket_etag

log = logging.getLogger("bucketry_server.buckets")

#: Fields of a bucket update that may be absent but never null.
NOT_NULL = ("name", "credentials", "manifests")
PROVIDER_SETTINGS = ("endpoint_url", "region", "credentials")


def unprocessable(field: str, msg: str, code: str = "validation_error") -> Unprocessable:
    """``Unprocessable`` naming the body ``field``."""
    return Unprocessable(
        code,
        f"{field}: {msg}",
        errors=[{"loc": ["body", field], "msg": msg, "type": "value_error"}],
    )


def create_bucket(
    s: Session,
    p: Principal,
    name: str,
    *,
    description: str | None = None,
    org: str | None = None,
    public: bool = False,
) -> Bucket:
    """A new managed bucket of the caller, in organization ``org`` if given."""
    uid = p.require_unscoped()
    check_bucket_name(name)
    org_row = resolve_org(s, p, org) if org else None
    ensure_name_free(s, name, uid, org_row.id if org_row else None)
    now = utcnow()
    bucket = Bucket(
        id=new_id("bkt"),
        name=name,
        owner_id=uid,
        org_id=org_row.id if org_row else None,
        description=description,
        provider=MANAGED,
        public=public,
        status="AVAILABLE",
        actions=list(READ_WRITE),
        manifests=[],
        version=1,
        created_at=now,
        updated_at=now,
    )
    s.add(bucket)
    flush_name(s, name)
    return bucket


def _check_changes(changes: dict[str, Any]) -> None:
    for name in NOT_NULL:
        if name in changes and changes[name] is None:
            raise unprocessable(name, "must not be null")
    if changes.get("name") is not None:
        check_bucket_name(changes["name"])
    for i, key in enumerate(changes.get("manifests") or []):
        if (problem := key_error(key)) is not None:
            raise unprocessable("manifests", f"item {i}: {problem}")


def update_bucket(
    state: AppState,
    s: Session,
    p: Principal,
    ref: str,
    changes: dict[str, Any],
    *,
    if_match: str | None = None,
) -> Bucket:
    """Apply ``changes`` (the fields given: name, description, org, endpoint_url, region,
    credentials, manifests) to a bucket the caller manages. ``if_match`` is checked against
    the bucket's ETag (412). Provider settings on a managed bucket are 422 ``not_applicable``."""
    _check_changes(changes)
    b = bucket_for_manage(s, p, ref)
    if if_match is not None and not etag_matches(if_match, bucket_etag(b)):
        raise PreconditionFailed("precondition_failed", "the bucket's ETag does not match If-Match")
    imported = backend_for(state, b).imported
    if not imported:
        for name in PROVIDER_SETTINGS:
            if changes.get(name) is not None:
                raise unprocessable(
                    name, "managed buckets have no provider settings", "not_applicable"
                )
    target_org = b.org_id
    if "org" in changes:
        target_org = resolve_org(s, p, changes["org"]).id if changes["org"] else None
    new_name = changes.get("name") or b.name
    if new_name != b.name or target_org != b.org_id:
        ensure_name_free(s, new_name, b.owner_id, target_org, exclude=b.id)
    b.name = new_name
    b.org_id = target_org
    if "description" in changes:
        b.description = changes["description"]
    if changes.get("manifests") is not None:
        b.manifests = list(dict.fromkeys(changes["manifests"]))
    if imported:
        _provider_changes(state, b, changes)
    _touch(b)
    flush_name(s, new_name)
    return b


def _provider_changes(state: AppState, b: Bucket, changes: dict[str, Any]) -> None:
    """Endpoint (through the SSRF guard), region and credentials (checked, sealed; the bucket
    keeps its id) of an imported bucket; its cached client and probe are dropped."""
    from ..backends.remote import cache
    from ..netguard import check_url
    from .imports import replace_credentials

    if changes.get("endpoint_url"):
        check_url(changes["endpoint_url"], state.settings.allowed_networks)
    for name in ("endpoint_url", "region"):
        if name in changes:
            setattr(b, name, changes[name])
    if changes.get("credentials") is not None:
        replace_credentials(state, b, changes["credentials"])
    cache.forget(state, b.id)


def _touch(b: Bucket) -> None:
    b.version = (b.version or 0) + 1
    b.updated_at = utcnow()


def set_public(s: Session, p: Principal, ref: str, public: bool) -> Bucket:
    """Make a bucket the caller manages public (anonymously readable) or private."""
    b = bucket_for_manage(s, p, ref)
    if bool(b.public) != public:
        b.public = public
        _touch(b)
        s.flush()
    return b


def tmp_credentials(
    s: Session, p: Principal, ref: str, mode: str, expires_in: int
) -> dict[str, Any]:
    """Temporary credentials for one bucket (``TmpCredentials``). Anyone who can see the
    bucket (not anonymously) may mint ``READ``; ``READ_WRITE`` needs write rights. Scoped
    credentials cannot mint more (that would outlive their own expiry)."""
    b = bucket_for_read(s, p, ref)
    p.require_unscoped()
    if mode == "READ_WRITE" and not can_write(p, b):
        raise forbidden("READ_WRITE credentials need write access to the bucket")
    token, secret = mint_bucket_token(
        s, p, b.id, b.name, read_only=mode == "READ", expires_in=expires_in
    )
    return {
        "token": secret,
        "bucket_id": b.id,
        "mode": mode,
        "expires_at": iso(token.expires_at),
    }


# ------------------------------------------------------------------------------ delete
def _delete_plan(state: AppState, p: Principal, ref: str) -> tuple[Bucket, bool, int, int]:
    """The bucket, whether it holds any blob, and its blob count and bytes (its counters:
    constant work whatever the number of blobs)."""
    with state.db.session() as s:
        b = bucket_for_manage(s, p, ref)
        held = s.scalar(select(Blob.id).where(Blob.bucket_id == b.id).limit(1)) is not None
        return b, held, max(int(b.object_count or 0), 0), max(int(b.bytes_used or 0), 0)


def _drop_bucket(
    state: AppState, bucket_id: str, force: bool
) -> tuple[list[str], int, int, list[tuple[str, str]]]:
    """Delete the bucket row with whatever is left (blobs committed meanwhile, uploads in
    progress) in one transaction; their objects are marked dead for deletion after commit.
    Also returns the ``(key, handle)`` of uploads on the provider's own multipart, to abort."""
    with state.db.session() as s:
        b = s.get(Bucket, bucket_id, with_for_update=True)
        if b is None or b.deleted_at is not None:  # a concurrent forced delete hid it
            raise not_found("bucket")
        left = s.execute(select(Blob.object_id, Blob.size).where(Blob.bucket_id == bucket_id)).all()
        if left and not force:
            raise Conflict("bucket_not_empty", "the bucket is not empty; use force=true")
        native = [
            (key, handle)
            for key, handle in s.execute(
                select(Upload.key, Upload.provider_upload).where(
                    Upload.bucket_id == bucket_id, Upload.provider_upload.is_not(None)
                )
            ).all()
            if handle
        ]
        blob_objects = [oid for oid, _ in left]
        mark_objects(s, blob_objects, "dead")
        doomed = blob_objects + drop_uploads(s, bucket_id)  # parts committing now, or refused
        s.execute(delete(Blob).where(Blob.bucket_id == bucket_id))
        s.delete(b)
        return doomed, len(left), sum(size for _, size in left), native


async def _abort_provider_uploads(
    state: AppState, b: Bucket, uploads: list[tuple[str, str]]
) -> None:
    """Abort the provider uploads of a deleted bucket, best effort (its rows are gone)."""
    native = backend_for(state, b).native_multipart() if uploads else None
    if native is None:
        return
    for key, handle in uploads:
        try:
            await native.abort_upload(key, handle)
        except DomainError as exc:
            log.warning("provider upload of %r not aborted: %s", key, exc.detail)


async def delete_bucket(
    state: AppState, p: Principal, ref: str, *, force: bool = False, dry_run: bool = False
) -> dict[str, Any]:
    """Delete a bucket the caller manages (``BucketDeleteResult``). A bucket holding blobs
    needs ``force`` (409 ``bucket_not_empty``); ``dry_run`` only reports what would go.

    A forced delete of a managed bucket holding blobs answers after one short transaction:
    the bucket is hidden from every request and its name is free at once; its blobs, uploads
    and files are purged in the background (:mod:`.deletion`). Any other delete (an empty
    bucket, an imported one: only the catalogue rows, never the provider's objects) drops the
    row at once. Raises ``NotFound``/``Forbidden`` as :func:`bucket_for_manage`."""
    b, held, blobs, size = await run_in_threadpool(_delete_plan, state, p, ref)
    if held and not force:
        raise Conflict(
            "bucket_not_empty",
            f"the bucket holds {blobs} blobs ({size} bytes); delete them or use force=true",
        )
    if dry_run:
        return {"deleted": False, "dry_run": True, "blobs": blobs, "bytes": size}
    if held and not backend_for(state, b).imported:
        blobs, size = await run_in_threadpool(hide_bucket, state, b.id)
        state.wake_purge()
        return {"deleted": True, "dry_run": False, "blobs": blobs, "bytes": size}
    doomed, late_blobs, late_bytes, native = await run_in_threadpool(
        _drop_bucket, state, b.id, force
    )
    discard_later(state, doomed)  # marked dead in the commit: the files go after the answer
    await _abort_provider_uploads(state, b, native)
    remote_cache.forget(state, b.id)  # an imported bucket's client and probe (provider untouched)
    return {"deleted": True, "dry_run": False, "blobs": late_blobs, "bytes": late_bytes}
