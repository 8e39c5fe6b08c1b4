"""Keyset pagination with opaque cursors: a 1M-row listing costs one index seek per page.

A cursor is the base64url JSON of the sort-key values of the last row returned; it carries no
authority (every page re-applies the caller's filters), so tampering can only yield a 400. Every
cursor is decoded and validated here: each value must have its sort key's type and fit the
database (64-bit integers, finite numbers, times within years 1-9999 in UTC, strings without
NUL or lone surrogates), so a tampered cursor never reaches a query as something it cannot bind.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .errors import Invalid
from .jsontext import encodable
from .timeutil import parse_iso

T = TypeVar("T")
#: What one cursor position may hold: a type, or a tuple of types (``type(None)`` for NULL).
Kind = type | tuple[type, ...]

#: The integers the database can bind and compare (PostgreSQL BIGINT, SQLite INTEGER).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_CURSOR_STRING = 4096


def _enc(value: Any) -> Any:
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _dec(value: Any) -> Any:
    """One cursor value from its JSON form; ValueError unless the database can take it."""
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        return parse_iso(value["t"])  # ValueError also for times outside years 1-9999 in UTC
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError("integer outside the 64-bit range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value
    if isinstance(value, str):
        if len(value) > MAX_CURSOR_STRING or "\x00" in value or not encodable(value):
            raise ValueError("string the database cannot hold")
        return value
    raise ValueError("bad cursor value")


def _is(value: Any, kind: Kind) -> bool:
    """``isinstance`` where a bool is not an int (JSON true is not a number)."""
    if isinstance(value, bool):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        return bool in kinds
    return isinstance(value, kind)


def column_kind(column: InstrumentedAttribute[Any]) -> Kind | None:
    """The Python type a sort column's values have (with None if it is nullable); None if
    SQLAlchemy does not say."""
    try:
        python_type: type = column.type.python_type
    except (NotImplementedError, AttributeError):
        return None
    nullable = getattr(column.expression, "nullable", False)
    return (python_type, type(None)) if nullable else python_type


def encode_cursor(values: Sequence[Any], tag: str = "") -> str:
    raw = json.dumps({"v": [_enc(v) for v in values], "g": tag}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str | None,
    arity: int,
    tag: str = "",
    kinds: Sequence[Kind | None] | None = None,
    *,
    name: str = "cursor",
) -> list[Any] | None:
    """The ``arity`` values encoded in ``cursor``, or None for the first page.

    ``tag`` names the listing the cursor must come from; ``kinds`` gives each position's type
    (None: any value :func:`_dec` accepts). Raises ``Invalid`` (``bad_cursor``) naming the parameter
    (``name``) for anything else: bad base64 or JSON, another listing's cursor, a value of the
    wrong type or one the database cannot take (see :func:`_dec`)."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        values = [_dec(v) for v in data["v"]]
        if data.get("g", "") != tag or len(values) != arity:
            raise ValueError("cursor of another listing")
        if kinds is not None and not all(
            kind is None or _is(v, kind) for v, kind in zip(values, kinds, strict=True)
        ):
            raise ValueError("a cursor value of the wrong type")
    except (
        ValueError,
        KeyError,
        TypeError,
        binascii.Error,
        UnicodeDecodeError,
        RecursionError,
    ) as exc:
        raise Invalid(
            "bad_cursor", f"the {name} is malformed or belongs to another listing"
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
    """One page of ``stmt`` ordered by ``keys`` (unique together) after ``cursor``; raises
    ``Invalid`` (``bad_cursor``) if the cursor does not hold one valid value of each key's type."""
    after = decode_cursor(cursor, len(keys), tag, [column_kind(k) for k in keys])
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
