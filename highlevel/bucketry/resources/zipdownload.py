"""``bucket.download(..., decompress=True)``: downloaded zip archives are extracted safely, and a
path inside an archive (``out.zip/logs/stdout.txt``, or a folder ``out.zip/logs/``) downloads
just those members, streamed from the archive blob without downloading it.

An archive ``name.zip`` is extracted into the folder ``name`` beside it (by
:func:`..transfer.unzip.extract_zip`: member names are checked first, symbolic links refused,
nothing written outside the folder) and the archive file is then removed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..transfer.report import FileResult, TransferReport
from ..transfer.unzip import UnsafeArchiveError, extract_zip, safe_member_path
from .zips import ZipArchive

if TYPE_CHECKING:
    from .blobs import Blob
    from .buckets import Bucket

__all__ = ["archive_member_of", "download_members", "extract_downloaded"]

_SUFFIX = ".zip"


def archive_member_of(bucket: Bucket, src: str) -> tuple[Blob, str] | None:
    """``(archive blob, member path)`` when ``src`` is a path inside a zip blob
    (``a/out.zip/logs/x.txt``); None when ``src`` is itself a blob or names no existing
    archive. Makes one HEAD per candidate archive (the shortest first)."""
    lowered = src.lower()
    if _SUFFIX + "/" not in lowered or bucket.blob(src.rstrip("/") or src).exists():
        return None
    start = 0
    while (i := lowered.find(_SUFFIX + "/", start)) != -1:
        key, member = src[: i + len(_SUFFIX)], src[i + len(_SUFFIX) + 1 :]
        start = i + 1
        if member and bucket.blob(key).exists():
            return bucket.blob(key), member
    return None


def download_members(blob: Blob, member: str, dst: Path) -> TransferReport:
    """Download ``member`` of the zip ``blob`` to ``dst`` (a file, or a folder to put it in),
    or, for ``member`` ending in ``/``, every file under that folder of the archive into the
    folder ``dst``. Each member is streamed (one ranged GET) into a temporary file renamed at
    the end. Raises ``NotFoundError`` (no such member or folder), ``UnsafeArchiveError`` (a
    member name that would leave ``dst``), ``ZipUnsupportedError``, ``IntegrityError``."""
    archive = ZipArchive(blob)
    report = TransferReport("download")
    began = time.monotonic()
    if member.endswith("/"):
        listing = archive.list(member, recursive=True)
        files = [m for m in listing.members if not m.is_dir]
        targets = [(m.name, safe_member_path(dst, m.name[len(member) :])) for m in files]
    else:
        base = member.rsplit("/", 1)[-1]
        target = safe_member_path(dst, base) if dst.is_dir() else dst
        targets = [(member, target)]
    for name, target in targets:
        t0 = time.monotonic()
        size = _stream_member(archive, name, target)
        key = f"{blob.key}/{name}"
        report.results.append(
            FileResult(
                key, target, "downloaded", size=size, bytes=size, elapsed=time.monotonic() - t0
            )
        )
    report.elapsed = time.monotonic() - began
    return report


def _stream_member(archive: ZipArchive, member: str, target: Path) -> int:
    """Write one member to ``target`` through a temporary file; returns its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.bucketry-partial")
    size = 0
    try:
        with archive.open(member) as reader, open(tmp, "wb") as out:
            while chunk := reader.read(1024 * 1024):
                out.write(chunk)
                size += len(chunk)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return size


def extract_downloaded(report: TransferReport) -> list[Path]:
    """Extract every downloaded ``*.zip`` file of ``report`` into the folder named after it
    (``out.zip`` -> ``out/``) and remove the archive; returns the files extracted. Raises
    ``UnsafeArchiveError`` (nothing extracted from that archive, which is kept),
    ``IntegrityError`` (a damaged member) or ``zipfile.BadZipFile``."""
    import zipfile

    extracted: list[Path] = []
    for result in report.results:
        path = result.path
        if result.status != "downloaded" or path is None or not path.name.lower().endswith(".zip"):
            continue
        if not zipfile.is_zipfile(path):
            continue
        folder = path.with_name(path.name[: -len(_SUFFIX)] or "archive")
        if folder.exists() and not folder.is_dir():
            raise UnsafeArchiveError(f"cannot extract {path}: {folder} exists and is a file")
        extracted += extract_zip(path, folder)
        path.unlink()
    return extracted
