"""Keyset pagination with opaque cursors: a 1M-row listing costs one index seek per page.

A cursor is the base64url JSON of the sort-key values of the last row returned; it carries no
authority (every page re-applies the caller's filters), so tampering can only yield a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .errors import Invalid
from .timeutil import parse_iso

T = TypeVar("T")


def _enc(value: Any) -> Any:
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _dec(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        return parse_iso(value["t"])
    if isinstance(value, str | int | float) or value is None:
        return value
    raise ValueError("bad cursor value")


def encode_cursor(values: Sequence[Any], tag: str = "") -> str:
    raw = json.dumps({"v": [_enc(v) for v in values], "g": tag}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int, tag: str = "") -> list[Any] | None:
    """The values encoded in ``cursor``, or None for the first page; 400 on anything odd."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        values = [_dec(v) for v in data["v"]]
        if data.get("g", "") != tag or len(values) != arity:
            raise ValueError("cursor of another listing")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(
            "bad_cursor", "the cursor is malformed or belongs to another listing"
        ) from exc
    return values


def keyset_page(
    session: Session,
    stmt: Select[T],
    keys: Sequence[InstrumentedAttribute[Any]],
    cursor: str | None,
    page_size: int,
    *,
    descending: bool = False,
    tag: str = "",
) -> tuple[list[T], str | None]:
    """One page of ``stmt`` ordered by ``keys`` (unique together) after ``cursor``."""
    after = decode_cursor(cursor, len(keys), tag)
    if after is not None:
        cmp = tuple_(*keys) < tuple_(*after) if descending else tuple_(*keys) > tuple_(*after)
        stmt = stmt.where(cmp)
    stmt = stmt.order_by(*[k.desc() if descending else k.asc() for k in keys]).limit(page_size + 1)
    rows = list(session.scalars(stmt).all())
    if len(rows) <= page_size:
        return rows, None
    rows = rows[:page_size]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, k.key) for k in keys], tag)
