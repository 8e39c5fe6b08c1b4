"""Buckets as API JSON (owner names and org slugs loaded in bulk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..backends.registry import backend_for
from ..models import Bucket, Org, User
from ..state import AppState
from ..timeutil import iso


def bucket_etag(b: Bucket) -> str:
    """The bucket settings' ETag (id and version)."""
    return f'"{b.id}.{b.version}"'


def bucket_json(state: AppState, b: Bucket, owner: str, org: str | None) -> dict[str, Any]:
    """One bucket as the API's ``Bucket`` (status and actions from its backend)."""
    backend = backend_for(state, b)
    probe = backend.status()
    return {
        "id": b.id,
        "name": b.name,
        "owner": owner,
        "org": org,
        "description": b.description,
        "provider": b.provider,
        "imported": backend.imported,
        "provider_bucket": b.provider_bucket,
        "prefix": b.prefix,
        "endpoint_url": b.endpoint_url,
        "region": b.region,
        "credentials_set": b.credentials_enc is not None,
        "public": bool(b.public),
        "status": probe.status,
        "actions": list(probe.actions),
        "manifests": list(b.manifests or []),
        "last_checked_at": iso(probe.checked_at if backend.imported else b.last_checked_at),
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }


def buckets_json(state: AppState, s: Session, buckets: Sequence[Bucket]) -> list[dict[str, Any]]:
    """Bucket bodies with owner names and org slugs loaded in two queries."""
    owner_ids = {b.owner_id for b in buckets}
    org_ids = {b.org_id for b in buckets if b.org_id is not None}
    owners = dict(s.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all())
    orgs: dict[str, str] = {}
    if org_ids:
        orgs = dict(s.execute(select(Org.id, Org.slug).where(Org.id.in_(org_ids))).all())
    return [
        bucket_json(state, b, owners.get(b.owner_id, ""), orgs.get(b.org_id) if b.org_id else None)
        for b in buckets
    ]


def one_bucket_json(state: AppState, s: Session, b: Bucket) -> dict[str, Any]:
    """One bucket's body (see :func:`buckets_json`)."""
    return buckets_json(state, s, [b])[0]
