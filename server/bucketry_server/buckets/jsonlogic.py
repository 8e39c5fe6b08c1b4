"""JSON Logic filters translated to SQL (never evaluated in Python over whole tables).

Supported: ``and``, ``or``, ``!``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` (also the
three-argument "between" form of ``<`` / ``<=``) and ``in`` (membership in a literal list, or a
case-sensitive substring test when the haystack is a string field). Every comparison puts one
field (``{"var": "name"}``) against literals; anything else is a 400 ``invalid_filter``.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, and_, false, literal, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Integer

from ..errors import DomainError, Invalid
from ..jsontext import find_problem
from ..timeutil import parse_iso

MAX_DEPTH = 32
MAX_NODES = 500

Kind = Literal["str", "bool", "datetime"]


@dataclass(frozen=True)
class Field:
    """A filterable field: a column expression (or, for ``bool``, a boolean clause)."""

    expr: ColumnElement[Any] | QueryableAttribute[Any]
    kind: Kind
    nullable: bool = False

    @property
    def column(self) -> ColumnElement[Any]:
        # ORM attributes coerce to their column wherever SQLAlchemy expects an expression.
        return cast("ColumnElement[Any]", self.expr)


class _StrPos(FunctionElement[int]):
    """1-based position of ``needle`` in ``haystack`` (0 if absent), case-sensitive everywhere."""

    type = Integer()
    inherit_cache = True
    name = "strpos"


@compiles(_StrPos)
def _strpos_default(element: _StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return f"POSITION({compiler.process(needle, **kw)} IN {compiler.process(haystack, **kw)})"


@compiles(_StrPos, "sqlite")
def _strpos_sqlite(element: _StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_StrPos, "postgresql")
def _strpos_pg(element: _StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _invalid(detail: str) -> DomainError:
    return Invalid("invalid_filter", f"filter: {detail}")


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class _Compiler:
    def __init__(self, fields: Mapping[str, Field]) -> None:
        self.fields = fields
        self.nodes = 0

    # -- helpers ---------------------------------------------------------------------------
    def field_of(self, node: Any) -> Field | None:
        """The field a ``{"var": ...}`` node names, None if ``node`` is not a var."""
        if not (isinstance(node, dict) and len(node) == 1 and "var" in node):
            return None
        ref = node["var"]
        if isinstance(ref, list) and ref:
            ref = ref[0]
        if not isinstance(ref, str):
            raise _invalid("'var' takes a field name")
        if ref not in self.fields:
            known = ", ".join(sorted(self.fields))
            raise _invalid(f"unknown field {ref!r} (known: {known})")
        return self.fields[ref]

    def value(self, field: Field, raw: Any) -> Any:
        """A literal converted to the field's type (None allowed for ==/!= only)."""
        if raw is None:
            return None
        if field.kind == "bool":
            if not isinstance(raw, bool):
                raise _invalid(f"expected true or false, got {json.dumps(raw)}")
            return raw
        if field.kind == "datetime":
            if not isinstance(raw, str):
                raise _invalid(f"expected an RFC 3339 time, got {json.dumps(raw)}")
            try:
                parsed: datetime = parse_iso(raw)
            except ValueError as exc:
                raise _invalid(f"{raw!r} is not an RFC 3339 time") from exc
            return parsed
        if not isinstance(raw, str):
            raise _invalid(f"expected a string, got {json.dumps(raw)}")
        if "\x00" in raw:
            raise _invalid("strings must not contain NUL characters")
        return raw

    def compare(self, op: str, field: Field, raw: Any) -> ColumnElement[bool]:
        value = self.value(field, raw)
        if field.kind == "bool":
            if op not in ("==", "!="):
                raise _invalid(f"{op!r} does not apply to a boolean field")
            if value is None:
                return false() if op == "==" else true()
            positive = field.column if value else not_(field.column)
            return positive if op == "==" else not_(positive)
        col = field.column
        if value is None:
            if op == "==":
                return col.is_(None)
            if op == "!=":
                return col.is_not(None)
            raise _invalid(f"{op!r} cannot compare with null")
        result = cast("ColumnElement[bool]", _OPS[op](col, value))
        if op == "!=" and field.nullable:
            # SQL's three-valued logic would drop NULL rows; JSON Logic keeps them.
            return or_(result, col.is_(None))
        return result

    # -- the walk --------------------------------------------------------------------------
    def compile(self, node: Any, depth: int = 0) -> ColumnElement[bool]:
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise _invalid(f"nested deeper than {MAX_DEPTH} levels")
        if self.nodes > MAX_NODES:
            raise _invalid(f"more than {MAX_NODES} nodes")
        if isinstance(node, bool):
            return true() if node else false()
        if not isinstance(node, dict) or len(node) != 1:
            raise _invalid("each expression must be an object with exactly one operator")
        field = self.field_of(node)
        if field is not None:  # a bare boolean field used as a condition
            if field.kind != "bool":
                raise _invalid("only a boolean field can stand alone as a condition")
            return field.column
        ((op, args),) = node.items()
        if op in ("and", "or"):
            if not isinstance(args, list) or not args:
                raise _invalid(f"{op!r} takes a non-empty list")
            parts = [self.compile(a, depth + 1) for a in args]
            return and_(*parts) if op == "and" else or_(*parts)
        if op == "!":
            if isinstance(args, list):
                if len(args) != 1:
                    raise _invalid("'!' takes one argument")
                args = args[0]
            return not_(self.compile(args, depth + 1))
        if op in _FLIP:
            return self.comparison(op, args)
        if op == "in":
            return self.membership(args)
        raise _invalid(f"unsupported operator {op!r} (use and, or, !, ==, !=, <, <=, >, >=, in)")

    def comparison(self, op: str, args: Any) -> ColumnElement[bool]:
        if not isinstance(args, list):
            raise _invalid(f"{op!r} takes a list of operands")
        if len(args) == 3 and op in ("<", "<="):
            low, middle, high = args
            field = self.field_of(middle)
            if field is None or self.field_of(low) or self.field_of(high):
                raise _invalid(f"three-operand {op!r} needs a field in the middle")
            return and_(self.compare(_FLIP[op], field, low), self.compare(op, field, high))
        if len(args) != 2:
            raise _invalid(f"{op!r} takes two operands")
        left, right = self.field_of(args[0]), self.field_of(args[1])
        if (left is None) == (right is None):
            raise _invalid(f"{op!r} compares one field with a literal")
        if left is not None:
            return self.compare(op, left, args[1])
        assert right is not None
        return self.compare(_FLIP[op], right, args[0])

    def membership(self, args: Any) -> ColumnElement[bool]:
        if not isinstance(args, list) or len(args) != 2:
            raise _invalid("'in' takes two operands")
        needle, haystack = args
        needle_field, hay_field = self.field_of(needle), self.field_of(haystack)
        if needle_field is not None and isinstance(haystack, list):
            if len(haystack) > MAX_NODES:
                raise _invalid(f"'in' lists hold at most {MAX_NODES} values")
            if not haystack:
                return false()
            return or_(*[self.compare("==", needle_field, v) for v in haystack])
        if hay_field is not None and needle_field is None:
            if hay_field.kind != "str" or not isinstance(needle, str) or "\x00" in needle:
                raise _invalid("'in' with a field as haystack needs a string field and string")
            return _StrPos(hay_field.column, literal(needle)) > 0
        if needle_field is not None and isinstance(haystack, str):
            if needle_field.kind != "str" or "\x00" in haystack:
                raise _invalid("substring tests need a string field (and no NUL)")
            return _StrPos(literal(haystack), needle_field.column) > 0
        raise _invalid("'in' needs a field and a list, or a string and a string field")


def compile_filter(text: str, fields: Mapping[str, Field]) -> ColumnElement[bool]:
    """Parse ``text`` (JSON) and translate it to a SQL condition over ``fields``; 400 if bad."""
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _invalid("not valid JSON") from exc
    problem = find_problem(tree, "filter", 2 * MAX_DEPTH + 2)
    if problem is not None:  # e.g. a lone surrogate the database driver cannot bind
        raise Invalid("invalid_filter", problem.detail)
    return _Compiler(fields).compile(tree)
