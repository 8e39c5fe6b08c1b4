"""``Client``: configuration, one pooled HTTP connection, retries, and the resource repos."""

from __future__ import annotations

import contextlib
import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar

import httpx

from bucketry_api import ApiClient
from bucketry_api import Client as GeneratedClient
from bucketry_api.errors import ApiError as GeneratedApiError

from ._transport import RetryPolicy, RetryTransport
from ._version import __version__
from ._wide_reads import widen_reads
from .config import resolve
from .errors import from_generated, from_transport
from .progress import ProgressCallback, resolve_progress
from .uri import is_bucket_uri, parse_uri

if TYPE_CHECKING:
    from .resources.blobs import Blob
    from .resources.buckets import Bucket
    from .resources.buckets_repo import BucketsRepo
    from .resources.connections import ConnectionsRepo
    from .resources.credentials import CredentialsRepo, TokensRepo
    from .resources.operations import OperationsRepo
    from .resources.projects import ProjectsRepo
    from .resources.usage import Usage
    from .sync import SyncPlan, SyncResult
    from .transfer.options import TransferOptions

log = logging.getLogger("bucketry")
P = ParamSpec("P")
R = TypeVar("R")


class Client:
    """Entry point of the SDK::

        with Client() as client:            # BUCKETRY_URL, BUCKETRY_TOKEN, or the config file
            bucket = client.buckets.create("images")

    ``client.api`` is the generated low-level layer, sharing this client's connection pool,
    retries and credentials; its calls return ``(data, response)``.
    """

    #: The generated low-level API (typed: ``bucketry_api`` ships ``py.typed``).
    api: ApiClient

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        organization: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        anonymous: bool = False,
        profile: str | None = None,
        progress: bool | ProgressCallback | None = None,
        max_connections: int = 32,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        cfg = resolve(
            url,
            token,
            organization,
            timeout,
            connect_timeout,
            max_retries,
            anonymous=anonymous,
            profile=profile,
        )
        self.url = cfg.url
        self.organization = cfg.organization
        self.progress = progress
        headers = {"User-Agent": f"bucketry-python/{__version__}"}
        if cfg.token:
            headers["Authorization"] = f"Bearer {cfg.token}"
        if cfg.organization:
            headers["X-Organization"] = cfg.organization
        inner = transport
        if inner is None:
            inner = httpx.HTTPTransport(
                limits=httpx.Limits(
                    max_connections=max_connections, max_keepalive_connections=max_connections
                )
            )
            widen_reads(inner)  # reads of up to 1 MiB while a body streams in (see there)
        self.retry_policy = RetryPolicy(max_retries=cfg.max_retries)
        self.http = httpx.Client(
            base_url=cfg.url + "/api/v1",
            headers=headers,
            timeout=httpx.Timeout(cfg.timeout, connect=cfg.connect_timeout),
            transport=RetryTransport(inner, self.retry_policy),
            event_hooks={"response": [self._on_response]},
        )
        generated = GeneratedClient(base_url=cfg.url + "/api/v1").set_httpx_client(self.http)
        self.api = ApiClient(client=generated)
        self._clock_offset: float | None = None

        from .resources.buckets_repo import BucketsRepo
        from .resources.connections import ConnectionsRepo
        from .resources.credentials import CredentialsRepo, TokensRepo
        from .resources.operations import OperationsRepo
        from .resources.projects import ProjectsRepo

        self.buckets: BucketsRepo = BucketsRepo(self)
        self.credentials: CredentialsRepo = CredentialsRepo(self)
        self.tokens: TokensRepo = TokensRepo(self)
        #: Server-side operations: copy, import from a URL, export, delete a prefix.
        self.operations: OperationsRepo = OperationsRepo(self)
        #: Labelling projects, their assets and labels.
        self.projects: ProjectsRepo = ProjectsRepo(self)
        #: Buckets connected to projects: diff and sync.
        self.connections: ConnectionsRepo = ConnectionsRepo(self)

    def __repr__(self) -> str:  # never shows the token
        return f"Client(url={self.url!r}, organization={self.organization!r})"

    # -- calling the generated layer -------------------------------------------------------
    def call(
        self, fn: Callable[P, tuple[R, httpx.Response]], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Call a generated API method and return its data, with SDK errors."""
        return self.call_raw(fn, *args, **kwargs)[0]

    def call_raw(
        self, fn: Callable[P, tuple[R, httpx.Response]], *args: P.args, **kwargs: P.kwargs
    ) -> tuple[R, httpx.Response]:
        """Like :meth:`call` but returns ``(data, response)`` for headers and status."""
        try:
            return fn(*args, **kwargs)
        except GeneratedApiError as exc:
            raise from_generated(exc) from None
        except httpx.TransportError as exc:
            raise from_transport(exc) from exc

    @contextlib.contextmanager
    def stream(
        self,
        fn: Callable[P, contextlib.AbstractContextManager[httpx.Response]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Iterator[httpx.Response]:
        """Enter a generated ``*_stream`` method with SDK errors, including a connection lost
        while the body is being read."""
        try:
            with fn(*args, **kwargs) as response:
                yield response
        except GeneratedApiError as exc:
            raise from_generated(exc) from None
        except httpx.TransportError as exc:
            raise from_transport(exc) from exc

    def _on_response(self, response: httpx.Response) -> None:
        if log.isEnabledFor(logging.DEBUG):
            request = response.request
            path = request.url.path
            if "/signed/" in path:  # the token in the path is a credential
                path = path.split("/signed/")[0] + "/signed/<redacted>"
            log.debug(
                "%s %s -> %s (request id %s)",
                request.method,
                path,
                response.status_code,
                response.headers.get("x-request-id"),
            )
        if self._clock_offset is None and (date := response.headers.get("date")):
            try:
                server = email.utils.parsedate_to_datetime(date).timestamp()
                self._clock_offset = server - time.time()
            except (TypeError, ValueError):
                pass

    # -- conveniences ------------------------------------------------------------------------
    def clock_offset(self) -> float:
        """Seconds the server's clock is ahead of ours (from the ``Date`` header; 1 s resolution)."""
        if self._clock_offset is None:
            self.call(self.api.system.health)
        return self._clock_offset or 0.0

    def whoami(self) -> dict[str, Any]:
        """The calling user with their organizations."""
        user = self.call(self.api.users.get_self)
        return user.to_dict()

    def usage(self) -> Usage:
        """Space used by the caller's buckets (owned or shared through an organization), in
        total and per bucket, as a :class:`~bucketry.Usage` (``usage["bytes"]`` still works).
        Raises ``AuthenticationError`` without a token."""
        from .resources.usage import Usage

        return Usage.from_model(self.call(self.api.usage.get))

    def bucket(self, ref: str) -> Bucket:
        """A lazy handle on a bucket by id, name or ``bkt://BUCKET`` URI (no request until
        you use it). Raises ``ValueError`` for a URI that names a key (use :meth:`blob`)."""
        from .resources.buckets import Bucket

        if is_bucket_uri(ref):
            uri = parse_uri(ref)
            if uri.key:
                raise ValueError(f"{ref} names a key, not a bucket (use client.blob)")
            ref = uri.bucket
        return Bucket(self, ref)

    def blob(self, uri: str) -> Blob:
        """A lazy handle on the blob ``bkt://BUCKET/KEY`` (no request). Raises
        ``ValueError`` for anything else, or a URI without a key."""
        parsed = parse_uri(uri)
        if not parsed.key:
            raise ValueError(f"{uri} names a bucket, not a blob (expected bkt://BUCKET/KEY)")
        return self.bucket(parsed.bucket).blob(parsed.key)

    def apply(
        self,
        plan: SyncPlan,
        *,
        progress: bool | ProgressCallback | None = None,
        options: TransferOptions | None = None,
    ) -> SyncResult:
        """Carry out a (possibly saved and reloaded) sync plan; ``options``: how to transfer
        (:class:`~bucketry.TransferOptions`). Failures are recorded in the result."""
        from .sync import apply_plan

        return apply_plan(
            self.bucket(plan.bucket),
            plan,
            progress=resolve_progress(progress, self.progress),
            options=options,
        )

    def close(self) -> None:
        """Close the HTTP connection pool (``with Client(...)`` does it on exit)."""
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
