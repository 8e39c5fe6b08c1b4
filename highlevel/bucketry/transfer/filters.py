"""Which files a folder transfer takes: include/exclude globs and a ``.bucketryignore`` file.

Patterns are matched against the path relative to the transferred folder, in POSIX form:

- ``*`` and ``?`` stay within one segment, ``[abc]`` is a character class, ``**`` spans any
  number of segments (``raw/**/*.png``, ``**/tmp``, ``logs/**``);
- a pattern without a ``/`` (other than a trailing one) matches a name at any depth
  (``*.tmp``), one with a ``/`` is anchored at the folder (a leading ``/`` is dropped);
- a pattern also matches everything below a matching directory (``build`` takes ``build/x``),
  and a trailing ``/`` makes it match directories only.

A file is taken when it matches some ``include`` (if any were given) and no ``exclude``.

The ignore file follows ``.gitignore``: blank lines and ``#`` comments are skipped, ``!``
re-includes, the last matching line wins, ``\\#``/``\\!`` escape, and a file inside an ignored
directory stays ignored. Only the file at the root of the folder is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

IGNORE_FILE = ".bucketryignore"
PARTIAL_SUFFIX = ".bucketry-partial"


def glob_to_regex(pattern: str) -> str:
    """Translate one glob (already stripped of anchoring and trailing ``/``) to a regex."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                j = i + 2
                if at_start and j < n and pattern[j] == "/":
                    out.append("(?:.*/)?")  # "**/": zero or more whole segments
                    i = j + 1
                    continue
                if at_start and j == n:
                    out.append(".*")  # trailing "/**" (or a lone "**"): everything below
                    i = j
                    continue
                out.append(".*")
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                negate = body[:1] in ("!", "^")
                if negate:
                    body = body[1:]
                body = body.replace("\\", "\\\\")
                out.append(f"[{'^/' if negate else ''}{body}]" if negate else f"(?!/)[{body}]")
                i = j + 1
                continue
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern line."""

    source: str
    regex: re.Pattern[str]
    dir_only: bool = False
    negated: bool = False

    @classmethod
    def parse(cls, line: str, *, allow_negation: bool = False) -> Pattern:
        source = line
        negated = False
        if allow_negation and line.startswith("!"):
            negated, line = True, line[1:]
        elif line.startswith(("\\!", "\\#")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        line = line.lstrip("/")
        if not line:
            raise ValueError(f"empty pattern: {source!r}")
        body = glob_to_regex(line)
        if not anchored:
            body = "(?:.*/)?" + body
        return cls(source, re.compile(body + r"\Z", re.DOTALL), dir_only, negated)

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return self.regex.match(path) is not None


def _ancestors(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


class PatternSet:
    """Patterns where a path matches if it, or one of its directories, matches any."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = [Pattern.parse(p) for p in patterns if p]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, rel: str) -> bool:
        if any(p.matches(rel, False) for p in self.patterns):
            return True
        return any(self._dir_matches(d) for d in _ancestors(rel))

    @lru_cache(maxsize=4096)  # noqa: B019 - one set per transfer, bounded
    def _dir_matches(self, rel_dir: str) -> bool:
        return any(p.matches(rel_dir, True) for p in self.patterns)


class IgnoreRules:
    """The lines of a ``.bucketryignore`` (gitignore semantics, last match wins)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.patterns: list[Pattern] = []
        for raw in lines:
            line = raw.rstrip("\n").rstrip("\r")
            if not line.endswith("\\ "):
                line = line.rstrip(" ")
            if not line or line.startswith("#"):
                continue
            self.patterns.append(Pattern.parse(line, allow_negation=True))

    @classmethod
    def read(cls, path: Path) -> IgnoreRules:
        return cls(path.read_text(encoding="utf-8").splitlines())

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` itself is ignored (its directories are checked by the walk)."""
        verdict = False
        for p in self.patterns:
            if p.matches(rel, is_dir):
                verdict = not p.negated
        return verdict


class PathFilter:
    """Decides which relative paths a folder transfer takes. Build it with
    :meth:`for_folder` (the one place that reads the ignore file)."""

    @classmethod
    def for_folder(
        cls,
        root: Path,
        include: Sequence[str] | str | None = None,
        exclude: Sequence[str] | str | None = None,
        ignore_file: str | None = IGNORE_FILE,
    ) -> PathFilter:
        """The filter of a transfer of the folder ``root``: ``include``/``exclude`` globs (a
        single string is one pattern) and the rules of ``root/ignore_file`` when it exists
        (``None``: no ignore file)."""
        rules = None
        if ignore_file and (root / ignore_file).is_file():
            rules = IgnoreRules.read(root / ignore_file)
        if isinstance(include, str):
            include = [include]
        if isinstance(exclude, str):
            exclude = [exclude]
        return cls(include, exclude, rules)

    def __init__(
        self,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        ignore: IgnoreRules | None = None,
    ) -> None:
        if isinstance(include, str) or isinstance(exclude, str):
            raise TypeError("include/exclude take a list of patterns, not a string")
        self.include = PatternSet(include or ())
        self.exclude = PatternSet(exclude or ())
        self.ignore = ignore if ignore else None

    def dir_ignored(self, rel_dir: str) -> bool:
        """Whether the walk may skip a whole directory (ignore file only: include/exclude
        patterns can still match files below a directory they do not match)."""
        return self.ignore is not None and self.ignore.ignored(rel_dir, True)

    def wants(self, rel: str) -> bool:
        """Whether a file is taken (its directories passed ``dir_ignored`` already)."""
        if rel.endswith(PARTIAL_SUFFIX) and rel.rsplit("/", 1)[-1].startswith("."):
            return False
        if self.ignore is not None and self.ignore.ignored(rel, False):
            return False
        if self.include and not self.include.matches(rel):
            return False
        return not (self.exclude and self.exclude.matches(rel))
