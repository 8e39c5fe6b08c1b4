"""A bucket's preview: a small JPEG thumbnail of one of its first images."""

from __future__ import annotations

import functools

from sqlalchemy import func, or_, select
from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_read
from ..accounts.principals import Principal
from ..backends.registry import backend_for
from ..errors import NotFound
from ..models import Blob, Bucket
from ..state import AppState
from .content import read_blob
from .thumbnails import IMAGE_EXTENSIONS, MAX_SOURCE_BYTES

PREVIEW_CANDIDATES = 5


def _preview_candidates(state: AppState, p: Principal, ref: str) -> tuple[Bucket, list[Blob]]:
    with state.db.session() as s:
        b = bucket_for_read(s, p, ref)
        lowered = func.lower(Blob.key)
        is_image = or_(
            Blob.content_type.like("image/%"),
            *[lowered.like(f"%{ext}") for ext in IMAGE_EXTENSIONS],
        )
        rows = s.scalars(
            select(Blob)
            .where(Blob.bucket_id == b.id, is_image, Blob.size > 0)
            .order_by(Blob.key)
            .limit(PREVIEW_CANDIDATES)
        )
        return b, list(rows.all())


async def preview(state: AppState, p: Principal, bucket: str) -> bytes:
    """A JPEG thumbnail of one of the bucket's first images (by key); ``NotFound``
    (``no_preview``) if none can be made. Thumbnails come from ``state.thumbnails`` (once per
    blob version, a bounded number decoded at a time, huge images never decoded)."""
    b, candidates = await run_in_threadpool(_preview_candidates, state, p, bucket)
    backend = backend_for(state, b)
    for blob in candidates:
        if blob.size > MAX_SOURCE_BYTES:
            continue
        try:
            thumb = await state.thumbnails.thumbnail(
                blob.object_id, functools.partial(read_blob, backend, blob, MAX_SOURCE_BYTES)
            )
        except Exception:  # a vanished object (deleted meanwhile): try the next image
            continue
        if thumb is not None:
            return thumb
    raise NotFound("no_preview", "the bucket holds no image to preview")
