"""Endpoints tagged ``connections``: one module per operation and :class:`ConnectionsApi`.

Generated from scripts/templates/endpoint_init.py.jinja: do not edit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

import httpx

from ...client import AuthenticatedClient, Client
from ...errors import raise_for_status

# The imports below are those of the endpoint modules (for the method annotations); ruff
# cannot tell which ones an __init__ module re-exports, so unused ones stay.
from ...models.connection import Connection
from ...models.connection_create import ConnectionCreate
from ...models.connection_diff import ConnectionDiff
from ...models.connection_page import ConnectionPage
from ...models.connection_sync_request import ConnectionSyncRequest
from ...models.connection_sync_result import ConnectionSyncResult
from ...models.problem import Problem
from ...types import UNSET, File, Unset
from . import connections_create as _connections_create
from . import connections_delete as _connections_delete
from . import connections_diff as _connections_diff
from . import connections_get as _connections_get
from . import connections_list as _connections_list
from . import connections_sync as _connections_sync


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class ConnectionsApi:
    """Operations tagged ``connections``, bound to a client (``ApiClient(...).connections``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
        *,
        project_id: str | Unset = UNSET,
        bucket: str | Unset = UNSET,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
    ) -> tuple[ConnectionPage, httpx.Response]:
        """List bucket-to-project connections.

        ``GET /connections`` (operation ``connections_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_connections_list._get_kwargs(
                project_id=project_id,
                bucket=bucket,
                page_size=page_size,
                cursor=cursor,
            )
        )
        raise_for_status(response)
        data = _connections_list._parse_response(client=self._client, response=response)
        return cast("ConnectionPage", data), response

    def create(
        self,
        *,
        body: ConnectionCreate,
    ) -> tuple[Connection, httpx.Response]:
        """Connect a bucket to a project with selected folders and include/exclude globs.

        ``POST /connections`` (operation ``connections_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_connections_create._get_kwargs(
                body=body,
            )
        )
        raise_for_status(response)
        data = _connections_create._parse_response(client=self._client, response=response)
        return cast("Connection", data), response

    def get(
        self,
        connection_id: str,
    ) -> tuple[Connection, httpx.Response]:
        """One connection.

        ``GET /connections/{connection_id}`` (operation ``connections_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_connections_get._get_kwargs(
                connection_id=connection_id,
            )
        )
        raise_for_status(response)
        data = _connections_get._parse_response(client=self._client, response=response)
        return cast("Connection", data), response

    def delete(
        self,
        connection_id: str,
    ) -> tuple[None, httpx.Response]:
        """Remove a connection (assets stay).

        ``DELETE /connections/{connection_id}`` (operation ``connections_delete``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_connections_delete._get_kwargs(
                connection_id=connection_id,
            )
        )
        raise_for_status(response)
        data = _connections_delete._parse_response(client=self._client, response=response)
        return cast("None", data), response

    def diff(
        self,
        connection_id: str,
        *,
        plan_limit: int | Unset = 100,
    ) -> tuple[ConnectionDiff, httpx.Response]:
        """Compute the differences between the bucket's files and the project's assets.

        ``POST /connections/{connection_id}/diff`` (operation ``connections_diff``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_connections_diff._get_kwargs(
                connection_id=connection_id,
                plan_limit=plan_limit,
            )
        )
        raise_for_status(response)
        data = _connections_diff._parse_response(client=self._client, response=response)
        return cast("ConnectionDiff", data), response

    def sync(
        self,
        connection_id: str,
        *,
        body: ConnectionSyncRequest | Unset = UNSET,
    ) -> tuple[ConnectionSyncResult, httpx.Response]:
        """Synchronise the project with the bucket (a dry run returns the plan, changes nothing).

        ``POST /connections/{connection_id}/sync`` (operation ``connections_sync``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_connections_sync._get_kwargs(
                connection_id=connection_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _connections_sync._parse_response(client=self._client, response=response)
        return cast("ConnectionSyncResult", data), response


__all__ = ["ConnectionsApi"]
