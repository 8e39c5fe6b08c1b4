"""Asset queries with every filter of Kili's ``assets()``/``count_assets()``.

Each filter becomes a SQL condition on ``Asset`` with bound parameters; the same SQL runs on
SQLite and PostgreSQL (``metadata_where`` reads ``asset_meta``, ``label_category_search``
reads ``asset_categories``, so no JSON function is needed). Label filters (``label_*``) hold
when ONE label of the asset satisfies all of them. Pages are keyset pages on the time-ordered
asset id.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..errors import Invalid
from ..models import Asset, AssetMeta, Label, User
from ..pagination import decode_cursor, encode_cursor
from .category import compile_search
from .rows import MAX_META_KEY, MAX_META_TEXT, indexable, meta_scalar
from .views import Fields, asset_json, load_labels, load_latest

MAX_METADATA_KEYS = 20
MAX_ANY_OF = 100


@dataclass
class AssetFilters:
    """Every filter of the query; None (or empty) means "not filtered"."""

    asset_id_in: list[str] | None = None
    external_id_in: list[str] | None = None
    external_id_contains: str | None = None
    status_in: list[str] | None = None
    metadata_where: str | None = None
    skipped: bool | None = None
    is_honeypot: bool | None = None
    consensus_mark_gt: float | None = None
    consensus_mark_lt: float | None = None
    honeypot_mark_gt: float | None = None
    honeypot_mark_lt: float | None = None
    updated_at_gte: datetime | None = None
    updated_at_lte: datetime | None = None
    label_type_in: list[str] | None = None
    label_author_in: list[str] | None = None
    label_consensus_mark_gt: float | None = None
    label_consensus_mark_lt: float | None = None
    label_honeypot_mark_gt: float | None = None
    label_honeypot_mark_lt: float | None = None
    label_created_at: date | None = None
    label_created_at_gt: datetime | None = None
    label_created_at_lt: datetime | None = None
    label_category_search: str | None = None


def _bad(param: str, msg: str, code: str = "invalid_parameter") -> Invalid:
    return Invalid(
        code, f"{param}: {msg}", errors=[{"loc": ["query", param], "msg": msg, "type": code}]
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _meta_equals(meta: Any, key: str, value: Any) -> ColumnElement[bool]:
    scalar = meta_scalar(value)
    if scalar is None or (not _number(value) and scalar[0] is None):
        raise _bad(
            "metadata_where",
            f"value of {key!r} must be a string (up to {MAX_META_TEXT} characters, no NUL), a number "
            "or a boolean, a list of those, or a [low, high] numeric range",
            "bad_metadata_where",
        )
    if _number(value):
        return cast(ColumnElement[bool], meta.num_value == float(value))
    return cast(ColumnElement[bool], meta.text_value == scalar[0])


def _meta_match(meta: Any, key: str, value: Any) -> ColumnElement[bool]:
    """The condition on one ``asset_meta`` row (``meta``: the table or an alias) for the
    ``metadata_where`` value of ``key``; raises ``Invalid`` for a bad value."""
    if isinstance(value, list):
        if not value or len(value) > MAX_ANY_OF:
            raise _bad(
                "metadata_where",
                f"list of {key!r} must hold 1 to {MAX_ANY_OF} values",
                "bad_metadata_where",
            )
        if len(value) == 2 and all(_number(v) for v in value):
            return cast(
                ColumnElement[bool], meta.num_value.between(float(value[0]), float(value[1]))
            )
        return or_(*[_meta_equals(meta, key, v) for v in value])
    return _meta_equals(meta, key, value)


def parse_metadata(text: str) -> list[tuple[str, Any]]:
    """The ``(key, value)`` pairs of ``metadata_where`` (JSON text), keys checked. Raises
    ``Invalid`` (``bad_metadata_where``) naming the key or the JSON error."""
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise _bad("metadata_where", f"not JSON: {exc}", "bad_metadata_where") from exc
    if not isinstance(spec, dict) or not spec:
        raise _bad("metadata_where", "must be a non-empty JSON object", "bad_metadata_where")
    if len(spec) > MAX_METADATA_KEYS:
        raise _bad("metadata_where", f"at most {MAX_METADATA_KEYS} keys", "bad_metadata_where")
    for key in spec:
        if not key or not indexable(key, MAX_META_KEY):
            raise _bad(
                "metadata_where",
                f"keys must have 1 to {MAX_META_KEY} characters and no NUL",
                "bad_metadata_where",
            )
    return list(spec.items())


def metadata_condition(text: str) -> ColumnElement[bool]:
    """SQL on ``Asset`` for ``metadata_where`` (JSON text): ``{k: v}`` equality, ``{k: [v1,
    v2]}`` any of, ``{k: [lo, hi]}`` inclusive numeric range when both bounds are numbers; one
    correlated ``EXISTS`` probe of the ``(asset_id, key)`` primary key per asset and key, so a
    page stops as soon as it is full. Raises ``Invalid`` (``bad_metadata_where``) naming the
    key or the JSON error."""
    return and_(*[_meta_exists(key, value) for key, value in parse_metadata(text)])


def _meta_exists(key: str, value: Any) -> ColumnElement[bool]:
    """``EXISTS`` an ``asset_meta`` row of the asset for ``key`` matching ``value``."""
    return exists().where(
        AssetMeta.asset_id == Asset.id, AssetMeta.key == key, _meta_match(AssetMeta, key, value)
    )


def _label_condition(f: AssetFilters) -> ColumnElement[bool] | None:
    conds: list[ColumnElement[bool]] = []
    if f.label_type_in:
        conds.append(Label.label_type.in_(f.label_type_in))
    if f.label_author_in:
        authors = select(User.id).where(
            or_(User.id.in_(f.label_author_in), User.name.in_(f.label_author_in))
        )
        conds.append(Label.author_id.in_(authors))
    for value, column, above in (
        (f.label_consensus_mark_gt, Label.consensus_mark, True),
        (f.label_consensus_mark_lt, Label.consensus_mark, False),
        (f.label_honeypot_mark_gt, Label.honeypot_mark, True),
        (f.label_honeypot_mark_lt, Label.honeypot_mark, False),
    ):
        if value is not None:
            conds.append(column > value if above else column < value)
    if f.label_created_at is not None:
        day = datetime.combine(f.label_created_at, datetime.min.time())
        conds.append(and_(Label.created_at >= day, Label.created_at < day + timedelta(days=1)))
    if f.label_created_at_gt is not None:
        conds.append(Label.created_at > f.label_created_at_gt)
    if f.label_created_at_lt is not None:
        conds.append(Label.created_at < f.label_created_at_lt)
    if not conds:
        return None
    return exists().where(Label.asset_id == Asset.id, *conds)


def conditions(project_id: str, f: AssetFilters) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``f`` on the assets of ``project_id``; raises ``Invalid`` naming
    the bad parameter (metadata_where, label_category_search, a NaN bound)."""
    conds: list[ColumnElement[bool]] = [Asset.project_id == project_id]
    if f.asset_id_in:
        conds.append(Asset.id.in_(f.asset_id_in))
    if f.external_id_in:
        conds.append(Asset.external_id.in_(f.external_id_in))
    if f.external_id_contains:
        conds.append(Asset.external_id.like(_like(f.external_id_contains), escape="\\"))
    if f.status_in:
        conds.append(Asset.status.in_(f.status_in))
    if f.metadata_where:
        conds.append(metadata_condition(f.metadata_where))
    if f.skipped is not None:
        conds.append(Asset.skipped == f.skipped)
    if f.is_honeypot is not None:
        conds.append(Asset.is_honeypot == f.is_honeypot)
    for name, column, above in (
        ("consensus_mark_gt", Asset.consensus_mark, True),
        ("consensus_mark_lt", Asset.consensus_mark, False),
        ("honeypot_mark_gt", Asset.honeypot_mark, True),
        ("honeypot_mark_lt", Asset.honeypot_mark, False),
        ("label_consensus_mark_gt", None, True),
        ("label_consensus_mark_lt", None, False),
        ("label_honeypot_mark_gt", None, True),
        ("label_honeypot_mark_lt", None, False),
    ):
        value = getattr(f, name)
        if value is not None and not math.isfinite(value):
            raise _bad(name, "must be a finite number")
        if value is not None and column is not None:
            conds.append(column > value if above else column < value)
    if f.updated_at_gte is not None:
        conds.append(Asset.updated_at >= f.updated_at_gte)
    if f.updated_at_lte is not None:
        conds.append(Asset.updated_at <= f.updated_at_lte)
    label = _label_condition(f)
    if label is not None:
        conds.append(label)
    if f.label_category_search:
        conds.append(compile_search(f.label_category_search))
    return conds


