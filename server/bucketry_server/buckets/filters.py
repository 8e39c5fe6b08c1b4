"""Which buckets a listing shows: visibility, the simple filters, search and JSON Logic
(``filter=``, see :mod:`.jsonlogic`), and the sort orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from ..accounts.access import resolve_org, visible
from ..accounts.principals import Principal
from ..backends.base import MANAGED
from ..models import Bucket, Org, User
from ..pagination import decode_cursor, encode_cursor, keyset_page
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
    "updated_at": FilterField(Bucket.updated_at, "datetime"),
    "id": FilterField(Bucket.id, "str"),
    "resource": FilterField(Bucket.provider_bucket, "str", nullable=True),
    "credentials_type": FilterField(Bucket.credentials_type, "str", nullable=True),
}

SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "name": Bucket.name,
    "created_at": Bucket.created_at,
    "updated_at": Bucket.updated_at,
    "provider": Bucket.provider,
    "id": Bucket.id,
}
#: Sorts on a value that is not a bucket column (read back with the row for the cursor):
#: the owner's name, and the provider's bucket name (managed buckets have none: "").
SORT_EXPRESSIONS: dict[str, ColumnElement[Any]] = {
    "owner": cast("ColumnElement[Any]", Owner.name),
    "resource": func.coalesce(Bucket.provider_bucket, ""),
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
    resource: str | None = None  # the provider's bucket name contains this
    credentials_type: str | None = None
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
            (Bucket.credentials_type, self.credentials_type),
        ):
            if value is not None:
                conds.append(column == value)
        if self.imported is not None:
            is_managed = Bucket.provider == MANAGED
            conds.append(~is_managed if self.imported else is_managed)
        if self.resource:
            conds.append(Bucket.provider_bucket.icontains(self.resource, autoescape=True))
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
    :data:`SORT_COLUMNS` or :data:`SORT_EXPRESSIONS`, ``-`` prefixed for descending, ties
    broken by id); 401 if anonymous, 400 ``bad_cursor`` for a cursor of another listing."""
    p.require_user()
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    stmt = _joined(select(Bucket)).where(*query.conditions(s, p))
    tag = f"bkt:{sort}"
    if field in SORT_EXPRESSIONS:
        return _expression_page(
            s, stmt, SORT_EXPRESSIONS[field], cursor, page_size, descending, tag
        )
    keys = [Bucket.id] if field == "id" else [SORT_COLUMNS[field], Bucket.id]
    return keyset_page(s, stmt, keys, cursor, page_size, descending=descending, tag=tag)


def _expression_page(
    s: Session,
    stmt: Select[Any],
    expr: ColumnElement[Any],
    cursor: str | None,
    page_size: int,
    descending: bool,
    tag: str,
) -> tuple[list[Bucket], str | None]:
    """A keyset page ordered by (``expr``, id), ``expr`` a non-null string expression."""
    after = decode_cursor(cursor, 2, tag, [str, str])
    if after is not None:
        pair, at = tuple_(expr, Bucket.id), tuple_(*after)
        stmt = stmt.where(pair < at if descending else pair > at)
    order = [expr.desc(), Bucket.id.desc()] if descending else [expr.asc(), Bucket.id.asc()]
    rows = s.execute(stmt.add_columns(expr).order_by(*order).limit(page_size + 1)).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    nxt = encode_cursor([rows[-1][1], rows[-1][0].id], tag) if more else None
    return [row[0] for row in rows], nxt


def count_buckets(s: Session, p: Principal, query: BucketQuery) -> int:
    """How many buckets ``p`` sees that match ``query``; 401 if anonymous."""
    p.require_user()
    stmt = select(func.count(Bucket.id)).select_from(Bucket)
    return int(s.scalar(_joined(stmt).where(*query.conditions(s, p))) or 0)
