"""Shell-style globs over whole blob keys, matched in time linear in the key's length.

``*`` and ``?`` stay within one path segment (they never match ``/``), ``[abc]``/``[!abc]``/
``[^abc]`` match one character of a segment (ranges ``a-z``; a ``]`` first in the class is
literal; an unclosed ``[`` is a literal ``[``; a backslash is an ordinary character), ``**``
spans any number of segments: ``raw/**/*.png`` matches ``raw/a.png`` and ``raw/x/y/a.png``;
``raw/**`` matches everything below ``raw/``; a ``**`` inside a segment (``a**b``) matches any
run of characters, ``/`` included.

A glob compiles to a position automaton simulated with bit masks (a Shift-And automaton, one
bit per pattern position) and cached lazily as a DFA: each key character costs one dictionary
lookup once its transition is known, and never more than a handful of integer operations. There
is no backtracking, so no pattern can make a key cost more than linear time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SPECIAL = "*?["
_CACHE_LIMIT = 65_536  # cached DFA transitions (and per-character masks) per compiled glob


class GlobError(ValueError):
    """The pattern is not a valid glob (e.g. a class with a reversed range such as ``[z-a]``)."""


def literal_prefix(pattern: str) -> str:
    """The part of ``pattern`` before its first wildcard: every match starts with it."""
    cut = len(pattern)
    for ch in _SPECIAL:
        i = pattern.find(ch)
        if i != -1:
            cut = min(cut, i)
    return pattern[:cut]


@dataclass(frozen=True)
class _Class:
    """One ``[...]``: single characters and inclusive code point ranges, maybe negated."""

    singles: frozenset[str]
    ranges: tuple[tuple[int, int], ...]
    negate: bool

    def test(self, ch: str) -> bool:
        """Whether ``ch`` (never ``/``: a class does not match the separator) is in the class."""
        if ch == "/":
            return False
        cp = ord(ch)
        inside = ch in self.singles or any(lo <= cp <= hi for lo, hi in self.ranges)
        return inside != self.negate


# Tokens: a one-character atom (a literal str of length 1, ``_ANY`` for ``?`` or a ``_Class``),
# or one of the variable-length tokens below.
_ANY = "?any"
_STAR = "*"  # any run of characters without "/"
_DSTAR = "**"  # any run of characters
_SEGS = "**/"  # zero or more whole segments: empty, or any run ending with "/"
_VARIABLE = (_STAR, _DSTAR, _SEGS)
_Token = str | _Class


def _parse_class(pattern: str, i: int) -> tuple[_Class, int] | None:
    """Parse ``[...]`` starting at ``pattern[i] == '['``; None if it is not closed.

    Raises GlobError for a range whose end precedes its start (``[z-a]``, ``[a-\\]``).
    """
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
    body = body.replace("/", "")  # a class never matches the separator
    singles: set[str] = set()
    ranges: list[tuple[int, int]] = []
    k = 0
    while k < len(body):
        lo = body[k]
        if k + 2 < len(body) and body[k + 1] == "-":
            hi = body[k + 2]
            if ord(hi) < ord(lo):
                raise GlobError(f"bad character range {lo}-{hi} in {pattern[i : j + 1]!r}")
            ranges.append((ord(lo), ord(hi)))
            k += 3
        else:
            singles.add(lo)
            k += 1
    return _Class(frozenset(singles), tuple(ranges), negate), j + 1


def _star_token(pattern: str, i: int) -> tuple[str, int]:
    """The token for the run of ``*`` at ``pattern[i]`` and the index after it."""
    n = len(pattern)
    j = i
    while j < n and pattern[j] == "*":
        j += 1
    if j - i == 1:
        return _STAR, j
    at_start = i == 0 or pattern[i - 1] == "/"
    if at_start and j < n and pattern[j] == "/":
        return _SEGS, j + 1  # the "/" belongs to the segments
    return _DSTAR, j


def tokenize(pattern: str) -> list[_Token]:
    """The pattern as atoms and variable-length tokens; raises GlobError if it is invalid."""
    out: list[_Token] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            tok, i = _star_token(pattern, i)
            prev = out[-1] if out else None
            if prev == _SEGS and tok in (_SEGS, _DSTAR):
                out[-1] = tok  # "**/**/" is "**/"; "**/**" is "**"
                continue
            out.append(tok)
        elif c == "?":
            out.append(_ANY)
            i += 1
        elif c == "[":
            cls = _parse_class(pattern, i)
            if cls is None:
                out.append(c)
                i += 1
            else:
                out.append(cls[0])
                i = cls[1]
        else:
            out.append(c)
            i += 1
    return out


class Glob:
    """A compiled glob: :meth:`matches` tells whether a whole key matches it.

    Bit ``i`` of a state means "the first ``i`` tokens have matched the characters read so
    far"; bit ``len(tokens)`` set at the end is a match. Not thread-safe (its DFA cache is
    filled while matching): compile one per request.
    """

    def __init__(self, pattern: str) -> None:
        """Compile ``pattern``; raises GlobError if it is invalid."""
        tokens = tokenize(pattern)
        self.pattern = pattern
        self._accept = 1 << len(tokens)
        self._literal: dict[str, int] = {}
        self._any = 0  # "?" and classes are tested per character (cached in _adv)
        self._classes: list[tuple[int, Callable[[str], bool]]] = []
        self._loop_any = 0  # "**" and "**/" loop on every character
        self._loop_segment = 0  # "*" loops on every character but "/"
        self._exit = 0  # "*" and "**" may be left at any time
        self._exit_slash = 0  # "**/" only right after a "/" (or before the first character)
        for i, tok in enumerate(tokens):
            bit = 1 << i
            if isinstance(tok, _Class):
                self._classes.append((bit, tok.test))
            elif tok == _ANY:
                self._any |= bit
            elif tok == _STAR:
                self._loop_segment |= bit
                self._exit |= bit
            elif tok == _DSTAR:
                self._loop_any |= bit
                self._exit |= bit
            elif tok == _SEGS:
                self._loop_any |= bit
                self._exit_slash |= bit
            else:
                self._literal[tok] = self._literal.get(tok, 0) | bit
        self._exit_slash |= self._exit
        self._adv: dict[str, int] = {}
        # DFA states as dictionaries: character -> next state, and "" -> the state's bit mask.
        self._states: dict[int, dict[str, Any]] = {}
        self._cached = 0
        self._start = self._state(self._close(1, self._exit_slash))
        self._dead = self._state(0)

    def _state(self, mask: int) -> dict[str, Any]:
        """The DFA state for ``mask`` (a fresh, uncached one once the cache is full)."""
        state = self._states.get(mask)
        if state is None:
            state = {"": mask}
            if self._cached < _CACHE_LIMIT:
                self._states[mask] = state
                self._cached += 1
        return state

    def _close(self, mask: int, exits: int) -> int:
        """Add the positions reachable by skipping variable tokens (at most two in a row)."""
        mask |= (mask & exits) << 1
        return mask | (mask & exits) << 1

    def _advance_mask(self, ch: str) -> int:
        """The positions whose one-character atom accepts ``ch``."""
        mask = self._adv.get(ch)
        if mask is None:
            mask = self._literal.get(ch, 0)
            if ch != "/":
                mask |= self._any
                for bit, test in self._classes:
                    if test(ch):
                        mask |= bit
            if len(self._adv) < _CACHE_LIMIT:
                self._adv[ch] = mask
        return mask

    def _step(self, state: dict[str, Any], ch: str) -> dict[str, Any]:
        """The state after reading ``ch`` in ``state``, remembered while the cache has room."""
        mask: int = state[""]
        nxt = (mask & self._advance_mask(ch)) << 1 | mask & self._loop_any
        if ch == "/":
            nxt = self._close(nxt, self._exit_slash)
        else:
            nxt = self._close(nxt | mask & self._loop_segment, self._exit)
        target = self._state(nxt)
        if self._cached < _CACHE_LIMIT:
            state[ch] = target
            self._cached += 1
        return target

    def matches(self, key: str) -> bool:
        """Whether the whole of ``key`` matches the glob (one cached transition per character)."""
        state = self._start
        dead = self._dead
        for ch in key:
            state = state.get(ch) or self._step(state, ch)
            if state is dead:
                return False
        return bool(state[""] & self._accept)


def compile_glob(pattern: str) -> Glob:
    """Compile ``pattern`` (see the module docstring); raises GlobError if it is invalid."""
    return Glob(pattern)
