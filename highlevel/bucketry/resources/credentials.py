"""Persistent bucket credentials (``client.credentials``) and personal tokens (``client.tokens``).
Secrets are returned once, at creation; listings never include them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bucketry_api.models import CredentialCreate, TokenCreate

from ..pagination import Pager
from ._base import arg, model_dict, opt

if TYPE_CHECKING:
    from ..client import Client


class CredentialsRepo:
    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        name: str,
        buckets: Sequence[str],
        *,
        read_only: bool = False,
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        """Named credentials for a set of buckets; the result's ``token`` is shown only now."""
        body = CredentialCreate(
            name=name, buckets=list(buckets), read_only=read_only, expires_in=expires_in
        )
        return model_dict(self._client.call(self._client.api.credentials.create, body=body))

    def get(self, credential_id: str) -> dict[str, Any]:
        return model_dict(self._client.call(self._client.api.credentials.get, credential_id))

    def list(self, *, page_size: int = 100, first: int | None = None) -> Pager[dict[str, Any]]:
        client = self._client

        def fetch(cursor: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
            page = client.call(client.api.credentials.list, page_size=size, cursor=arg(cursor))
            return [model_dict(m) for m in page.results], opt(page.next_cursor)

        return Pager(fetch, page_size=page_size, first=first, to_record=dict)

    def delete(self, credential_id: str) -> None:
        self._client.call(self._client.api.credentials.delete, credential_id)


class TokensRepo:
    def __init__(self, client: Client) -> None:
        self._client = client

    def create(self, name: str, *, expires_in: int | None = None) -> dict[str, Any]:
        """A personal access token; the result's ``secret`` is shown only now."""
        body = TokenCreate(name=name, expires_in=expires_in)
        return model_dict(self._client.call(self._client.api.tokens.create, body=body))

    def list(self, *, page_size: int = 100) -> Pager[dict[str, Any]]:
        client = self._client

        def fetch(cursor: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
            page = client.call(client.api.tokens.list, page_size=size, cursor=arg(cursor))
            return [model_dict(m) for m in page.results], opt(page.next_cursor)

        return Pager(fetch, page_size=page_size, to_record=dict)

    def delete(self, token_id: str) -> None:
        self._client.call(self._client.api.tokens.delete, token_id)
