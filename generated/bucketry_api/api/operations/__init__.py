"""Endpoints tagged ``operations``: one module per operation and :class:`OperationsApi`.

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
from ...models.operation import Operation
from ...models.operation_create import OperationCreate
from ...models.operation_kind import OperationKind, check_operation_kind
from ...models.operation_page import OperationPage
from ...models.operation_status import OperationStatus, check_operation_status
from ...models.problem import Problem
from ...types import UNSET, File, Unset
from . import operations_cancel as _operations_cancel
from . import operations_create as _operations_create
from . import operations_get as _operations_get
from . import operations_list as _operations_list


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class OperationsApi:
    """Operations tagged ``operations``, bound to a client (``ApiClient(...).operations``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
        *,
        status: OperationStatus | Unset = UNSET,
        kind: OperationKind | Unset = UNSET,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
    ) -> tuple[OperationPage, httpx.Response]:
        """List the caller's operations, newest first.

        ``GET /operations`` (operation ``operations_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_operations_list._get_kwargs(
                status=status,
                kind=kind,
                page_size=page_size,
                cursor=cursor,
            )
        )
        raise_for_status(response)
        data = _operations_list._parse_response(client=self._client, response=response)
        return cast("OperationPage", data), response

    def create(
        self,
        *,
        body: OperationCreate,
        idempotency_key: str | Unset = UNSET,
    ) -> tuple[Operation, httpx.Response]:
        """Start a server-side operation (copy, import from URL, export, delete prefix, connection
        sync).

        ``POST /operations`` (operation ``operations_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_operations_create._get_kwargs(
                body=body,
                idempotency_key=idempotency_key,
            )
        )
        raise_for_status(response)
        data = _operations_create._parse_response(client=self._client, response=response)
        return cast("Operation", data), response

    def get(
        self,
        operation_id: str,
    ) -> tuple[Operation, httpx.Response]:
        """One operation with its status, progress, error and result.

        ``GET /operations/{operation_id}`` (operation ``operations_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_operations_get._get_kwargs(
                operation_id=operation_id,
            )
        )
        raise_for_status(response)
        data = _operations_get._parse_response(client=self._client, response=response)
        return cast("Operation", data), response

    def cancel(
        self,
        operation_id: str,
    ) -> tuple[Operation, httpx.Response]:
        """Ask a pending or running operation to stop.

        ``POST /operations/{operation_id}/cancel`` (operation ``operations_cancel``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_operations_cancel._get_kwargs(
                operation_id=operation_id,
            )
        )
        raise_for_status(response)
        data = _operations_cancel._parse_response(client=self._client, response=response)
        return cast("Operation", data), response


__all__ = ["OperationsApi"]
