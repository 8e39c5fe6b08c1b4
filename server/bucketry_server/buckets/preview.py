"""A bucket's preview: a small JPEG thumbnail of one of its first images.

Candidates come from the bucket's own listing (:class:`..backends.base.BucketBackend`), so a
managed bucket and a bucket imported from a provider (S3, Azure, GCS, a server folder) are
previewed the same way: the first few images by key, found among at most
``PREVIEW_SCAN_LIMIT`` listed blobs, each read through the backend (``open_read``) only if
it is no larger than ``MAX_SOURCE_BYTES``. Thumbnails are cached per version: (bucket id, key,
etag), which names a version whatever holds the data.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_read
from ..accounts.principals import Principal
from ..backends.base import BucketBackend, ListQuery
from ..backends.registry import backend_for
from ..errors import NotFound
from ..models import Bucket
from ..state import AppState
from .content import read_blob
from .thumbnails import IMAGE_EXTENSIONS, MAX_SOURCE_BYTES

#: Images tried (in key order) before giving up.
PREVIEW_CANDIDATES = 5
#: Listed blobs looked at while searching for images (bounds the cost of a preview).
PREVIEW_SCAN_LIMIT = 5000
_PAGE = 1000


def _is_image(entry: dict[str, Any]) -> bool:
    """Whether a listed blob looks like an image (content type or name) worth reading."""
    if not 0 < int(entry.get("size") or 0) <= MAX_SOURCE_BYTES:
        return False
    if str(entry.get("content_type") or "").startswith("image/"):
        return True
    return str(entry["key"]).lower().endswith(IMAGE_EXTENSIONS)


async def _candidates(backend: BucketBackend) -> list[dict[str, Any]]:
    """The first ``PREVIEW_CANDIDATES`` images by key among the first
    ``PREVIEW_SCAN_LIMIT`` listed blobs (listing entries: key, size, etag, content_type)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    scanned = 0
    while scanned < PREVIEW_SCAN_LIMIT:
        page = json.loads(await backend.list_blobs(ListQuery(page_size=_PAGE, cursor=cursor)))
        scanned += max(1, len(page["results"]))
        found += [e for e in page["results"] if _is_image(e)]
        cursor = page["next_cursor"]
        if len(found) >= PREVIEW_CANDIDATES or cursor is None:
            break
    return found[:PREVIEW_CANDIDATES]


async def _read_version(backend: BucketBackend, key: str, etag: str) -> bytes:
    """The bytes of ``key`` if it is still the version ``etag`` (else ``NotFound``)."""
    blob = await backend.stat(key)
    if blob is None or blob.etag != etag or blob.size > MAX_SOURCE_BYTES:
        raise NotFound("not_found", f"{key!r} changed or vanished")
    return await read_blob(backend, blob, MAX_SOURCE_BYTES)


async def preview(state: AppState, p: Principal, bucket: str) -> bytes:
    """A JPEG thumbnail of one of the bucket's first images (by key), for any backend.

    Raises ``NotFound`` (``no_preview``) if none can be made, and the errors of reading the
    bucket (``NotFound``/``Forbidden``). Thumbnails come from ``state.thumbnails`` (once per
    version, a bounded number decoded at a time, huge images never decoded)."""
    b = await run_in_threadpool(_read_bucket, state, p, bucket)
    backend = backend_for(state, b)
    for entry in await _candidates(backend):
        key, etag = str(entry["key"]), str(entry["etag"])
        version = "\0".join((b.id, key, etag))
        try:
            read = functools.partial(_read_version, backend, key, etag)
            thumb = await state.thumbnails.thumbnail(version, read)
        except Exception:  # a vanished or unreadable object: try the next image
            continue
        if thumb is not None:
            return thumb
    raise NotFound("no_preview", "the bucket holds no image to preview")


def _read_bucket(state: AppState, p: Principal, ref: str) -> Bucket:
    with state.db.session() as s:
        return bucket_for_read(s, p, ref)
