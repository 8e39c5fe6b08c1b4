"""``label_category_search``: a small recursive-descent parser compiling Kili's category
expressions into SQL over ``asset_categories`` (bound parameters only, never SQL text built from
user input).

Grammar (keywords case-insensitive, whitespace free)::

    expr       := term ("OR" term)*
    term       := factor ("AND" factor)*
    factor     := "(" expr ")" | comparison
    comparison := NAME "." NAME "." "count" OP INTEGER
    OP         := "==" | ">=" | "<=" | ">" | "<"
    NAME       := [A-Za-z0-9_-]+

``JOB.CATEGORY.count`` is how many times the asset's latest label names CATEGORY in JOB (0 when
it does not). Errors are ``Invalid`` (``bad_category_search``) naming the offset and token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select

from ..errors import Invalid
from ..models import Asset, AssetCategory

PARAM = "label_category_search"
MAX_COMPARISONS = 50
MAX_DEPTH = 20
_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|>=|<=|>|<)|(?P<punct>[().])|(?P<num>\d+)(?![A-Za-z_-])"
    r"|(?P<name>[A-Za-z0-9_-]+))"
)


@dataclass(frozen=True)
class Token:
    kind: str  # op | punct | num | name | end
    text: str
    offset: int


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; raises ``Invalid`` at the first character that starts none."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.lastgroup is None:
            start = len(text) - len(text[pos:].lstrip())
            raise _error(start, text[start], "unexpected character")
        tokens.append(Token(m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _error(offset: int, token: str, what: str) -> Invalid:
    shown = repr(token) if token else "end of input"
    msg = f"{what} at offset {offset} (got {shown})"
    return Invalid(
        "bad_category_search",
        f"{PARAM}: {msg}",
        errors=[{"loc": ["query", PARAM], "msg": msg, "type": "syntax_error"}],
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.comparisons = 0

    def peek(self) -> Token:
        """The next token, not consumed."""
        return self.tokens[self.pos]

    def take(self, kind: str, text: str | None = None, what: str = "") -> Token:
        """Consume the next token if it is of ``kind`` (and ``text``), else raise ``Invalid``
        saying ``what`` was expected."""
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text.lower() != text.lower()):
            raise _error(tok.offset, tok.text, f"expected {what or text or kind}")
        self.pos += 1
        return tok

    def name(self, what: str) -> Token:
        """A NAME (all-digit names such as a category ``1`` included)."""
        tok = self.peek()
        if tok.kind not in ("name", "num"):
            raise _error(tok.offset, tok.text, f"expected {what}")
        self.pos += 1
        return tok

    def keyword(self, word: str) -> bool:
        """Consume the keyword ``word`` (any case) if it comes next; whether it did."""
        tok = self.peek()
        if tok.kind == "name" and tok.text.upper() == word:
            self.pos += 1
            return True
        return False

    def expr(self, depth: int) -> ColumnElement[bool]:
        """``term ("OR" term)*`` at nesting ``depth``; raises ``Invalid`` when too deep."""
        if depth > MAX_DEPTH:
            tok = self.peek()
            raise _error(tok.offset, tok.text, f"parentheses nested deeper than {MAX_DEPTH}")
        parts = [self.term(depth)]
        while self.keyword("OR"):
            parts.append(self.term(depth))
        return parts[0] if len(parts) == 1 else or_(*parts)

    def term(self, depth: int) -> ColumnElement[bool]:
        """``factor ("AND" factor)*``."""
        parts = [self.factor(depth)]
        while self.keyword("AND"):
            parts.append(self.factor(depth))
        return parts[0] if len(parts) == 1 else and_(*parts)

    def factor(self, depth: int) -> ColumnElement[bool]:
        """``"(" expr ")"`` or a comparison."""
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "(":
            self.pos += 1
            inner = self.expr(depth + 1)
            self.take("punct", ")", "')'")
            return inner
        return self.comparison()

    def comparison(self) -> ColumnElement[bool]:
        """``NAME "." NAME "." "count" OP INTEGER`` as SQL over ``asset_categories``."""
        job = self.name("a job name or '('")
        self.take("punct", ".", "'.' after the job name")
        category = self.name("a category name")
        self.take("punct", ".", "'.' after the category name")
        self.take("name", "count", "'count'")
        op = self.take("op", what="a comparison (==, >=, <=, >, <)")
        number = self.take("num", what="a whole number")
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise _error(job.offset, job.text, f"more than {MAX_COMPARISONS} comparisons")
        count = func.coalesce(
            select(AssetCategory.count)
            .where(
                AssetCategory.asset_id == Asset.id,
                AssetCategory.job == job.text,
                AssetCategory.category == category.text,
            )
            .correlate(Asset)
            .scalar_subquery(),
            0,
        )
        n = int(number.text)
        if n > 2**31:
            raise _error(number.offset, number.text, "a number below 2**31")
        return {
            "==": count == n,
            ">=": count >= n,
            "<=": count <= n,
            ">": count > n,
            "<": count < n,
        }[op.text]


def compile_search(text: str) -> ColumnElement[bool]:
    """The SQL condition on ``Asset`` for a category search expression; raises ``Invalid``
    (``bad_category_search``) naming the offset and token of the first error."""
    parser = _Parser(text)
    condition = parser.expr(0)
    tok = parser.peek()
    if tok.kind != "end":
        raise _error(tok.offset, tok.text, "expected AND, OR or the end")
    return condition
