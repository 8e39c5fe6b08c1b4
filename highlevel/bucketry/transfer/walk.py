"""Walk a local folder in the order a server lists keys.

The server orders keys by code point, which is the byte order of their UTF-8 encoding (Python
compares ``str`` the same way). A sorted merge against a listing needs the local files in exactly
that order *by full relative path*. Sorting each directory's names is not enough: ``"a-b"`` sorts
before ``"a"`` as a name, yet every path below ``"a/"`` sorts before ``"a-b"`` because ``"-"``
(0x2D) is below ``"/"`` (0x2F). Sorting each directory's entries by ``name + "/"`` for folders and
``name`` for files gives full-path order, because no entry's key is a prefix of another's
(``"d/"`` can only prefix the descendants of ``d``). Memory stays at one directory listing per
level of depth.

Filtering is the transfer engine's :class:`~bucketry.transfer.filters.PathFilter`
(include/exclude globs, ``.bucketryignore``), so a sync takes exactly the files an ``upload`` of
the same folder would. Entries are slim (paths stay strings): a walk of 100,000 files is CPU-bound
on ``stat`` and must stay cheap.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from .filters import PARTIAL_SUFFIX, PathFilter

log = logging.getLogger("bucketry")


class LocalEntry(NamedTuple):
    """One regular file found by :func:`walk_sorted`."""

    rel: str  # relative POSIX path: the key below the prefix
    path: str
    size: int
    mtime_ns: int


_NO_PATTERNS = PathFilter()


def effective(keep: PathFilter | None) -> PathFilter | None:
    """``keep``, or ``None`` when it has no patterns at all (the fast path)."""
    if keep is None or not (keep.include or keep.exclude or keep.ignore):
        return None
    return keep


def wanted(keep: PathFilter | None, rel: str) -> bool:
    """Whether a file (local or remote) at ``rel`` takes part; ``keep`` as from
    :func:`effective`. Download leftovers (``.name.bucketry-partial``) never do."""
    if keep is None:
        return not rel.endswith(PARTIAL_SUFFIX) or _NO_PATTERNS.wants(rel)
    return keep.wants(rel)


def _valid_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes kept as surrogates by os.fsdecode
        return False
    return True


def walk_sorted(root: Path, keep: PathFilter | None = None) -> Iterator[LocalEntry]:
    """Yield the regular files under ``root`` sorted by relative path in UTF-8 byte order,
    those ``keep`` wants (folders its ignore rules exclude are not entered).

    Symlinks to files are followed; symlinks to folders are not (no cycles). A missing ``root``
    yields nothing. Names that are not valid UTF-8 cannot be keys and are skipped with a warning.
    """
    if not root.is_dir():
        return
    yield from _walk(str(root), "", effective(keep))


def _walk(folder: str, base: str, keep: PathFilter | None) -> Iterator[LocalEntry]:
    entries: list[tuple[str, os.DirEntry[str], bool]] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if not _valid_utf8(entry.name):
                    log.warning("skipping %r: its name is not valid UTF-8", entry.path)
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        entries.append((entry.name + "/", entry, True))
                    elif entry.is_file():
                        entries.append((entry.name, entry, False))
                except OSError:
                    continue
    except PermissionError:
        log.warning("skipping unreadable folder %s", folder)
        return
    entries.sort(key=lambda item: item[0])
    for sort_key, entry, is_dir in entries:
        rel = base + sort_key
        if is_dir:
            if keep is None or not keep.dir_ignored(rel[:-1]):
                yield from _walk(entry.path, rel, keep)
            continue
        if not wanted(keep, rel):
            continue
        try:
            st = entry.stat()
        except OSError:  # vanished or a dangling symlink
            continue
        yield LocalEntry(rel, entry.path, st.st_size, st.st_mtime_ns)


def ancestors_ignored(keep: PathFilter, rel: str) -> bool:
    """Whether a folder above ``rel`` is excluded by the ignore rules (for remote keys, which
    are not walked folder by folder)."""
    parts = rel.split("/")[:-1]
    return any(keep.dir_ignored("/".join(parts[: i + 1])) for i in range(len(parts)))
