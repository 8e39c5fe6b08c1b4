"""``POST /buckets/{bucket}/blobs/batch``: many small blobs from one tar stream (HTTP only; see
:mod:`..blobs.batch` for how the members are stored and committed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from ..accounts.access import bucket_for_write
from ..backends.base import BucketBackend
from ..backends.registry import backend_for
from ..blobs.batch import MAX_REQUEST_BYTES, put_batch
from ..errors import DomainError, TooLarge
from ..keys import check_prefix
from . import http_bodies
from .deps import CurrentPrincipal, State
from .params import BucketRef

router = APIRouter()


@router.post("/buckets/{bucket}/blobs/batch", tags=["blobs"])
async def blobs_put_batch(
    request: Request,
    bucket: BucketRef,
    p: CurrentPrincipal,
    state: State,
    prefix: Annotated[str, Query(max_length=1024)] = "",
    overwrite: bool = True,
) -> Response:
    def before() -> BucketBackend:
        check_prefix(prefix)
        http_bodies.check_query_utf8(request, prefix)
        length = request.headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > MAX_REQUEST_BYTES:
            raise TooLarge(
                "payload_too_large",
                f"a batch is limited to {MAX_REQUEST_BYTES} bytes; split the archive",
            )
        with state.db.session() as s:
            backend = backend_for(state, bucket_for_write(s, p, bucket))
        backend.check_writable()
        return backend

    try:
        backend = await run_in_threadpool(before)
    except DomainError as problem:
        raise http_bodies.refuse_early(request, problem) from None
    return JSONResponse(await put_batch(backend, request.stream(), prefix, overwrite))