def count_statement(project_id: str, f: AssetFilters) -> Select[int]:
    """The SQL counting the assets of ``project_id`` that match ``f``; raises ``Invalid`` like
    :func:`conditions`.

    With ``metadata_where`` the count is driven by the ``asset_meta`` index of the project's
    first key and value (one row per asset and key, so each matching asset counts once);
    other keys are ``EXISTS`` probes of the ``(asset_id, key)`` primary key. ``assets`` is
    joined only when another filter needs its columns: a metadata-only count reads nothing
    but the covering index ``ix_asset_meta_text`` / ``ix_asset_meta_num``."""
    if not f.metadata_where:
        return select(func.count()).select_from(Asset).where(*conditions(project_id, f))
    pairs = parse_metadata(f.metadata_where)
    rest = conditions(project_id, replace(f, metadata_where=None))
    driver = aliased(AssetMeta, name="meta_0")
    key, value = pairs[0]
    where = [driver.project_id == project_id, driver.key == key, _meta_match(driver, key, value)]
    for n, (key, value) in enumerate(pairs[1:], start=1):
        other = aliased(AssetMeta, name=f"meta_{n}")
        where.append(
            exists().where(
                other.asset_id == driver.asset_id, other.key == key, _meta_match(other, key, value)
            )
        )
    stmt = select(func.count()).select_from(driver).where(*where)
    if len(rest) > 1:  # rest[0] is the project, already implied by asset_meta.project_id
        stmt = stmt.join(Asset, Asset.id == driver.asset_id).where(*rest)
    return stmt


