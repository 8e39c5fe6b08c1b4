"""JSON views of assets and labels, and Kili's ``fields`` selection.

``fields`` names top-level asset fields, ``labels`` / ``latest_label`` (all their fields) or
``labels.<field>`` / ``latest_label.<field>`` (only those). Without ``fields`` an asset is the
spec's full ``Asset`` (with ``latest_label``, without ``labels``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Invalid
from ..models import Label, User
from ..timeutil import iso

ASSET_FIELDS = (
    "id",
    "project_id",
    "content",
    "json_content",
    "external_id",
    "json_metadata",
    "status",
    "priority",
    "consensus_mark",
    "honeypot_mark",
    "is_honeypot",
    "is_used_for_consensus",
    "to_be_labeled_by",
    "skipped",
    "connection_id",
    "created_at",
    "updated_at",
)
LABEL_FIELDS = (
    "id",
    "asset_id",
    "author",
    "label_type",
    "json_response",
    "consensus_mark",
    "honeypot_mark",
    "seconds_to_label",
    "created_at",
)
NESTED = ("labels", "latest_label")
MAX_FIELDS = 100
TIMES = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class Fields:
    """A parsed selection: asset columns, and label fields of ``labels``/``latest_label``
    (None: not asked)."""

    asset: tuple[str, ...]
    labels: tuple[str, ...] | None
    latest_label: tuple[str, ...] | None


DEFAULT_FIELDS = Fields(ASSET_FIELDS, None, LABEL_FIELDS)


def _bad_field(name: str) -> Invalid:
    msg = (
        f"unknown field {name!r}: expected one of {', '.join(ASSET_FIELDS + NESTED)} "
        f"or labels.<field> / latest_label.<field> with a field of {', '.join(LABEL_FIELDS)}"
    )
    return Invalid(
        "bad_field",
        f"fields: {msg}",
        errors=[{"loc": ["query", "fields"], "msg": msg, "type": "value_error"}],
    )


def parse_fields(values: Sequence[str] | None) -> Fields:
    """The selection named by ``values``; the full asset without any. Raises ``Invalid``
    (``bad_field``) naming an unknown field."""
    names = list(values or ())
    if not names:
        return DEFAULT_FIELDS
    if len(names) > MAX_FIELDS:
        raise _bad_field(names[MAX_FIELDS])
    asset: list[str] = []
    nested: dict[str, list[str]] = {}
    for name in names:
        head, _, sub = name.partition(".")
        if head in NESTED:
            if sub == "":
                nested[head] = list(LABEL_FIELDS)
            elif sub in LABEL_FIELDS:
                nested.setdefault(head, [])
                if sub not in nested[head]:
                    nested[head].append(sub)
            else:
                raise _bad_field(name)
        elif name in ASSET_FIELDS:
            if name not in asset:
                asset.append(name)
        else:
            raise _bad_field(name)
    labels, latest = nested.get("labels"), nested.get("latest_label")
    return Fields(
        tuple(asset),
        tuple(labels) if labels is not None else None,
        tuple(latest) if latest is not None else None,
    )


def _value(name: str, value: Any) -> Any:
    return iso(value) if name in TIMES else value


def label_json(label: Label, author: str, fields: Iterable[str] = LABEL_FIELDS) -> dict[str, Any]:
    """The spec's ``Label`` (only ``fields``); ``author`` is the author's user name."""
    out: dict[str, Any] = {}
    for name in fields:
        out[name] = author if name == "author" else _value(name, getattr(label, name))
    return out


def asset_json(
    row: Mapping[str, Any] | Any,
    fields: Fields = DEFAULT_FIELDS,
    labels: Mapping[str, list[dict[str, Any]]] | None = None,
    latest: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One asset (a row mapping or an ``Asset``) with the selected fields; ``labels`` maps
    asset ids to their label views, ``latest`` latest-label ids to theirs."""

    data: Mapping[str, Any] = row if isinstance(row, Mapping) else _Attributes(row)
    out = {name: (iso(data[name]) if name in TIMES else data[name]) for name in fields.asset}
    if fields.labels is not None:
        out["labels"] = (labels or {}).get(data["id"], [])
    if fields.latest_label is not None:
        latest_id = data["latest_label_id"]
        out["latest_label"] = (latest or {}).get(latest_id) if latest_id else None
    return out


class _Attributes(Mapping[str, Any]):
    """An object's attributes read as a mapping (an ``Asset`` given to :func:`asset_json`)."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getitem__(self, name: str) -> Any:
        return getattr(self._obj, name)

    def __iter__(self) -> Iterator[str]:
        return iter(ASSET_FIELDS)

    def __len__(self) -> int:
        return len(ASSET_FIELDS)


def load_labels(
    session: Session, asset_ids: Sequence[str], fields: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Label views of the given assets, each list oldest first (one query)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not asset_ids:
        return out
    rows = session.execute(
        select(Label, User.name)
        .join(User, User.id == Label.author_id)
        .where(Label.asset_id.in_(list(asset_ids)))
        .order_by(Label.asset_id, Label.id)
    ).all()
    for label, author in rows:
        out[label.asset_id].append(label_json(label, author, fields))
    return out


def load_latest(
    session: Session, label_ids: Sequence[str], fields: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Views of the labels ``label_ids`` (the latest labels of a page of assets) by id."""
    if not label_ids:
        return {}
    rows = session.execute(
        select(Label, User.name)
        .join(User, User.id == Label.author_id)
        .where(Label.id.in_(list(label_ids)))
    ).all()
    return {label.id: label_json(label, author, fields) for label, author in rows}
