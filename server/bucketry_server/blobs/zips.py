"""Zip archives stored as blobs: list members and locate one member's data, by ranged reads of
the archive's tail and central directory (see :mod:`.zipinfo`), never by reading the whole
blob."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend
from ..errors import Unprocessable, not_found
from ..keys import check_key
from ..state import AppState
from ..storage.base import ObjectMissingError
from ..timeutil import iso
from . import zipinfo
from .service import readable, stat_blob


def _reader(backend: BucketBackend, blob: BlobRecord) -> zipinfo.RangeReader:
    async def read(start: int, length: int) -> bytes:
        return await backend.read_range(blob, start, length)

    return read


async def directory(
    state: AppState, p: Principal, bucket: str, key: str
) -> tuple[zipinfo.RangeReader, int, list[zipinfo.ZipEntry]]:
    """The archive's reader, size and central directory entries; ``NotFound`` (no such blob),
    ``Unprocessable`` (``not_a_zip``, ``corrupt_zip``)."""
    check_key(key)
    backend = await readable(state, p, bucket)
    blob = await stat_blob(backend, key)
    read = _reader(backend, blob)
    try:
        entries = await zipinfo.read_central_directory(read, blob.size)
    except zipinfo.ZipCorruptError as exc:
        raise Unprocessable("corrupt_zip", f"the zip archive is damaged: {exc}") from exc
    except zipinfo.ZipError as exc:
        raise Unprocessable("not_a_zip", f"the blob is not a zip archive: {exc}") from exc
    except ObjectMissingError as exc:  # replaced or deleted while we read
        raise not_found("blob") from exc
    return read, blob.size, entries


def member_json(e: zipinfo.ZipEntry) -> dict[str, Any]:
    """One archive member as the API's ``ZipMember``."""
    return {
        "name": e.name,
        "size": e.size,
        "compressed_size": e.compressed_size,
        "offset": e.offset,
        "method": e.method,
        "crc32": e.crc32,
        "modified_at": iso(e.modified_at),
        "is_dir": e.is_dir,
        "encrypted": bool(e.flags & 1),
    }


async def list_members(
    state: AppState, p: Principal, bucket: str, key: str, path: str, recursive: bool
) -> dict[str, Any]:
    """The members under folder ``path`` of the archive (``ZipListing``); ``NotFound`` if the
    folder is not in the archive."""
    _, size, entries = await directory(state, p, bucket, key)

    def listing() -> list[dict[str, Any]] | None:  # up to MAX_MEMBERS entries: off the loop
        members = zipinfo.list_members(entries, path, recursive)
        return None if members is None else [member_json(e) for e in members]

    found = await run_in_threadpool(listing)
    if found is None:
        raise not_found(f"folder {path!r} in the archive")
    return {"size": size, "members": found}


async def member_range(
    state: AppState, p: Principal, bucket: str, key: str, member: str
) -> dict[str, Any]:
    """Where ``member``'s data lies in the archive (``ZipMemberRange``)."""
    read, size, entries = await directory(state, p, bucket, key)
    found = [e for e in entries if e.name == member]
    if not found:
        raise not_found(f"member {member!r} in the archive")
    entry = found[-1]  # like zipfile: a later duplicate wins
    try:
        start, end = await zipinfo.member_data_range(read, size, entry)
    except zipinfo.ZipError as exc:
        raise Unprocessable("corrupt_zip", f"the zip archive is damaged: {exc}") from exc
    except ObjectMissingError as exc:
        raise not_found("blob") from exc
    return {
        "member": entry.name,
        "start": start,
        "end": end,
        "compressed_size": entry.compressed_size,
        "size": entry.size,
        "method": entry.method,
        "crc32": entry.crc32,
        "encrypted": bool(entry.flags & 1),
    }