def count_assets(session: Session, project_id: str, f: AssetFilters) -> int:
    """How many assets of the project match ``f``; raises ``Invalid`` for a bad filter."""
    return int(session.scalar(count_statement(project_id, f)) or 0)


def _page_statement(
    project_id: str, f: AssetFilters, columns: list[Any]
) -> tuple[Select[Any], Any]:
    """``(SELECT of columns, ordering column)`` of a page. With a ``metadata_where`` equality
    (``{k: v}``, not a list) the page walks the project's ``asset_meta`` index of ``k = v``,
    which is in asset-id order, and joins each asset by key: a rare or absent value costs its
    matches only, not a scan of every asset. Otherwise the project's assets in id order, each
    probed with the filters."""
    pairs = parse_metadata(f.metadata_where) if f.metadata_where else []
    equal = [key for key, value in pairs if not isinstance(value, list)]
    if not equal:
        return select(*columns).where(*conditions(project_id, f)), Asset.id
    driver = aliased(AssetMeta, name="meta_0")
    key, value = equal[0], dict(pairs)[equal[0]]
    where = [
        driver.project_id == project_id,
        driver.key == key,
        _meta_match(driver, key, value),
        *conditions(project_id, replace(f, metadata_where=None)),
        *[_meta_exists(k, v) for k, v in pairs if k != key],
    ]
    stmt = select(*columns).select_from(driver).join(Asset, Asset.id == driver.asset_id)
    return stmt.where(*where), driver.asset_id


def list_assets(
    session: Session,
    project_id: str,
    f: AssetFilters,
    fields: Fields,
    cursor: str | None,
    page_size: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One keyset page (creation order) of the matching assets, each with only ``fields``.

    Only the selected columns are read; labels are read in one query per page when asked.
    Raises ``Invalid`` for a bad filter or cursor."""
    after = decode_cursor(cursor, 1, "assets", [str])
    names = set(fields.asset) | {"id"}
    if fields.latest_label is not None:
        names.add("latest_label_id")
    ordered = sorted(names)
    stmt, order = _page_statement(project_id, f, [getattr(Asset, n) for n in ordered])
    if after is not None:
        stmt = stmt.where(order > after[0])
    result = session.execute(stmt.order_by(order).limit(page_size + 1))
    rows = [dict(zip(ordered, row, strict=True)) for row in result]
    nxt = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        nxt = encode_cursor([rows[-1]["id"]], "assets")
    labels = (
        load_labels(session, [r["id"] for r in rows], fields.labels)
        if fields.labels is not None
        else None
    )
    latest = (
        load_latest(
            session,
            [r["latest_label_id"] for r in rows if r["latest_label_id"]],
            fields.latest_label,
        )
        if fields.latest_label is not None
        else None
    )
    return [asset_json(r, fields, labels, latest) for r in rows], nxt
