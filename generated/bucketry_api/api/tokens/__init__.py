"""Endpoints tagged ``tokens``: one module per operation and :class:`TokensApi`.

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
from ...models.problem import Problem
from ...models.token_create import TokenCreate
from ...models.token_created import TokenCreated
from ...models.token_page import TokenPage
from ...types import UNSET, File, Unset
from . import tokens_create as _tokens_create
from . import tokens_delete as _tokens_delete
from . import tokens_list as _tokens_list


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class TokensApi:
    """Operations tagged ``tokens``, bound to a client (``ApiClient(...).tokens``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
        *,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
    ) -> tuple[TokenPage, httpx.Response]:
        """List the calling user's personal access tokens (never their secrets).

        ``GET /tokens`` (operation ``tokens_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_tokens_list._get_kwargs(
                page_size=page_size,
                cursor=cursor,
            )
        )
        raise_for_status(response)
        data = _tokens_list._parse_response(client=self._client, response=response)
        return cast("TokenPage", data), response

    def create(
        self,
        *,
        body: TokenCreate,
    ) -> tuple[TokenCreated, httpx.Response]:
        """Create a personal access token. The secret is returned once, here only.

        ``POST /tokens`` (operation ``tokens_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_tokens_create._get_kwargs(
                body=body,
            )
        )
        raise_for_status(response)
        data = _tokens_create._parse_response(client=self._client, response=response)
        return cast("TokenCreated", data), response

    def delete(
        self,
        token_id: str,
    ) -> tuple[None, httpx.Response]:
        """Revoke a personal access token.

        ``DELETE /tokens/{token_id}`` (operation ``tokens_delete``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_tokens_delete._get_kwargs(
                token_id=token_id,
            )
        )
        raise_for_status(response)
        data = _tokens_delete._parse_response(client=self._client, response=response)
        return cast("None", data), response


__all__ = ["TokensApi"]
