"""Safe extraction of downloaded zip archives (``download(..., decompress=True)``).

Every member name is checked before anything is written: no absolute names, drive letters,
backslashes, NUL, ``..`` components or names whose resolved path leaves the target folder;
symbolic links (and other non-regular Unix file types) are refused. A refused archive writes
nothing. Members are written through a temporary file each and renamed into place; each one
yields at most its declared size (``zipfile`` stops there and checks the CRC-32), and the total
of the declared sizes is bounded by ``max_total`` (default: the free disk space, so a zip bomb
is refused before anything is written).
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import BucketryError, IntegrityError

__all__ = ["UnsafeArchiveError", "extract_zip", "safe_member_path"]

_COPY_CHUNK = 1024 * 1024


class UnsafeArchiveError(BucketryError, ValueError):
    """A zip archive (or a member name) that would write outside its target folder, holds a
    symbolic link or special file, or is larger than allowed; nothing was extracted."""


def safe_member_path(root: Path, name: str) -> Path:
    """The path under ``root`` where the member ``name`` goes. Raises
    :class:`UnsafeArchiveError` for a name that is empty, absolute, has a drive letter, a
    backslash, a NUL or a ``..`` component, or resolves outside ``root``."""
    bad = (
        not name
        or "\x00" in name
        or "\\" in name
        or name.startswith("/")
        or (len(name) >= 2 and name[1] == ":")
    )
    parts = PurePosixPath(name).parts
    if bad or any(p in ("..", ".") for p in parts) or not parts:
        raise UnsafeArchiveError(f"refusing archive member {name!r}: it would leave the target")
    base = root.resolve()
    target = base.joinpath(*parts)
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafeArchiveError(f"refusing archive member {name!r}: it resolves outside {root}")
    return target


def _is_special(info: zipfile.ZipInfo) -> bool:
    """Whether the member is a symlink or another non-regular Unix file (device, fifo...)."""
    mode = info.external_attr >> 16
    if info.create_system != 3 or not mode:  # not made on Unix: no file type recorded
        return False
    kind = stat.S_IFMT(mode)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)


def plan_extraction(
    archive: zipfile.ZipFile, root: Path, *, prefix: str = "", max_total: int | None = None
) -> list[tuple[zipfile.ZipInfo, Path]]:
    """Check every member under ``prefix`` (names relative to it) and return where each
    goes. Raises :class:`UnsafeArchiveError` naming the first bad member, before anything is
    written."""
    plan: list[tuple[zipfile.ZipInfo, Path]] = []
    total = 0
    for info in archive.infolist():
        if not info.filename.startswith(prefix) or info.filename == prefix:
            continue
        if _is_special(info):
            raise UnsafeArchiveError(
                f"refusing archive member {info.filename!r}: symbolic links and special "
                "files are not extracted"
            )
        if info.flag_bits & 1:
            raise UnsafeArchiveError(f"refusing archive member {info.filename!r}: encrypted")
        plan.append((info, safe_member_path(root, info.filename[len(prefix) :])))
        total += info.file_size
        if max_total is not None and total > max_total:
            raise UnsafeArchiveError(f"the archive declares more than {max_total} bytes of members")
    return plan


def extract_zip(
    archive_path: Path, root: Path, *, prefix: str = "", max_total: int | None = None
) -> list[Path]:
    """Extract the members of ``archive_path`` under ``prefix`` (``""``: all, names taken
    relative to it) into the folder ``root``; returns the files written. ``max_total``
    bounds the members' declared sizes (default: the free space where ``root`` is). Raises
    :class:`UnsafeArchiveError` (nothing written), ``zipfile.BadZipFile`` for a damaged
    archive, ``IntegrityError`` for a member whose CRC-32 or size does not match (its file is
    not left behind)."""
    written: list[Path] = []
    if max_total is None:  # a zip bomb must not fill the disk: what fits, or nothing
        max_total = free_bytes(root)
    with zipfile.ZipFile(archive_path) as archive:
        plan = plan_extraction(archive, root, prefix=prefix, max_total=max_total)
        root.mkdir(parents=True, exist_ok=True)
        for info, target in plan:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent.resolve() != target.resolve().parent:  # a link appeared meanwhile
                raise UnsafeArchiveError(f"refusing archive member {info.filename!r}")
            try:
                write_member(archive, info, target)
            except zipfile.BadZipFile as exc:  # CRC-32 or size does not match
                raise IntegrityError(
                    f"{archive_path}: member {info.filename!r} is damaged ({exc})"
                ) from None
            written.append(target)
    return written


def free_bytes(folder: Path) -> int:
    """Free space on the file system of ``folder`` (or of its nearest existing parent)."""
    here = folder.resolve()
    while not here.exists() and here != here.parent:
        here = here.parent
    return shutil.disk_usage(here).free


def write_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Stream one member into ``target`` through a temporary file renamed at the end (the
    member's declared size is the most ``zipfile`` yields; its CRC-32 is checked)."""
    tmp = target.with_name(f".{target.name}.bucketry-unzip")
    try:
        with archive.open(info) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, _COPY_CHUNK)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
