"""Zip archives stored as blobs: list members and locate one member's data, by ranged reads of
the archive's tail and central directory (see ``zipinfo``), never by reading the whole blob."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from .. import zipinfo
from ..accounts.access import bucket_for_read
from ..accounts.principals import Principal
from ..errors import Unprocessable, not_found
from ..keys import check_key
from ..models import Blob
from ..state import AppState
from ..storage.base import ObjectMissingError
from ..timeutil import iso
from .deps import CurrentPrincipal, State
from .params import BucketRef

router = APIRouter(tags=["blobs"])

Key = Annotated[str, Query(min_length=1, max_length=1024)]


def _find_blob(state: AppState, p: Principal, bucket: str, key: str) -> tuple[str, int]:
    """``(object_id, size)`` of a blob the caller may read, else 404."""
    check_key(key)
    with state.db.session() as s:
        b = bucket_for_read(s, p, bucket)
        row = s.execute(
            select(Blob.object_id, Blob.size).where(Blob.bucket_id == b.id, Blob.key == key)
        ).first()
        if row is None:
            raise not_found("blob")
        return row[0], row[1]


def _reader(state: AppState, object_id: str) -> zipinfo.RangeReader:
    async def read(start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        return await state.store.read_range(object_id, start, length)

    return read


async def _directory(
    state: AppState, p: Principal, bucket: str, key: str
) -> tuple[zipinfo.RangeReader, int, list[zipinfo.ZipEntry]]:
    object_id, size = await run_in_threadpool(_find_blob, state, p, bucket, key)
    read = _reader(state, object_id)
    try:
        entries = await zipinfo.read_central_directory(read, size)
    except zipinfo.ZipCorruptError as exc:
        raise Unprocessable("corrupt_zip", f"the zip archive is damaged: {exc}") from exc
    except zipinfo.ZipError as exc:
        raise Unprocessable("not_a_zip", f"the blob is not a zip archive: {exc}") from exc
    except ObjectMissingError as exc:  # replaced or deleted while we read
        raise not_found("blob") from exc
    return read, size, entries


def member_json(e: zipinfo.ZipEntry) -> dict[str, Any]:
    return {
        "name": e.name,
        "size": e.size,
        "compressed_size": e.compressed_size,
        "offset": e.offset,
        "method": e.method,
        "crc32": e.crc32,
        "modified_at": iso(e.modified_at),
        "is_dir": e.is_dir,
    }


@router.get("/buckets/{bucket}/blob/zip")
async def blobs_zip_list(
    bucket: BucketRef,
    key: Key,
    p: CurrentPrincipal,
    state: State,
    path: Annotated[str, Query(max_length=1024)] = "",
    recursive: bool = True,
) -> dict[str, Any]:
    _, size, entries = await _directory(state, p, bucket, key)
    members = zipinfo.list_members(entries, path, recursive)
    if members is None:
        raise not_found(f"folder {path!r} in the archive")
    return {"size": size, "members": [member_json(e) for e in members]}


@router.get("/buckets/{bucket}/blob/zip/range")
async def blobs_zip_range(
    bucket: BucketRef,
    key: Key,
    member: Annotated[str, Query(min_length=1, max_length=1024)],
    p: CurrentPrincipal,
    state: State,
) -> dict[str, Any]:
    read, size, entries = await _directory(state, p, bucket, key)
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
    }
