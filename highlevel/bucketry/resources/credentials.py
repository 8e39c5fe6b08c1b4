"""Persistent bucket credentials (``client.credentials``) and personal tokens (``client.tokens``).
Secrets are returned once, at creation (``.secret``); listings and refreshes never carry them."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bucketry_api.models import Credential as CredentialModel
from bucketry_api.models import CredentialCreate, TokenCreate
from bucketry_api.models import Token as TokenModel

from ..pagination import Pager
from ..types import arg, model_dict, opt

if TYPE_CHECKING:
    from ..client import Client


class Credential:
    """Named credentials for a set of buckets. ``secret`` is set only on the object that
    ``client.credentials.create`` returned: use it as ``Client(token=...)``."""

    def __init__(self, client: Client, model: Any, secret: str | None = None) -> None:
        self._client = client
        self._model = model
        self.secret = secret

    def __repr__(self) -> str:  # never shows the secret
        return f"Credential({self.id!r}, name={self.name!r}, read_only={self.read_only})"

    @property
    def model(self) -> CredentialModel:
        return self._model  # type: ignore[no-any-return]

    @property
    def id(self) -> str:
        return str(self._model.id)

    @property
    def name(self) -> str:
        return str(self._model.name)

    @property
    def bucket_ids(self) -> builtins.list[str]:
        return list(self._model.bucket_ids)

    @property
    def read_only(self) -> bool:
        return bool(self._model.read_only)

    @property
    def expires_at(self) -> datetime | None:
        value: datetime | None = opt(self._model.expires_at)
        return value

    def to_dict(self) -> dict[str, Any]:
        data = model_dict(self._model)
        data.pop("token", None)
        return data

    def refresh(self) -> Credential:
        self._model = self._client.call(self._client.api.credentials.get, self.id)
        return self

    def delete(self) -> None:
        """Revoke: the secret stops working at once."""
        self._client.call(self._client.api.credentials.delete, self.id)


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
    ) -> Credential:
        """Named credentials for buckets (ids or names); ``.secret`` is shown only now."""
        body = CredentialCreate(
            name=name, buckets=list(buckets), read_only=read_only, expires_in=expires_in
        )
        created = self._client.call(self._client.api.credentials.create, body=body)
        return Credential(self._client, created, secret=created.token)

    def get(self, credential_id: str) -> Credential:
        return Credential(
            self._client, self._client.call(self._client.api.credentials.get, credential_id)
        )

    def list(self, *, page_size: int = 100, first: int | None = None) -> Pager[Credential]:
        client = self._client

        def fetch(cursor: str | None, size: int) -> tuple[builtins.list[Credential], str | None]:
            page = client.call(client.api.credentials.list, page_size=size, cursor=arg(cursor))
            return [Credential(client, m) for m in page.results], opt(page.next_cursor)

        return Pager(fetch, page_size=page_size, first=first)

    def delete(self, credential_id: str) -> None:
        self._client.call(self._client.api.credentials.delete, credential_id)


class Token:
    """A personal access token; ``secret`` only on the object ``client.tokens.create`` returned."""

    def __init__(self, client: Client, model: Any, secret: str | None = None) -> None:
        self._client = client
        self._model = model
        self.secret = secret

    def __repr__(self) -> str:
        return f"Token({self.id!r}, name={self.name!r})"

    @property
    def model(self) -> TokenModel:
        return self._model  # type: ignore[no-any-return]

    @property
    def id(self) -> str:
        return str(self._model.id)

    @property
    def name(self) -> str:
        return str(self._model.name)

    def to_dict(self) -> dict[str, Any]:
        data = model_dict(self._model)
        data.pop("secret", None)
        return data

    def delete(self) -> None:
        self._client.call(self._client.api.tokens.delete, self.id)


class TokensRepo:
    def __init__(self, client: Client) -> None:
        self._client = client

    def create(self, name: str, *, expires_in: int | None = None) -> Token:
        """A personal access token; ``.secret`` is shown only now."""
        body = TokenCreate(name=name, expires_in=expires_in)
        created = self._client.call(self._client.api.tokens.create, body=body)
        return Token(self._client, created, secret=created.secret)

    def list(self, *, page_size: int = 100) -> Pager[Token]:
        client = self._client

        def fetch(cursor: str | None, size: int) -> tuple[builtins.list[Token], str | None]:
            page = client.call(client.api.tokens.list, page_size=size, cursor=arg(cursor))
            return [Token(client, m) for m in page.results], opt(page.next_cursor)

        return Pager(fetch, page_size=page_size)

    def delete(self, token_id: str) -> None:
        self._client.call(self._client.api.tokens.delete, token_id)
