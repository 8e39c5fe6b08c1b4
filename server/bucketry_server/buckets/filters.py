"""Which buckets a listing shows: visibility, the simple filters, search and JSON Logic
(``filter=``, see :mod:`.jsonlogic`), and the sort orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from ..accounts.access import resolve_org, visible
from ..accounts.principals import Principal
from ..backends.base import MANAGED
from ..models import Bucket, Org, User
from ..pagination import keyset_page
from .jsonlogic import Field as FilterField
from .jsonlogic import compile_filter

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

SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "name": Bucket.name,
    "created_at": Bucket.created_at,
    "updated_at": Bucket.updated_at,
    "provider": Bucket.provider,
}


@dataclass
class BucketQuery:
    """The filters shared by bucket listings and counts (all optional)."""

    organization: str | None = None  # X-Organization: only that org's buckets
    name: str | None = None
    owner: str | None = None
    org: str | None = None
    provider: str | None = None
    status: str | None = None
    imported: bool | None = None
    search: str | None = None
    filter: str | None = None  # JSON Logic

    def conditions(self, s: Session, p: Principal) -> list[ColumnElement[bool]]:
        """SQL conditions: visible to ``p`` and matching every filter given. Raises
        ``Forbidden`` for an organization ``p`` is not a member of, ``Invalid`` for a bad
        JSON Logic filter."""
        conds: list[ColumnElement[bool]] = [visible(p)]
        if self.organization:
            conds.append(Bucket.org_id == resolve_org(s, p, self.organization).id)
        for column, value in (
            (Bucket.name, self.name),
            (Owner.name, self.owner),
            (OwnerOrg.slug, self.org),
            (Bucket.provider, self.provider),
            (Bucket.status, self.status),
        ):
            if value is not None:
                conds.append(column == value)
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
        if self.filter:
            conds.append(compile_filter(self.filter, FILTER_FIELDS))
        return conds


def _joined(stmt: Select[Any]) -> Select[Any]:
    return stmt.join(Owner, Owner.id == Bucket.owner_id).outerjoin(
        OwnerOrg, OwnerOrg.id == Bucket.org_id
    )


def list_buckets(
    s: Session, p: Principal, query: BucketQuery, sort: str, cursor: str | None, page_size: int
) -> tuple[list[Bucket], str | None]:
    """One page of the buckets ``p`` sees that match ``query``, sorted by ``sort`` (a key of
    :data:`SORT_COLUMNS`, ``-`` prefixed for descending); 401 if anonymous."""
    p.require_user()
    descending = sort.startswith("-")
    column = SORT_COLUMNS[sort.lstrip("-")]
    stmt = _joined(select(Bucket)).where(*query.conditions(s, p))
    return keyset_page(
        s, stmt, [column, Bucket.id], cursor, page_size, descending=descending, tag=f"bkt:{sort}"
    )


def count_buckets(s: Session, p: Principal, query: BucketQuery) -> int:
    """How many buckets ``p`` sees that match ``query``; 401 if anonymous."""
    p.require_user()
    stmt = select(func.count(Bucket.id)).select_from(Bucket)
    return int(s.scalar(_joined(stmt).where(*query.conditions(s, p))) or 0)
