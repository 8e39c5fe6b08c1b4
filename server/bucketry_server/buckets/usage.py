"""Space usage of buckets, from the counters every commit keeps up to date."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..accounts.principals import Principal
from ..models import Bucket
from ..timeutil import iso, utcnow


def account_usage(s: Session, p: Principal) -> dict[str, Any]:
    """Totals and per-bucket figures over the buckets the caller owns or shares through an
    organization (scoped credentials: their buckets only); 401 if anonymous. A bucket whose
    forced delete answered no longer counts, even while its blobs are being purged."""
    uid = p.require_user()
    mine = or_(Bucket.owner_id == uid, Bucket.org_id.in_(sorted(p.org_ids)))
    stmt = select(Bucket.id, Bucket.name, Bucket.bytes_used, Bucket.object_count).where(
        mine,
        Bucket.deleted_at.is_(None),  # a deleted bucket stops counting at once
    )
    if p.bucket_ids is not None:
        stmt = stmt.where(Bucket.id.in_(sorted(p.bucket_ids)))
    rows = s.execute(stmt.order_by(Bucket.name, Bucket.id)).all()
    items = [
        {
            "bucket_id": bid,
            "name": name,
            "bytes": max(int(size or 0), 0),
            "objects": max(int(n or 0), 0),
        }
        for bid, name, size, n in rows
    ]
    return {
        "bytes": sum(i["bytes"] for i in items),
        "objects": sum(i["objects"] for i in items),
        "buckets": items,
    }


def bucket_usage(bucket: Bucket) -> dict[str, Any]:
    """One bucket's usage (``BucketUsage``) from its counters."""
    return {
        "bucket_id": bucket.id,
        "bytes": max(int(bucket.bytes_used or 0), 0),
        "objects": max(int(bucket.object_count or 0), 0),
        "computed_at": iso(utcnow()),
    }
