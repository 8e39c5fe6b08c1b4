"""Blob bytes over HTTP (request and response bodies; not the SDK's transfer engine), shared
by the bearer routes (``/buckets/{b}/blob``) and signed URLs.

- :func:`download` answers GET: conditional requests (304/412), one ``Range`` (206/416), and
  a streamed body read through the bucket's backend in blocks (never whole in memory).
- :func:`upload` answers PUT: preconditions checked before a byte of the body is read (and
  again at commit), the body streamed to the backend (hashing as it goes), checksums
  verified, then the key atomically pointed at the new object.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import unquote_to_bytes

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from ..backends.base import BlobRecord, BucketBackend, WriteSpec
from ..backends.conditions import etag_matches
from ..backends.registry import backend_for
from ..blobs.service import check_put
from ..blobs.validation import (
    OCTET_STREAM,
    header_content_type,
    parse_expected,
    parse_metadata,
    resolve_content_type,
)
from ..blobs.views import blob_json
from ..errors import DomainError, Invalid, PreconditionFailed, TooLarge
from ..keys import check_key
from ..models import Bucket
from ..ranges import http_date, parse_range
from ..state import AppState
from ..storage.base import ObjectMissingError
from ..timeutil import utcnow


def check_query_utf8(request: Request, *values: str | None) -> None:
    """Refuse a query string that is not UTF-8: Starlette would silently turn the bad bytes into
    U+FFFD, so ``?key=%ff`` would store a different key than the client meant."""
    if not any(v is not None and "\ufffd" in v for v in values):
        return
    for part in request.scope.get("query_string", b"").split(b"&"):
        try:
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("invalid_key", "the query string is not valid UTF-8") from None


# --------------------------------------------------------------------------- downloads


def blob_headers(blob: BlobRecord) -> dict[str, str]:
    """ETag, Last-Modified, Accept-Ranges and, when known, the blob's ``X-Checksum-CRC32C``
    (so a download can verify in the same pass)."""
    headers = {
        "ETag": blob.etag,
        "Last-Modified": http_date(blob.modified_at or utcnow()),
        "Accept-Ranges": "bytes",
    }
    crc = getattr(blob, "crc32c", None)
    if crc:
        headers["X-Checksum-CRC32C"] = crc
    return headers


def head_response(blob: BlobRecord) -> Response:
    """200 with the blob's headers (its stored media type as Content-Type, octet-stream if the
    stored value is not a valid media type) and no body."""
    headers = blob_headers(blob)
    headers["Content-Length"] = str(blob.size)
    headers["Content-Type"] = header_content_type(blob.content_type)
    headers["X-Blob-Metadata"] = json.dumps(blob.meta or {}, separators=(",", ":"))
    if blob.sha256:
        headers["X-Checksum-SHA256"] = blob.sha256
    crc = getattr(blob, "crc32c", None)
    if crc:
        headers["X-Checksum-CRC32C"] = crc
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


async def download(
    load: Callable[[], Awaitable[tuple[BucketBackend, BlobRecord]]],
    *,
    range_header: str | None = None,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> Response:
    """GET a blob. ``load`` authorizes and returns the bucket's backend and the blob, or
    raises. A version replaced between the lookup and the open is looked up once more."""
    for attempt in (1, 2):
        backend, blob = await load()
        if if_match is not None and not etag_matches(if_match, blob.etag):
            raise PreconditionFailed(
                "precondition_failed", "the blob's ETag does not match If-Match"
            )
        if if_none_match is not None and etag_matches(if_none_match, blob.etag):
            return Response(status_code=304, headers=blob_headers(blob))
        span = parse_range(range_header, blob.size)
        start, end = span if span is not None else (0, None)
        try:
            first, blocks = await backend.open_read(blob, start, end)
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


def refuse_early(request: Request, problem: DomainError) -> DomainError:
    """A refusal sent before the body was read closes the connection, so the client stops
    sending (a large body is not drained for nothing; clients then read this response)."""
    if body_pending(request):
        problem.headers.setdefault("Connection", "close")
    return problem


def check_declared_size(request: Request, state: AppState) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.strip().isdigit():
        if int(length) > state.settings.max_blob_bytes:
            raise TooLarge(
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
    crc32c: str | None = None,
    if_match: str | None = None,
    if_none_match: str | None = None,
    granted: Bucket | None = None,
) -> Response:
    """PUT a blob from the request body; answers 201 with the Blob and its ETag.

    Everything that can refuse the request (key, headers, rights, preconditions, declared size)
    is checked before the first byte of the body is read. ``authorize`` runs in a worker thread
    with a session and returns the writable bucket or raises; ``granted``: the bucket a fresh
    cached authorization already gave (:mod:`..accounts.bucket_cache`), then the checks run on
    the event loop without a session.
    """

    def spec_for() -> WriteSpec:
        check_key(key)
        check_query_utf8(request, key, content_type)
        spec = WriteSpec(
            resolve_content_type(content_type, request.headers.get("content-type")),
            parse_metadata(metadata, "X-Blob-Metadata"),
            parse_expected(content_md5, sha256, state.settings.max_blob_bytes, crc32c=crc32c),
            if_match=if_match,
            if_none_match=if_none_match,
        )
        check_declared_size(request, state)
        return spec

    def before() -> tuple[Bucket, WriteSpec]:
        spec = spec_for()
        with state.db.session() as s:
            return authorize(s), spec

    try:
        if granted is not None:
            bucket, spec = granted, spec_for()
        else:
            bucket, spec = await run_in_threadpool(before)
        backend = backend_for(state, bucket)
        await check_put(backend, key, if_match, if_none_match)
    except DomainError as problem:
        raise refuse_early(request, problem) from None
    blob = await backend.write(key, request.stream(), spec)
    return JSONResponse(blob_json(blob), status_code=201, headers={"ETag": blob.etag})
