"""Derived rows and identifiers of assets and labels.

- Time-ordered ids (``ast_…``, ``lbl_…``): keyset pages by id list in creation order.
- ``asset_meta``: the top-level scalars of ``json_metadata`` (``metadata_where`` reads them).
- ``asset_categories``: category counts of the latest label (``label_category_search``).
"""

from __future__ import annotations

import itertools
import json
import math
import secrets
import threading
import time
from collections import Counter
from typing import Any, cast

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from ..models import AssetCategory, AssetMeta

MAX_META_KEY = 200
MAX_META_TEXT = 500
MAX_NAME = 200

_counter = itertools.count()
_lock = threading.Lock()


def ordered_id(prefix: str) -> str:
    """``prefix_`` + 12 hex digits of milliseconds + a 6-digit sequence + 16 random hex digits:
    ids created later by this process sort after earlier ones, and stay unguessable."""
    with _lock:
        seq = next(_counter) % (1 << 24)
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{seq:06x}{secrets.token_hex(8)}"


def indexable(text: str, limit: int = MAX_NAME) -> bool:
    """Whether ``text`` fits a derived-table column: at most ``limit`` characters and no NUL
    (PostgreSQL text cannot hold it). Other names and values stay in the JSON, unindexed."""
    return len(text) <= limit and "\x00" not in text


def meta_scalar(value: Any) -> tuple[str | None, float | None] | None:
    """``(text, number)`` for a metadata scalar (None for lists, objects and null).

    Text is the string itself or the JSON spelling (``true``, ``2.5``); number is set for
    numbers and for strings that read as a finite number."""
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, int | float):
        as_float = float(value)
        return json.dumps(value), as_float if math.isfinite(as_float) else None
    if isinstance(value, str):
        text = value if len(value) <= MAX_META_TEXT and "\x00" not in value else None
        try:
            parsed: float | None = float(value)
        except ValueError:
            parsed = None
        if parsed is not None and not math.isfinite(parsed):
            parsed = None
        return text, parsed
    return None


def meta_rows(
    project_id: str, asset_id: str, metadata: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The ``asset_meta`` rows of one asset's metadata (keys up to 200 characters)."""
    rows = []
    for key, value in (metadata or {}).items():
        scalar = meta_scalar(value)
        if scalar is None or not indexable(key, MAX_META_KEY):
            continue
        rows.append(
            {
                "asset_id": asset_id,
                "project_id": project_id,
                "key": key,
                "text_value": scalar[0],
                "num_value": scalar[1],
            }
        )
    return rows


def replace_meta(
    session: Session, project_id: str, asset_id: str, metadata: dict[str, Any] | None
) -> None:
    """Rewrite the ``asset_meta`` rows of one asset after its metadata changed."""
    session.execute(delete(AssetMeta).where(AssetMeta.asset_id == asset_id))
    rows = meta_rows(project_id, asset_id, metadata)
    if rows:
        session.connection().execute(cast(Table, AssetMeta.__table__).insert(), rows)


def _names(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [
        c["name"]
        for c in items
        if isinstance(c, dict) and isinstance(c.get("name"), str) and indexable(c["name"])
    ]


def category_counts(json_response: dict[str, Any]) -> Counter[tuple[str, str]]:
    """``(job, category) -> count`` in a label's answers: the job's ``categories`` (a
    classification) plus the categories of each of its ``annotations`` (objects, entities)."""
    counts: Counter[tuple[str, str]] = Counter()
    for job, answer in json_response.items():
        if not isinstance(answer, dict) or not indexable(job):
            continue
        for name in _names(answer.get("categories")):
            counts[(job, name)] += 1
        annotations = answer.get("annotations")
        for annotation in annotations if isinstance(annotations, list) else []:
            if isinstance(annotation, dict):
                for name in _names(annotation.get("categories")):
                    counts[(job, name)] += 1
    return counts


def replace_categories(session: Session, asset_id: str, json_response: dict[str, Any]) -> None:
    """Make ``asset_categories`` of one asset those of its new latest label."""
    session.execute(delete(AssetCategory).where(AssetCategory.asset_id == asset_id))
    rows = [
        {"asset_id": asset_id, "job": job, "category": cat, "count": n}
        for (job, cat), n in category_counts(json_response).items()
    ]
    if rows:
        session.connection().execute(cast(Table, AssetCategory.__table__).insert(), rows)
