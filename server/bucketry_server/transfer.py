"""Blob bytes over HTTP, shared by the bearer routes (``/buckets/{b}/blob``) and signed URLs.

- :func:`download` answers GET/HEAD: conditional requests (304/412), one ``Range`` (206/416),
  and a streamed body read from the object store in 1 MiB blocks (never whole in memory).
- :func:`upload` answers PUT: preconditions checked before a byte of the body is read (and
  again at commit), the body streamed through the store (hashing as it goes), checksums
  verified, then the key atomically pointed at the new object.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from urllib.parse import unquote_to_bytes

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from . import blob_ops
from .attributes import OCTET_STREAM, check_content_type, header_content_type, parse_metadata
from .ids import new_id
from .keys import check_key
from .models import Blob, Bucket
from .problems import ApiProblem
from .ranges import http_date, parse_range
from .state import AppState
from .storage.base import Expected, ObjectMissingError

# Types that mean "the client did not say" (curl -d / --data-binary defaults, form posts).
_NOT_A_BLOB_TYPE = ("application/octet-stream", "application/x-www-form-urlencoded", "multipart/")


def resolve_content_type(query_value: str | None, header_value: str | None) -> str:
    """The ``content_type`` parameter, else a meaningful request Content-Type, else octet-stream."""
    if query_value:
        return check_content_type(query_value)
    if header_value:
        lowered = header_value.strip().lower()
        if lowered and not lowered.startswith(_NOT_A_BLOB_TYPE):
            return check_content_type(header_value, "Content-Type")
    return OCTET_STREAM


def require_managed(bucket: Bucket) -> Bucket:
    if bucket.provider != "MANAGED":
        raise ApiProblem(
            400,
            "not_managed",
            "blob writes go to managed buckets; this bucket is imported from "
            f"{bucket.provider} (use its provider, or an operation, to change its data)",
        )
    return bucket


def check_query_utf8(request: Request, *values: str | None) -> None:
    """Refuse a query string that is not UTF-8: Starlette would silently turn the bad bytes into
    U+FFFD, so ``?key=%ff`` would store a different key than the client meant."""
    if not any(v is not None and "\ufffd" in v for v in values):
        return
    for part in request.scope.get("query_string", b"").split(b"&"):
        try:
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiProblem(400, "invalid_key", "the query string is not valid UTF-8") from None


def find_blob(session: Session, bucket_id: str, key: str) -> Blob | None:
    return session.scalar(select(Blob).where(Blob.bucket_id == bucket_id, Blob.key == key))


# --------------------------------------------------------------------------- downloads


def blob_headers(blob: Blob) -> dict[str, str]:
    return {
        "ETag": blob.etag,
        "Last-Modified": http_date(blob.modified_at),
        "Accept-Ranges": "bytes",
    }


def head_response(blob: Blob) -> Response:
    """200 with the blob's headers (its stored media type as Content-Type, octet-stream if the
    stored value is not a valid media type) and no body."""
    headers = blob_headers(blob)
    headers["Content-Length"] = str(blob.size)
    headers["Content-Type"] = header_content_type(blob.content_type)
    headers["X-Blob-Metadata"] = json.dumps(blob.meta or {}, separators=(",", ":"))
    if blob.sha256:
        headers["X-Checksum-SHA256"] = blob.sha256
    return Response(status_code=200, headers=headers)


class ObjectStreamResponse(Response):
    """Stream an already-opened object read: ``first`` block, then the rest of ``blocks``."""

    def __init__(
        self, first: bytes, blocks: AsyncIterator[bytes], status_code: int, headers: dict[str, str]
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.first = first
        self.blocks = blocks
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            if self.first:
                await send({"type": "http.response.body", "body": self.first, "more_body": True})
            async for block in self.blocks:
                await send({"type": "http.response.body", "body": block, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away: nothing more to do
            return
        finally:
            aclose = getattr(self.blocks, "aclose", None)
            if aclose is not None:
                await aclose()


async def _open(
    state: AppState, blob: Blob, start: int, end: int | None
) -> tuple[bytes, AsyncIterator[bytes]]:
    """Start reading (so a missing object fails before any header is sent)."""
    blocks = state.store.read(blob.object_id, start, end)
    try:
        first = await blocks.__anext__()
    except StopAsyncIteration:
        first = b""
    except BaseException:
        aclose = getattr(blocks, "aclose", None)
        if aclose is not None:
            await aclose()
        raise
    return first, blocks


async def download(
    state: AppState,
    load: Callable[[], Blob],
    *,
    range_header: str | None = None,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> Response:
    """GET a blob. ``load`` (run in a worker thread) authorizes and returns the row or raises."""
    for attempt in (1, 2):
        blob = await run_in_threadpool(load)
        if if_match is not None and not blob_ops.etag_matches(if_match, blob.etag):
            raise ApiProblem(412, "precondition_failed", "the blob's ETag does not match If-Match")
        if if_none_match is not None and blob_ops.etag_matches(if_none_match, blob.etag):
            return Response(status_code=304, headers=blob_headers(blob))
        span = parse_range(range_header, blob.size)
        start, end = span if span is not None else (0, None)
        try:
            first, blocks = await _open(state, blob, start, end)
        except ObjectMissingError:
            # Overwritten or deleted between the lookup and the open: look again once.
            if attempt == 2:
                raise
            continue
        headers = blob_headers(blob)
        headers["Content-Type"] = OCTET_STREAM
        if span is None:
            headers["Content-Length"] = str(blob.size)
            return ObjectStreamResponse(first, blocks, 200, headers)
        headers["Content-Length"] = str(span[1] - span[0] + 1)
        headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{blob.size}"
        return ObjectStreamResponse(first, blocks, 206, headers)
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- uploads


def body_pending(request: Request) -> bool:
    """Whether the client is (probably) still sending a body we have not read."""
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "chunked" in request.headers.get("transfer-encoding", "").lower()


def refuse_early(request: Request, problem: ApiProblem) -> ApiProblem:
    """A refusal sent before the body was read closes the connection, so the client stops
    sending (a large body is not drained for nothing; clients then read this response)."""
    if body_pending(request):
        problem.headers.setdefault("Connection", "close")
    return problem


def precheck(
    session: Session, bucket_id: str, key: str, if_match: str | None, if_none_match: str | None
) -> None:
    """Fail fast on preconditions; ``commit_blob`` checks them again atomically."""
    if if_match is None and if_none_match is None:
        return
    blob_ops.check_preconditions(find_blob(session, bucket_id, key), if_match, if_none_match)


def check_declared_size(request: Request, state: AppState) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.strip().isdigit():
        if int(length) > state.settings.max_blob_bytes:
            raise ApiProblem(
                413,
                "payload_too_large",
                f"blobs are limited to {state.settings.max_blob_bytes} bytes",
            )


async def upload(
    request: Request,
    state: AppState,
    authorize: Callable[[Session], Bucket],
    key: str,
    *,
    content_type: str | None = None,
    metadata: str | None = None,
    content_md5: str | None = None,
    sha256: str | None = None,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> Response:
    """PUT a blob from the request body; answers 201 with the Blob and its ETag.

    Everything that can refuse the request (key, headers, rights, preconditions, declared size)
    is checked before the first byte of the body is read. ``authorize`` runs in a worker thread
    with a session and returns the writable bucket or raises.
    """

    def before() -> tuple[str, str, dict[str, str], Expected, str]:
        check_key(key)
        check_query_utf8(request, key, content_type)
        media_type = resolve_content_type(content_type, request.headers.get("content-type"))
        meta = parse_metadata(metadata, "X-Blob-Metadata")
        expected = blob_ops.parse_expected(content_md5, sha256, state.settings.max_blob_bytes)
        check_declared_size(request, state)
        with state.db.session() as s:  # one session: rights, preconditions, reservation
            bucket = require_managed(authorize(s))
            precheck(s, bucket.id, key, if_match, if_none_match)
            return bucket.id, media_type, meta, expected, new_id("obj")

    try:
        bucket_id, media_type, meta, expected, oid = await run_in_threadpool(before)
    except ApiProblem as problem:
        raise refuse_early(request, problem) from None
    oid, result = await blob_ops.reserve_and_write(state, request.stream(), expected, oid)
    blob = await blob_ops.commit_blob(
        state,
        bucket_id,
        key,
        oid,
        result,
        content_type=media_type,
        metadata=meta,
        if_match=if_match,
        if_none_match=if_none_match,
    )
    return JSONResponse(blob_ops.blob_json(blob), status_code=201, headers={"ETag": blob.etag})


def blob_or_404(blob: Blob | None) -> Blob:
    if blob is None:
        raise ApiProblem(404, "not_found", "blob not found")
    return blob
