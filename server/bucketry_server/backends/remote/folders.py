"""Server folders as buckets: confinement to the configured roots and safe key → path mapping.

A FILESYSTEM bucket is a folder under one of the server's roots (``BUCKETRY_FILESYSTEM_ROOTS``).
Keys are relative paths with ``/``; a key never escapes its folder: no ``..`` or ``.``
segments, no empty segments, no absolute paths, no symbolic link anywhere on the way (links
inside the folder are neither listed nor followed).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from ...errors import Invalid

#: Names of files being written (renamed into place when complete); never listed.
TEMP_PREFIX = ".bucketry-tmp-"


def _refuse(detail: str, field: str = "provider_bucket") -> Invalid:
    return Invalid(
        "invalid_folder",
        f"{field}: {detail}",
        errors=[{"loc": ["body", field], "msg": detail, "type": "value_error"}],
    )


def confine_folder(folder: str, roots: Sequence[Path]) -> Path:
    """The real path of ``folder`` if it is an absolute path inside one of ``roots`` (symbolic
    links resolved on both sides; a link pointing out of every root is an escape). Raises
    ``Invalid`` naming ``provider_bucket`` otherwise (also when no root is configured)."""
    if not roots:
        raise _refuse("the server has no FILESYSTEM roots (BUCKETRY_FILESYSTEM_ROOTS)")
    if "\0" in folder or not os.path.isabs(folder):
        raise _refuse("must be an absolute folder path on the server")
    if any(part == ".." for part in Path(folder).parts):
        raise _refuse("must not contain '..'")
    real = Path(os.path.realpath(folder))
    for root in roots:
        real_root = Path(os.path.realpath(root))
        if real == real_root or real_root in real.parents:
            return real
    raise _refuse("is outside the server's FILESYSTEM roots")


def key_parts(key: str) -> list[str]:
    """The path segments of a key. Raises ``ValueError`` for a key that could escape or is
    not a plain relative path."""
    if not key or key.startswith("/") or "\0" in key:
        raise ValueError(f"key {key!r} is not a relative path")
    parts = key.split("/")
    for part in parts:
        if part in ("", ".", "..") or part.startswith(TEMP_PREFIX):
            raise ValueError(f"key {key!r} has a '{part}' segment")
    return parts


def safe_path(root: Path, key: str, *, create_parents: bool = False) -> Path:
    """The path of ``key`` under ``root`` (a real path) with no symbolic link on the way (the
    last segment included, if it exists). ``create_parents`` makes missing folders. Raises
    ``ValueError`` for an unsafe key or a link, ``NotADirectoryError`` if a parent is a file."""
    parts = key_parts(key)
    here = root
    for part in parts[:-1]:
        here = here / part
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            if not create_parents:
                raise
            try:
                os.mkdir(here, 0o755)
            except FileExistsError:
                pass
            st = os.lstat(here)
        if stat.S_ISLNK(st.st_mode):
            raise ValueError(f"key {key!r} passes a symbolic link")
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(f"key {key!r}: {part!r} is a file")
    path = here / parts[-1]
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise ValueError(f"key {key!r} is a symbolic link")
    except FileNotFoundError:
        pass
    return path
