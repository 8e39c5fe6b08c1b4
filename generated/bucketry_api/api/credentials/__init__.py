"""Endpoints tagged ``credentials``: one module per operation and :class:`CredentialsApi`.

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
from ...models.credential import Credential
from ...models.credential_create import CredentialCreate
from ...models.credential_created import CredentialCreated
from ...models.credential_page import CredentialPage
from ...models.problem import Problem
from ...types import UNSET, File, Unset
from . import credentials_create as _credentials_create
from . import credentials_delete as _credentials_delete
from . import credentials_get as _credentials_get
from . import credentials_list as _credentials_list


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class CredentialsApi:
    """Operations tagged ``credentials``, bound to a client (``ApiClient(...).credentials``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
        *,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
    ) -> tuple[CredentialPage, httpx.Response]:
        """List the caller's persistent credentials (never their secrets).

        ``GET /credentials`` (operation ``credentials_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_credentials_list._get_kwargs(
                page_size=page_size,
                cursor=cursor,
            )
        )
        raise_for_status(response)
        data = _credentials_list._parse_response(client=self._client, response=response)
        return cast("CredentialPage", data), response

    def create(
        self,
        *,
        body: CredentialCreate,
    ) -> tuple[CredentialCreated, httpx.Response]:
        """Create named credentials for a set of buckets (optionally read-only).

        ``POST /credentials`` (operation ``credentials_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_credentials_create._get_kwargs(
                body=body,
            )
        )
        raise_for_status(response)
        data = _credentials_create._parse_response(client=self._client, response=response)
        return cast("CredentialCreated", data), response

    def get(
        self,
        credential_id: str,
    ) -> tuple[Credential, httpx.Response]:
        """One persistent credential (without its secret).

        ``GET /credentials/{credential_id}`` (operation ``credentials_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_credentials_get._get_kwargs(
                credential_id=credential_id,
            )
        )
        raise_for_status(response)
        data = _credentials_get._parse_response(client=self._client, response=response)
        return cast("Credential", data), response

    def delete(
        self,
        credential_id: str,
    ) -> tuple[None, httpx.Response]:
        """Revoke a persistent credential.

        ``DELETE /credentials/{credential_id}`` (operation ``credentials_delete``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_credentials_delete._get_kwargs(
                credential_id=credential_id,
            )
        )
        raise_for_status(response)
        data = _credentials_delete._parse_response(client=self._client, response=response)
        return cast("None", data), response


__all__ = ["CredentialsApi"]
