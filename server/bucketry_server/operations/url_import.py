"""The ``import_url`` operation kind: fetch an http(s) URL into a blob.

Entry points (wired into the engine's kind registry)::

    async def validate_import_url(state, principal, params) -> dict
        # in the request, before the operation row exists; params: url, destination
        # ("bkt://bucket/key"), content_type (optional). Returns the normalized params.
    async def run_import_url(ctx: OpContext) -> dict
        # the fetch; result: bucket, key, size, sha256, content_type, url (no query)

The SSRF guard (:mod:`..netguard`) sees every address contacted: the URL's host is resolved
once per hop and every address checked (loopback, private, link-local, metadata... refused
unless ``BUCKETRY_ALLOWED_NETWORKS`` allows them); the connection then goes to the checked
address itself (the URL's host stays in ``Host`` and TLS SNI/certificate checks), so a name
that resolves elsewhere a moment later (DNS rebinding) is never contacted. Redirects are
followed by hand, at most :data:`MAX_REDIRECTS`, each target checked again. No proxy from the
environment, no credential of the server's is sent. The body streams into the destination
backend's atomic ``write`` (never whole in memory), hashed in the same pass, bounded by
``BUCKETRY_IMPORT_URL_MAX_BYTES`` (Content-Length checked first) and in time by
``BUCKETRY_IMPORT_URL_MAX_SECONDS`` (the whole fetch, redirects included: a source trickling
a byte within every read timeout is stopped with 504 ``source_too_slow``); a cancel or any
failure leaves no blob.

Secrets in the source URL (a pre-signed URL's query) never show: the recorded ``params``
keep ``url`` without query and fragment (what ``GET /operations/{id}`` renders) and the full
URL only sealed with the server key ring (``_url_sealed``: AES-GCM bound to the destination
bucket; internal ``_`` params are never rendered, :func:`.views.public_params`). Only the
worker opens it. Errors and the result name the URL without query (:func:`safe_url`), and
httpx's request log lines get the query cut the same way (:class:`QueryRedactingFilter`).
``bucketry-server rekey`` re-seals the URLs of pending operations under the first key
(:mod:`.rekeying`); one left pending while its sealing key is removed from the ring before a
rekey fails with ``url_unreadable``.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import ssl
from collections.abc import AsyncIterator
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import anyio
import anyio.to_thread
import certifi
import httpx

from .. import netguard
from ..accounts.principals import Principal
from ..backends.base import BucketBackend, WriteSpec
from ..blobs.validation import OCTET_STREAM, check_content_type, content_type_error
from ..errors import BadGateway, GatewayTimeout, Invalid, TooLarge
from ..keyring import SealedUnreadable
from ..state import AppState
from .context import OpContext
from .locations import bad, open_bucket, parse_location, refuse_unknown

MAX_URL_CHARS = 2048
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
#: Bytes between two ``ctx.check()`` calls (a cancel stops the fetch within one MiB).
CHECK_EVERY = 1024 * 1024
PARAMS = {"url", "destination", "content_type"}
USER_AGENT = "bucketry-server import_url"
#: The key-ring binding of a sealed source URL (followed by the destination bucket id).
SEAL_PREFIX = "import_url:"


def safe_url(url: str) -> str:
    """``url`` without user information, query and fragment (which may carry secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        if parts.port is not None:
            netloc += f":{parts.port}"
    except ValueError:
        pass
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class QueryRedactingFilter(logging.Filter):
    """Cuts the query, fragment and user information from the URLs in a record's arguments
    (httpx logs ``HTTP Request: GET <url> ...`` at INFO, query included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record``'s URL arguments in place; never drops it."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                safe_url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, QueryRedactingFilter) for f in logger.filters):
        logger.addFilter(QueryRedactingFilter())


_install_log_filter()


def seal_url(state: AppState, bucket_id: str, url: str) -> str:
    """``url`` sealed with the server key ring, bound to the destination bucket."""
    return state.keys.seal(SEAL_PREFIX + bucket_id, {"url": url})


def source_url(state: AppState, params: dict[str, object]) -> str:
    """The full source URL of recorded ``params``: opened from ``_url_sealed`` (rows recorded
    before URLs were sealed: their ``url``, kept whole then). Raises ``Invalid``
    (``url_unreadable``) if the ring no longer holds the key that sealed it."""
    sealed = params.get("_url_sealed")
    if sealed is None and isinstance(params.get("url"), str):
        return str(params["url"])
    if not isinstance(sealed, str):
        raise bad("url", "the source URL was not recorded", "url_unreadable")
    try:
        return state.keys.open(SEAL_PREFIX + str(params["bucket_id"]), sealed)["url"]
    except (SealedUnreadable, KeyError):
        raise bad(
            "url", "the sealed source URL cannot be opened (key removed?)", "url_unreadable"
        ) from None


def tls_context() -> ssl.SSLContext:
    """How https sources are verified: certificate chain against the certifi CA bundle (as
    httpx does by default) and the certificate's name against the URL's host."""
    return ssl.create_default_context(cafile=certifi.where())


def check_source_url(
    url: object, allowed: list[str], field: str = "url"
) -> tuple[SplitResult, list[netguard.IPAddress]]:
    """Check an address to fetch (blocking: resolves the host once). ``url`` must be an
    ``http``/``https`` URL of at most :data:`MAX_URL_CHARS` characters, with a host, without
    user information or whitespace; every address its host resolves to must pass the SSRF
    guard. Returns the parts and the addresses. Raises ``Invalid`` naming ``field``."""
    if not isinstance(url, str) or not url:
        raise bad(field, "must be an http:// or https:// URL")
    if len(url) > MAX_URL_CHARS:
        raise bad(field, f"at most {MAX_URL_CHARS} characters", "invalid_url")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise bad(field, "must not contain whitespace or control characters", "invalid_url")
    try:
        parts = urlsplit(url)
        httpx.URL(url)  # what the fetch will parse must parse
    except (ValueError, httpx.InvalidURL) as exc:
        raise bad(field, f"is not a valid URL ({exc})", "invalid_url") from None
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme or "none"
        raise bad(field, f"scheme {scheme!r} is not fetched: only http and https", "invalid_url")
    if not parts.hostname:
        raise bad(field, "has no host", "invalid_url")
    if "@" in parts.netloc:
        raise bad(field, "must not carry user information (user:password@)", "invalid_url")
    return parts, netguard.check_url(url, allowed, field=field)


def _destination_location(params: dict[str, object]) -> tuple[str, str]:
    loc = parse_location(params.get("destination"), "destination", folder=False)
    return loc.bucket, loc.path


async def validate_import_url(
    state: AppState, principal: Principal, params: dict[str, object]
) -> dict[str, object]:
    """Check an ``import_url`` request and return its normalized parameters.

    Params: ``url`` (http/https, checked by the SSRF guard now and again at every hop of the
    run), ``destination`` (``bkt://bucket/key``: a bucket the caller may write, whose
    credentials allow WRITE if imported), ``content_type`` (optional: else the response's,
    else guessed from the key). Raises ``Invalid`` naming the bad parameter, ``NotFound`` /
    ``Forbidden`` / ``Unauthenticated`` for the bucket."""
    refuse_unknown(params, PARAMS, "import_url")
    bucket_ref, key = _destination_location(params)
    content_type = params.get("content_type")
    if content_type is not None:
        if not isinstance(content_type, str):
            raise bad("content_type", "must be a string such as 'image/png'")
        content_type = check_content_type(content_type)
    url = params.get("url")
    await anyio.to_thread.run_sync(check_source_url, url, list(state.settings.allowed_networks))
    bucket, _ = await open_bucket(state, principal, bucket_ref, write=True)
    assert isinstance(url, str)  # checked above
    return {
        "url": safe_url(url),
        "_url_sealed": seal_url(state, bucket.id, url),
        "destination": f"bkt://{bucket.name}/{key}",
        "bucket_id": bucket.id,
        "key": key,
        "content_type": content_type,
    }


def _pinned_request(client: httpx.AsyncClient, url: str, addr: netguard.IPAddress) -> httpx.Request:
    """A GET of ``url`` sent to ``addr`` (the checked address) with the URL's own host in
    ``Host`` and as the TLS server name (certificate checked for the name)."""
    named = httpx.URL(url)
    target = named.copy_with(host=str(addr))
    extensions = {"sni_hostname": named.raw_host.decode("ascii")} if named.scheme == "https" else {}
    return client.build_request(
        "GET",
        target,
        headers={"Host": named.netloc.decode("ascii"), "Accept-Encoding": "identity"},
        extensions=extensions,
    )


async def _open(ctx: OpContext, client: httpx.AsyncClient, url: str) -> tuple[httpx.Response, str]:
    """The streamed 200 response of ``url`` after at most :data:`MAX_REDIRECTS` redirects
    (each target checked by the SSRF guard), and the final URL. Raises ``Invalid`` for a
    refused target or too many redirects, ``BadGateway`` for another status."""
    allowed = list(ctx.state.settings.allowed_networks)
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        await ctx.check()
        try:
            _, addrs = await anyio.to_thread.run_sync(check_source_url, current, allowed)
        except Invalid as exc:
            if hop == 0:
                raise
            why = exc.errors[0]["msg"] if exc.errors else exc.detail
            raise bad("url", f"redirect to {safe_url(current)} refused: {why}", exc.code) from None
        response = await client.send(_pinned_request(client, current, addrs[0]), stream=True)
        if response.status_code in REDIRECTS and response.headers.get("location"):
            location = response.headers["location"]
            await response.aclose()
            current = urljoin(current, location)
            continue
        if response.status_code != 200:
            await response.aclose()
            raise BadGateway(
                "source_status",
                f"url: {safe_url(current)} answered HTTP {response.status_code} (200 expected)",
            )
        return response, current
    raise bad("url", f"more than {MAX_REDIRECTS} redirects", "too_many_redirects")


def _content_type(explicit: object, header: str | None, key: str, url: str) -> str:
    """The blob's media type: the one asked for, else the response's if valid and meaningful,
    else guessed from the key or the URL's path, else octet-stream."""
    if isinstance(explicit, str) and explicit:
        return explicit
    value = (header or "").strip()
    if value and content_type_error(value) is None and not value.startswith(OCTET_STREAM):
        return value
    guessed = mimetypes.guess_type(key)[0] or mimetypes.guess_type(urlsplit(url).path)[0]
    return guessed or OCTET_STREAM


class _Body:
    """The response body as the destination write consumes it: counted against the limit,
    hashed, progress reported and ``ctx.check()`` called every MiB. ``failure`` keeps what
    the body raised (a client library may wrap it on the way out of ``write``)."""

    def __init__(self, ctx: OpContext, response: httpx.Response, limit: int) -> None:
        self.ctx, self.response, self.limit = ctx, response, limit
        self.sha = hashlib.sha256()
        self.size = 0
        self.failure: BaseException | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The raw body bytes (no content decoding: stored as served), in blocks of about
        :data:`CHECK_EVERY` bytes (fewer hops into a provider client's worker thread)."""
        block: list[bytes] = []
        pending = 0
        try:
            async for chunk in self.response.aiter_raw():
                self.size += len(chunk)
                if self.size > self.limit:
                    raise TooLarge(
                        "payload_too_large",
                        f"url: the body is larger than {self.limit} bytes "
                        "(BUCKETRY_IMPORT_URL_MAX_BYTES)",
                    )
                self.sha.update(chunk)
                block.append(chunk)
                pending += len(chunk)
                if pending >= CHECK_EVERY:
                    self.ctx.add_progress(bytes_done=pending)
                    await self.ctx.check()
                    yield b"".join(block)
                    block, pending = [], 0
            self.ctx.add_progress(bytes_done=pending)
            if block:
                yield b"".join(block)
        except httpx.TimeoutException:
            self.failure = GatewayTimeout("source_timeout", "url: the source stopped sending")
            raise self.failure from None
        except httpx.HTTPError as exc:
            detail = f"url: reading the body failed ({exc.__class__.__name__})"
            self.failure = BadGateway("source_unreachable", detail)
            raise self.failure from None
        except GeneratorExit:  # closed by the consumer: its own error is the one to report
            raise
        except BaseException as exc:
            self.failure = exc
            raise


async def _store(
    ctx: OpContext, backend: BucketBackend, key: str, response: httpx.Response, url: str
) -> dict[str, object]:
    """Stream ``response`` into ``key``; the result values. Nothing is stored on failure."""
    settings = ctx.state.settings
    limit = min(settings.import_url_max_bytes, settings.max_blob_bytes)
    length = response.headers.get("content-length")
    if length is not None and length.isdigit():
        if int(length) > limit:
            raise TooLarge(
                "payload_too_large",
                f"url: Content-Length {length} is larger than {limit} bytes "
                "(BUCKETRY_IMPORT_URL_MAX_BYTES)",
            )
        ctx.set_totals(items=1, bytes_total=int(length))
    content_type = _content_type(
        ctx.params.get("content_type"), response.headers.get("content-type"), key, url
    )
    body = _Body(ctx, response, limit)
    try:
        await backend.write(key, body.chunks(), WriteSpec(content_type, {}))
    except BaseException:
        if body.failure is not None:
            raise body.failure from None
        raise
    ctx.add_progress(items=1)
    return {
        "key": key,
        "size": body.size,
        "sha256": body.sha.hexdigest(),
        "content_type": content_type,
        "url": safe_url(url),
    }


async def run_import_url(ctx: OpContext) -> dict[str, object]:
    """Fetch ``ctx.params['url']`` into the destination blob (see the module).

    Returns ``bucket``, ``key``, ``size``, ``sha256``, ``content_type`` and the final ``url``
    (after redirects, without query). Raises ``Invalid`` (a refused address, too many
    redirects), ``TooLarge``, ``BadGateway`` / ``GatewayTimeout`` (the source failed or the
    fetch outlasted ``import_url_max_seconds``: ``source_too_slow``),
    access errors of the owner, and ``OperationCancelled``."""
    params = ctx.params
    bucket, backend = await open_bucket(
        ctx.state, ctx.principal(), str(params["bucket_id"]), write=True
    )
    key = str(params["key"])
    client = httpx.AsyncClient(
        verify=tls_context(),
        timeout=TIMEOUT,
        trust_env=False,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )
    limit = ctx.state.settings.import_url_max_seconds
    result: dict[str, object] | None = None
    async with client:
        with anyio.move_on_after(limit):
            result = await _fetch(ctx, client, backend, key)
    if result is None:
        raise GatewayTimeout(
            "source_too_slow",
            f"url: the fetch took longer than {limit:g} s (BUCKETRY_IMPORT_URL_MAX_SECONDS)",
        )
    return {"bucket": bucket.name, **result}


async def _fetch(
    ctx: OpContext, client: httpx.AsyncClient, backend: BucketBackend, key: str
) -> dict[str, object]:
    """Open the source (redirects followed) and stream it into ``key``; the result values."""
    try:
        response, final = await _open(ctx, client, source_url(ctx.state, ctx.params))
    except httpx.TimeoutException:
        raise GatewayTimeout("source_timeout", "url: the source did not answer in time") from None
    except httpx.HTTPError as exc:
        detail = f"url: the source could not be reached ({exc.__class__.__name__})"
        raise BadGateway("source_unreachable", detail) from None
    try:
        return await _store(ctx, backend, key, response, final)
    finally:
        with anyio.CancelScope(shield=True):
            await response.aclose()
