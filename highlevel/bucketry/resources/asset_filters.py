"""The asset filters of ``project.assets.list/count`` (Kili's ``assets()``/``count_assets()``
names) as typed keyword arguments, checked and mapped to the query parameters of
``GET /projects/{id}/assets`` before any request."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypedDict, cast

from bucketry_api.models.label_type import LABEL_TYPE_VALUES

__all__ = ["ASSET_STATUSES", "LABEL_TYPES", "AssetFilters", "matches_nothing", "query_params"]

#: The workflow states of an asset.
ASSET_STATUSES = ("TODO", "ONGOING", "LABELED", "TO_REVIEW", "REVIEWED")
#: The origins of a label.
LABEL_TYPES = tuple(sorted(LABEL_TYPE_VALUES))


class AssetFilters(TypedDict, total=False):
    """Every filter of ``assets.list``/``assets.count`` (all optional, combined with AND).

    ``asset_id`` / ``asset_id_in``: ids; ``external_id_in`` (alias
    ``external_id_strictly_in``): exact external ids; ``external_id_contains``: a substring of
    the external id; ``status_in``: statuses (``TODO``, ``ONGOING``, ``LABELED``,
    ``TO_REVIEW``, ``REVIEWED``); ``metadata_where``: ``{k: v}`` equality, ``{k: [v1, v2]}``
    any of, ``{k: [lo, hi]}`` an inclusive numeric range; ``skipped``; ``is_honeypot``;
    ``consensus_mark_gt/lt``, ``honeypot_mark_gt/lt``: bounds on the asset's marks;
    ``updated_at_gte/lte``: datetimes (or ISO strings); ``label_type_in``, ``label_author_in``,
    ``label_consensus_mark_gt/lt``, ``label_honeypot_mark_gt/lt``, ``label_created_at`` (a
    date), ``label_created_at_gt/lt``: some label of the asset matches;
    ``label_category_search``: e.g. ``"JOB.CAT.count > 0 AND (J2.A.count >= 1 OR J2.B.count
    == 0)"``."""

    asset_id: str
    asset_id_in: Sequence[str]
    external_id_in: Sequence[str]
    external_id_strictly_in: Sequence[str]
    external_id_contains: str
    status_in: Sequence[str]
    metadata_where: dict[str, Any] | str
    skipped: bool
    is_honeypot: bool
    consensus_mark_gt: float
    consensus_mark_lt: float
    honeypot_mark_gt: float
    honeypot_mark_lt: float
    updated_at_gte: datetime | str
    updated_at_lte: datetime | str
    label_type_in: Sequence[str]
    label_author_in: Sequence[str]
    label_consensus_mark_gt: float
    label_consensus_mark_lt: float
    label_honeypot_mark_gt: float
    label_honeypot_mark_lt: float
    label_created_at: date | str
    label_created_at_gt: datetime | str
    label_created_at_lt: datetime | str
    label_category_search: str


_LISTS = ("asset_id_in", "external_id_in", "label_author_in")
_FLOATS = (
    "consensus_mark_gt",
    "consensus_mark_lt",
    "honeypot_mark_gt",
    "honeypot_mark_lt",
    "label_consensus_mark_gt",
    "label_consensus_mark_lt",
    "label_honeypot_mark_gt",
    "label_honeypot_mark_lt",
)
_DATETIMES = ("updated_at_gte", "updated_at_lte", "label_created_at_gt", "label_created_at_lt")
_BOOLS = ("skipped", "is_honeypot")
_STRINGS = ("external_id_contains", "label_category_search")
KNOWN = frozenset(AssetFilters.__annotations__)


def _strings(name: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of strings, not {type(value).__name__}")
    items = list(value)
    if not all(isinstance(v, str) for v in items):
        raise TypeError(f"{name} must be a list of strings")
    return items


def _datetime(name: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} must be an ISO 8601 date-time: {value!r}") from None
    raise TypeError(f"{name} must be a datetime or an ISO 8601 string")


def _date(name: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise ValueError(f"{name} must be an ISO 8601 date: {value!r}") from None
    raise TypeError(f"{name} must be a date or an ISO 8601 string")


def _enum_list(name: str, value: Any, allowed: tuple[str, ...]) -> list[str]:
    items = _strings(name, value)
    bad = [v for v in items if v not in allowed]
    if bad:
        raise ValueError(f"{name}: unknown value(s) {bad}; expected some of {', '.join(allowed)}")
    return items


def query_params(filters: dict[str, Any]) -> dict[str, Any]:
    """The generated layer's keyword arguments for ``filters`` (``None`` values dropped).
    Raises ``TypeError`` for an unknown filter or a value of the wrong type and ``ValueError``
    for an unknown status or label type or a malformed date, before any request (the server
    checks the grammar of ``label_category_search`` and ``metadata_where`` with a 400)."""
    unknown = sorted(set(filters) - KNOWN)
    if unknown:
        raise TypeError(f"unknown asset filter(s): {', '.join(unknown)}")
    given = {k: v for k, v in filters.items() if v is not None}
    out: dict[str, Any] = {}
    ids: list[str] | None = None
    if "asset_id_in" in given:
        ids = _strings("asset_id_in", given.pop("asset_id_in"))
    if "asset_id" in given:
        single = given.pop("asset_id")
        if not isinstance(single, str):
            raise TypeError("asset_id must be a string")
        ids = [*(ids or []), single]
    if ids is not None:
        out["asset_id_in"] = ids
    if "external_id_strictly_in" in given:
        strict = _strings("external_id_strictly_in", given.pop("external_id_strictly_in"))
        given["external_id_in"] = [*given.get("external_id_in", ()), *strict]
    for name, value in given.items():
        out[name] = _convert(name, value)
    return out


def matches_nothing(params: dict[str, Any]) -> bool:
    """True when an empty list rules every asset out (``asset_id_in=[]``, ``status_in=[]``...):
    an empty list would otherwise vanish from the query string and select everything."""
    lists = ("asset_id_in", "external_id_in", "status_in", "label_type_in", "label_author_in")
    return any(params.get(name) == [] for name in lists)


def _convert(name: str, value: Any) -> Any:
    if name in _LISTS:
        return _strings(name, value)
    if name == "status_in":
        return _enum_list(name, value, ASSET_STATUSES)
    if name == "label_type_in":
        return _enum_list(name, value, LABEL_TYPES)
    if name in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number")
        return float(value)
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False")
        return value
    if name in _DATETIMES:
        return _datetime(name, value)
    if name == "label_created_at":
        return _date(name, value)
    if name == "metadata_where":
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            raise TypeError("metadata_where must be a dict (or its JSON text)")
        return json.dumps(value, separators=(",", ":"), default=str)
    if name in _STRINGS:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string")
        return value
    return cast(Any, value)  # pragma: no cover - every known filter is handled above
