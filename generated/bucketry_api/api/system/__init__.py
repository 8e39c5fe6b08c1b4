"""Endpoints tagged ``system``: one module per operation and :class:`SystemApi`.

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
from ...models.health import Health
from ...models.problem import Problem
from ...types import UNSET, File, Unset
from . import system_health as _system_health
from . import system_openapi as _system_openapi


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class SystemApi:
    """Operations tagged ``system``, bound to a client (``ApiClient(...).system``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def health(
        self,
    ) -> tuple[Health, httpx.Response]:
        """Liveness and readiness of the service.

        ``GET /health`` (operation ``system_health``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(**_system_health._get_kwargs())
        raise_for_status(response)
        data = _system_health._parse_response(client=self._client, response=response)
        return cast("Health", data), response

    def openapi(
        self,
    ) -> tuple[Any, httpx.Response]:
        """This contract, served verbatim.

        ``GET /openapi.yaml`` (operation ``system_openapi``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(**_system_openapi._get_kwargs())
        raise_for_status(response)
        data = _system_openapi._parse_response(client=self._client, response=response)
        return cast("Any", data), response


__all__ = ["SystemApi"]
