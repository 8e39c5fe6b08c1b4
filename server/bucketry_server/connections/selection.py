"""Which keys of a bucket a connection takes: selected folders and include/exclude globs.

No filter means everything (never "import nothing"): no folders is the whole bucket, no include
glob takes every key. Folders are normalised (no leading ``/``, a trailing ``/`` added, nested
ones folded into their parent) and listed in key order, so their concatenated listings are in
key order too (two folders where neither contains the other hold disjoint, ordered key ranges).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import Invalid
from ..globbing import Glob, GlobError, compile_glob


def _bad(field: str, index: int, msg: str) -> Invalid:
    return Invalid(
        "invalid_parameter",
        f"{field}[{index}]: {msg}",
        errors=[{"loc": ["body", field, index], "msg": msg, "type": "value_error"}],
    )


def normalise_folders(folders: Sequence[str]) -> list[str]:
    """The folders as stored: ``raw`` and ``/raw/`` become ``raw/``, duplicates and folders
    inside another selected folder are dropped, sorted. Raises ``Invalid`` naming
    ``selected_folders[i]`` for an empty folder, a ``..``/``.`` segment or a NUL."""
    out: set[str] = set()
    for i, raw in enumerate(folders):
        folder = raw.strip("/")
        if not folder:
            raise _bad("selected_folders", i, "must name a folder (omit the list for everything)")
        if "\x00" in folder or any(seg in ("", ".", "..") for seg in folder.split("/")):
            raise _bad("selected_folders", i, "segments must not be empty, '.' or '..'")
        out.add(folder + "/")
    ordered = sorted(out)
    kept: list[str] = []
    for folder in ordered:
        if not any(folder.startswith(parent) for parent in kept):
            kept.append(folder)
    return kept


def check_globs(field: str, patterns: Sequence[str]) -> list[str]:
    """``patterns`` if each compiles; raises ``Invalid`` naming ``field[i]`` otherwise."""
    for i, pattern in enumerate(patterns):
        if not pattern or "\x00" in pattern:
            raise _bad(field, i, "must be a non-empty glob")
        try:
            compile_glob(pattern)
        except GlobError as exc:
            raise _bad(field, i, str(exc)) from exc
    return list(patterns)


@dataclass
class Selection:
    """A connection's filter, compiled: :meth:`prefixes` to list, :meth:`takes` per key."""

    folders: list[str]
    include: list[Glob]
    exclude: list[Glob]

    @classmethod
    def of(
        cls, folders: Sequence[str], include: Sequence[str], exclude: Sequence[str]
    ) -> Selection:
        """Compile stored (already checked) folders and globs."""
        return cls(
            list(folders),
            [compile_glob(g) for g in include],
            [compile_glob(g) for g in exclude],
        )

    def prefixes(self) -> list[str]:
        """The prefixes to list, in key order (``[""]``: the whole bucket)."""
        return self.folders or [""]

    def takes(self, key: str) -> bool:
        """Whether ``key`` (already below a listed prefix) passes the globs."""
        if self.include and not any(g.matches(key) for g in self.include):
            return False
        return not any(g.matches(key) for g in self.exclude)
