"""Shell-style globs over whole blob keys.

``*`` and ``?`` stay within one path segment (they never match ``/``), ``[abc]``/``[!abc]`` match
one character of a segment, ``**`` spans any number of segments: ``raw/**/*.png`` matches
``raw/a.png`` and ``raw/x/y/a.png``; ``raw/**`` matches everything below ``raw/``.
"""

from __future__ import annotations

import re

_SPECIAL = "*?["


def literal_prefix(pattern: str) -> str:
    """The part of ``pattern`` before its first wildcard: every match starts with it."""
    cut = len(pattern)
    for ch in _SPECIAL:
        i = pattern.find(ch)
        if i != -1:
            cut = min(cut, i)
    return pattern[:cut]


def _char_class(pattern: str, i: int) -> tuple[str, int] | None:
    """Translate ``[...]`` starting at ``pattern[i] == '['``; None if it is not closed."""
    j = i + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    if j >= len(pattern):
        return None
    body = pattern[i + 1 : j]
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    body = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[").replace("]", "\\]")
    body = body.replace("/", "")  # a class never matches the separator
    if not body:
        return ("[^/]" if negate else "(?!)"), j + 1
    return (f"[^/{body}]" if negate else f"[{body}]"), j + 1


def translate(pattern: str) -> str:
    """The regular expression (for ``re.fullmatch``) equivalent to ``pattern``."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                j = i + 2
                while j < n and pattern[j] == "*":
                    j += 1
                at_start = i == 0 or pattern[i - 1] == "/"
                if at_start and j < n and pattern[j] == "/":
                    out.append("(?:[^/]*/)*")  # zero or more whole segments
                    i = j + 1
                    continue
                if at_start and j == n:
                    out.append(".*")
                    i = j
                    continue
                out.append(".*")
                i = j
                continue
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls = _char_class(pattern, i)
            if cls is None:
                out.append(re.escape(c))
                i += 1
            else:
                out.append(cls[0])
                i = cls[1]
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def compile_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(translate(pattern), re.DOTALL)
