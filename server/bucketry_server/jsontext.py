"""Checks on JSON from clients that JSON itself allows but the server cannot store or send.

JSON text may escape a lone UTF-16 surrogate (``"\\ud800"``): Python decodes it to a string that
UTF-8 cannot encode, so it would fail later, in the database driver or while writing the
response (a 500, possibly after the data was committed). Deep nesting is cheap to send and
costly to parse and walk. Both are refused up front with a 400 naming where they are.
"""

from __future__ import annotations

from typing import Any, NamedTuple

#: No request body or parameter of the API nests deeper than a few levels.
MAX_DEPTH = 32


def encodable(text: str) -> bool:
    """Whether ``text`` can be stored and sent as UTF-8 (no lone surrogates such as U+D800)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with anything UTF-8 cannot carry replaced by U+FFFD (for JSON responses)."""
    return text if encodable(text) else text.encode("utf-8", "replace").decode("utf-8")


def printable_metadata(meta: dict[str, Any] | None) -> dict[str, str]:
    """Stored metadata safe to render as JSON: strings only, every one encodable (rows stored
    before the validation, or by a bug, still answer)."""
    return {printable(str(k)): printable(str(v)) for k, v in (meta or {}).items()}


class JsonProblem(NamedTuple):
    """What :func:`find_problem` found: ``kind`` is ``"unicode"`` or ``"depth"``; ``detail``
    names the place, e.g. ``"body.description: not valid Unicode text ..."``."""

    kind: str
    detail: str


def find_problem(value: Any, root: str = "body", max_depth: int = MAX_DEPTH) -> JsonProblem | None:
    """Walk parsed JSON (iteratively) for the first string or object key UTF-8 cannot carry, or
    the first value nested deeper than ``max_depth``; None if there is none."""
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > max_depth:
            return JsonProblem("depth", f"{path}: nested deeper than {max_depth} levels")
        if isinstance(node, str):
            if not encodable(node):
                return JsonProblem(
                    "unicode", f"{path}: not valid Unicode text (a lone surrogate such as \\ud800)"
                )
        elif isinstance(node, dict):
            for key, item in node.items():
                if not encodable(key):
                    return JsonProblem(
                        "unicode", f"{path}: an object key is not valid Unicode text"
                    )
                stack.append((item, f"{path}.{key}", depth + 1))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node))
    return None
