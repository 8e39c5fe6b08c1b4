"""The direct data path of imported buckets: a blob GET or PUT sent with ``?direct=true`` or
``Prefer: redirect`` is authorized exactly like the proxied request, then answered with a 307
whose ``Location`` is the provider's own presigned URL (valid :data:`DIRECT_EXPIRES` seconds at
most, never beyond the caller's token), so the bytes go between client and provider without
passing through the server. Managed buckets, providers or credentials that cannot sign, and
requests needing the server (conditional headers, user metadata, checksums to verify) ignore
the preference and are proxied as usual.
"""

from __future__ import annotations

import time

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..accounts.principals import Principal
from ..accounts.signed_urls import expiry_cap, provider_signer
from ..backends.base import BucketBackend
from ..blobs import service
from ..errors import DomainError
from ..keys import check_key
from ..state import AppState
from . import http_bodies

#: Lifetime (seconds) of the provider URL a 307 points to.
DIRECT_EXPIRES = 300

#: Request headers whose meaning only the server can honour: a request with any is proxied.
SERVER_ONLY_HEADERS = ("if-match", "if-none-match", "x-blob-metadata", "content-md5")
SERVER_ONLY_HEADERS_PUT = (*SERVER_ONLY_HEADERS, "x-checksum-sha256")


def wants_direct(request: Request, direct: bool) -> bool:
    """Whether the client asked for the direct path (``?direct=true`` or a ``Prefer`` header
    listing ``redirect``) and sent nothing that needs the server."""
    prefer = request.headers.get("prefer", "")
    asked = direct or any(
        part.strip().split("=")[0].strip().lower() == "redirect" for part in prefer.split(",")
    )
    if not asked:
        return False
    needs_server = SERVER_ONLY_HEADERS_PUT if request.method == "PUT" else SERVER_ONLY_HEADERS
    return not any(name in request.headers for name in needs_server)


async def _redirect(backend: BucketBackend, p: Principal, key: str, method: str) -> Response | None:
    presign = provider_signer(backend)
    if presign is None:
        return None
    expires_in = max(1, min(DIRECT_EXPIRES, expiry_cap(p) - int(time.time())))
    url = await run_in_threadpool(presign, key, method, expires_in)
    if url is None:
        return None
    return Response(
        status_code=307,
        headers={"Location": url, "Cache-Control": "no-store", "Preference-Applied": "redirect"},
    )


async def redirect_get(
    request: Request, state: AppState, p: Principal, bucket: str, key: str
) -> Response | None:
    """A 307 to the provider for reading ``key`` (404 first if it does not exist; the usual
    401/403/404 if the caller may not read the bucket), or None to proxy."""
    check_key(key)
    http_bodies.check_query_utf8(request, key)
    backend = await service.readable(state, p, bucket)
    await service.stat_blob(backend, key)
    return await _redirect(backend, p, key, "GET")


async def redirect_put(
    request: Request, state: AppState, p: Principal, bucket: str, key: str
) -> Response | None:
    """A 307 to the provider for writing ``key`` (the usual 401/403/404 first, and 403
    ``missing_action`` when the provider credentials cannot write), or None to proxy. Nothing
    of the body is read; a refusal closes the connection as for any early refusal."""
    try:
        check_key(key)
        http_bodies.check_query_utf8(request, key)
        backend = await service.writable(state, p, bucket)
        if getattr(backend, "imported", False):
            backend.check_writable()
        return await _redirect(backend, p, key, "PUT")
    except DomainError as problem:
        raise http_bodies.refuse_early(request, problem) from None
