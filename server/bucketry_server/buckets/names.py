"""Bucket names: reserved names and uniqueness per owner and organization (shared by the
creation of managed buckets and the registration of imported ones)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, Unprocessable
from ..models import Bucket

#: Names that would shadow a fixed route under ``/buckets/``.
RESERVED_NAMES = frozenset({"count"})


def check_bucket_name(name: str) -> None:
    """Refuse reserved names (422 ``reserved_name``)."""
    if name in RESERVED_NAMES:
        raise Unprocessable(
            "reserved_name",
            f"bucket name {name!r} is reserved",
            errors=[
                {"loc": ["body", "name"], "msg": "this name is reserved", "type": "value_error"}
            ],
        )


def ensure_name_free(
    s: Session, name: str, owner_id: str, org_id: str | None, exclude: str | None = None
) -> None:
    """Names are unique per owner, and within an organization (409 ``name_taken``)."""
    same_place = Bucket.owner_id == owner_id
    if org_id is not None:
        same_place = or_(same_place, Bucket.org_id == org_id)
    stmt = select(Bucket.id).where(Bucket.name == name, same_place)
    if exclude is not None:
        stmt = stmt.where(Bucket.id != exclude)
    if s.scalar(stmt.limit(1)) is not None:
        raise Conflict("name_taken", f"a bucket named {name!r} already exists")


def flush_name(s: Session, name: str) -> None:
    """Flush a new or renamed bucket; a concurrent create or rename to the same name that won
    the race is a 409 ``name_taken``."""
    try:
        s.flush()
    except IntegrityError as exc:  # a concurrent create or rename to the same name won
        raise Conflict("name_taken", f"a bucket named {name!r} already exists") from exc
