"""``POST /buckets/{bucket}/blobs/batch``: many small blobs from one tar stream (see
:mod:`..batch` for how the members are stored and committed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from .. import transfer
from ..accounts.access import bucket_for_write
from ..batch import MAX_REQUEST_BYTES, put_batch
from ..errors import DomainError, TooLarge
from ..keys import check_prefix
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
    def before() -> str:
        check_prefix(prefix)
        transfer.check_query_utf8(request, prefix)
        length = request.headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > MAX_REQUEST_BYTES:
            raise TooLarge(
                "payload_too_large",
                f"a batch is limited to {MAX_REQUEST_BYTES} bytes; split the archive",
            )
        with state.db.session() as s:
            return transfer.require_managed(bucket_for_write(s, p, bucket)).id

    try:
        bucket_id = await run_in_threadpool(before)
    except DomainError as problem:
        raise transfer.refuse_early(request, problem) from None
    result = await put_batch(state, request.stream(), bucket_id, prefix, overwrite)
    return JSONResponse(result)
