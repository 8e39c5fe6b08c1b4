"""Contains methods for accessing the API, and ``ApiClient`` (one attribute per OpenAPI tag).

Generated from scripts/templates/api_init.py.jinja: do not edit.
"""

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from ..client import AuthenticatedClient, Client
from .assets import AssetsApi
from .blobs import BlobsApi
from .buckets import BucketsApi
from .connections import ConnectionsApi
from .credentials import CredentialsApi
from .operations import OperationsApi
from .projects import ProjectsApi
from .system import SystemApi
from .tokens import TokensApi
from .uploads import UploadsApi
from .usage import UsageApi
from .users import UsersApi

#: Server base path: ``servers[0].url`` of openapi.yaml.  The operation paths are relative to it.
BASE_PATH = "/api/v1"

#: The stock generated ``Client`` has no timeout at all; ``ApiClient`` uses this one by default.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

ORGANIZATION_HEADER = "X-Organization"


def with_base_path(url: str) -> str:
    """``http://host:8080`` -> ``http://host:8080/api/v1``; a URL already ending in the base
    path is kept (trailing slashes are dropped)."""
    url = url.rstrip("/")
    if url.endswith(BASE_PATH):
        return url
    return url + BASE_PATH


class ApiClient:
    """The generated API grouped by tag, bound to one (Authenticated)Client::

        with ApiClient("http://127.0.0.1:8080", token="...") as api:
            page, response = api.buckets.list(page_size=10)

    Every method returns ``(data, response)`` (the parsed model, or ``None`` for bodiless
    responses, and the ``httpx.Response``) and raises :class:`bucketry_api.errors.ApiError`
    (``ClientError`` / ``ServerError`` / ``UnexpectedStatusError``) on any non-2xx status.
    Binary downloads also have a ``<name>_stream`` context-manager variant.

    Either give ``base_url`` (the server root; ``BASE_PATH`` is appended unless present) and the
    connection options, or wrap an existing ``client=Client(...)``/``AuthenticatedClient(...)``
    whose ``base_url`` already includes the base path.
    """

    assets: AssetsApi
    blobs: BlobsApi
    buckets: BucketsApi
    connections: ConnectionsApi
    credentials: CredentialsApi
    operations: OperationsApi
    projects: ProjectsApi
    system: SystemApi
    tokens: TokensApi
    uploads: UploadsApi
    usage: UsageApi
    users: UsersApi

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        organization: str | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        verify_ssl: Any = True,
        follow_redirects: bool = False,
        httpx_args: Mapping[str, Any] | None = None,
        client: AuthenticatedClient | Client | None = None,
    ) -> None:
        if client is None:
            if base_url is None:
                raise TypeError("ApiClient needs base_url (or an existing client=)")
            all_headers = dict(headers or {})
            if organization:
                all_headers[ORGANIZATION_HEADER] = organization
            if not isinstance(timeout, httpx.Timeout):
                timeout = httpx.Timeout(timeout)
            options: dict[str, Any] = {
                "base_url": with_base_path(base_url),
                "headers": all_headers,
                "timeout": timeout,
                "verify_ssl": verify_ssl,
                "follow_redirects": follow_redirects,
                "httpx_args": dict(httpx_args or {}),
            }
            client = AuthenticatedClient(token=token, **options) if token else Client(**options)
        elif base_url is not None or token is not None or headers is not None or organization is not None:
            raise TypeError("pass either client= or base_url/token/headers/organization, not both")
        self.client: AuthenticatedClient | Client = client
        self.assets = AssetsApi(client)
        self.blobs = BlobsApi(client)
        self.buckets = BucketsApi(client)
        self.connections = ConnectionsApi(client)
        self.credentials = CredentialsApi(client)
        self.operations = OperationsApi(client)
        self.projects = ProjectsApi(client)
        self.system = SystemApi(client)
        self.tokens = TokensApi(client)
        self.uploads = UploadsApi(client)
        self.usage = UsageApi(client)
        self.users = UsersApi(client)

    def close(self) -> None:
        """Close the underlying ``httpx.Client`` (its connection pool)."""
        self.client.get_httpx_client().close()

    async def aclose(self) -> None:
        """Close the underlying ``httpx.AsyncClient`` (used by the stock ``asyncio`` functions)."""
        await self.client.get_async_httpx_client().aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = [
    "BASE_PATH",
    "DEFAULT_TIMEOUT",
    "ApiClient",
    "AssetsApi",
    "BlobsApi",
    "BucketsApi",
    "ConnectionsApi",
    "CredentialsApi",
    "OperationsApi",
    "ProjectsApi",
    "SystemApi",
    "TokensApi",
    "UploadsApi",
    "UsageApi",
    "UsersApi",
    "with_base_path",
]
