"""What a principal may do with a bucket, and how ``{bucket}`` (an id or a name) resolves.

Rules: a resource the caller may not see answers 404 (its existence is not leaked); one they may
see but not change answers 403. Scoped credentials (temporary or persistent) act as their user
restricted to a set of buckets, optionally read-only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from ..errors import forbidden, not_found
from ..models import Bucket, Org
from .principals import Principal


def owns(p: Principal, bucket: Bucket) -> bool:
    """Full rights through ownership, org membership or admin (before scoping)."""
    if p.user_id is None:
        return False
    return (
        p.is_admin
        or bucket.owner_id == p.user_id
        or (bucket.org_id is not None and bucket.org_id in p.org_ids)
    )


def can_see(p: Principal, bucket: Bucket) -> bool:
    """Whether ``p`` may read the bucket (in scope and owned, or public)."""
    in_scope = p.bucket_ids is None or bucket.id in p.bucket_ids
    return (in_scope and owns(p, bucket)) or bucket.public


def can_write(p: Principal, bucket: Bucket) -> bool:
    """Whether ``p`` may write to the bucket (in scope, owned, not read-only)."""
    in_scope = p.bucket_ids is None or bucket.id in p.bucket_ids
    return in_scope and owns(p, bucket) and not p.read_only


def can_manage(p: Principal, bucket: Bucket) -> bool:
    """Settings, deletion, public toggle, credentials: never through scoped credentials."""
    return not p.scoped and owns(p, bucket)


def resolve_org(session: Session, p: Principal, slug: str) -> Org:
    """The org named ``slug`` if the caller is a member (or an admin), else 403.

    An unknown slug answers the same 403 so org names are not probed."""
    org = session.scalar(select(Org).where(Org.slug == slug))
    if org is None or (org.id not in p.org_ids and not p.is_admin):
        raise forbidden(f"you are not a member of organization {slug!r}")
    return org


def find_bucket(session: Session, p: Principal, ref: str) -> Bucket:
    """Resolve ``{bucket}`` (id or name) to a bucket the caller can see, else 404.

    A name is looked up in the request's ``X-Organization`` org first (403 if the caller is
    not a member, as for listings), then among the caller's personal buckets, their other
    buckets, their organizations', and finally public buckets.
    """
    if "\x00" in ref:  # never a valid id or name (and PostgreSQL text cannot hold it)
        raise not_found("bucket")
    if ref.startswith("bkt_"):
        bucket = session.get(Bucket, ref)
        if bucket is None or bucket.deleted_at is not None or not can_see(p, bucket):
            raise not_found("bucket")
        return bucket
    org_id = resolve_org(session, p, p.org_slug).id if p.org_slug else None
    rows = session.scalars(
        select(Bucket).where(Bucket.name == ref, Bucket.deleted_at.is_(None))
    ).all()
    candidates = [b for b in rows if can_see(p, b)]
    if not candidates:
        raise not_found("bucket")

    def rank(b: Bucket) -> tuple[int, str]:
        if org_id is not None and b.org_id == org_id:
            tier = 0
        elif b.owner_id == p.user_id and b.org_id is None:
            tier = 1
        elif b.owner_id == p.user_id:
            tier = 2
        elif owns(p, b):
            tier = 3
        else:
            tier = 4
        return (tier, b.created_at.isoformat())

    return min(candidates, key=rank)


def bucket_for_read(session: Session, p: Principal, ref: str) -> Bucket:
    """Bucket ``ref`` if ``p`` may read it; else ``NotFound``."""
    return find_bucket(session, p, ref)


def bucket_for_write(session: Session, p: Principal, ref: str) -> Bucket:
    """Bucket ``ref`` if ``p`` may write to it; ``NotFound``, ``Unauthenticated`` or ``Forbidden``."""
    bucket = find_bucket(session, p, ref)
    if p.anonymous:
        p.require_user()
    if not can_write(p, bucket):
        raise forbidden("this bucket is read-only for you")
    return bucket


def bucket_for_manage(session: Session, p: Principal, ref: str) -> Bucket:
    """Bucket ``ref`` if ``p`` may change its settings; ``NotFound``, ``Unauthenticated`` or ``Forbidden``."""
    bucket = find_bucket(session, p, ref)
    if p.anonymous:
        p.require_user()
    if not can_manage(p, bucket):
        raise forbidden("only the bucket's owner or organization can change its settings")
    return bucket


def visible(p: Principal) -> ColumnElement[bool]:
    """SQL twin of :func:`can_see` for listings: own and org buckets (everything for an admin);
    scoped credentials see only their buckets. Never a bucket a forced delete hid."""
    owned: ColumnElement[bool]
    if p.is_admin:
        owned = true()
    else:
        owned = or_(Bucket.owner_id == p.user_id, Bucket.org_id.in_(sorted(p.org_ids)))
    live = Bucket.deleted_at.is_(None)
    if p.bucket_ids is not None:
        return and_(live, Bucket.id.in_(sorted(p.bucket_ids)), or_(owned, Bucket.public.is_(True)))
    return and_(live, owned)
