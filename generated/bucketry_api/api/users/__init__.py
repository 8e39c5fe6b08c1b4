"""Endpoints tagged ``users``: one module per operation and :class:`UsersApi`.

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
from ...models.user import User
from ...types import UNSET, File, Unset
from . import users_get_self as _users_get_self


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class UsersApi:
    """Operations tagged ``users``, bound to a client (``ApiClient(...).users``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def get_self(
        self,
    ) -> tuple[User, httpx.Response]:
        """The calling user, with the organizations they belong to.

        ``GET /users/self`` (operation ``users_get_self``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(**_users_get_self._get_kwargs())
        raise_for_status(response)
        data = _users_get_self._parse_response(client=self._client, response=response)
        return cast("User", data), response


__all__ = ["UsersApi"]
