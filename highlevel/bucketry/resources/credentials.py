"""Persistent bucket credentials (``client.credentials``) and personal tokens (``client.tokens``).
Secrets are returned once, at creation (``.secret``); listings and refreshes never carry them."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bucketry_api.models import Credential as CredentialModel
from bucketry_api.models import CredentialCreate, TokenCreate
from bucketry_api.models import Token as TokenModel

from ..pagination import Pager
from ..types import Session, opt
from ._base import Entity, Repo


class _Secretive(Entity[Any]):
    """An entity whose secret is known only to the object its ``create`` returned."""

    def __init__(self, session: Session, model: Any, secret: str | None = None) -> None:
        super().__init__(session, model)
        self.secret = secret

    @property
    def id(self) -> str:
        """The object's id."""
        return str(self.model.id)

    @property
    def name(self) -> str:
        """The name it was created with."""
        return str(self.model.name)


class Credential(_Secretive):
    """Named credentials for a set of buckets. ``secret`` is set only on the object that
    ``client.credentials.create`` returned: use it as ``Client(token=...)``."""

    _fields = ("id", "name", "read_only")
    _secret_fields = ("token",)

    @property
    def model(self) -> CredentialModel:
        """The generated ``Credential`` model."""
        model: CredentialModel = super().model
        return model

    @property
    def bucket_ids(self) -> builtins.list[str]:
        """Ids of the buckets these credentials open."""
        return list(self.model.bucket_ids)

    @property
    def read_only(self) -> bool:
        """Whether writes are refused."""
        return bool(self.model.read_only)

    @property
    def expires_at(self) -> datetime | None:
        """When the credentials stop working (``None``: never)."""
        value: datetime | None = opt(self.model.expires_at)
        return value

    def _fetch(self) -> CredentialModel:
        return self._session.call(self._session.api.credentials.get, self.id)

    def delete(self) -> None:
        """Revoke: the secret stops working at once."""
        self._session.call(self._session.api.credentials.delete, self.id)


class CredentialsRepo(Repo[Credential]):
    """``client.credentials``: create, get, list and revoke bucket credentials."""

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
        created = self._session.call(self._session.api.credentials.create, body=body)
        return Credential(self._session, created, secret=created.token)

    def get(self, credential_id: str) -> Credential:
        """Fetch one by id (raises ``NotFoundError``)."""
        model = self._session.call(self._session.api.credentials.get, credential_id)
        return Credential(self._session, model)

    def list(self, *, page_size: int = 100, first: int | None = None) -> Pager[Credential]:
        """Lazily list your credentials (without secrets)."""
        return self._pager(
            self._session.api.credentials.list,
            lambda m: Credential(self._session, m),
            page_size=page_size,
            first=first,
        )

    def delete(self, credential_id: str) -> None:
        """Revoke by id."""
        self._session.call(self._session.api.credentials.delete, credential_id)


class Token(_Secretive):
    """A personal access token; ``secret`` only on the object ``client.tokens.create`` returned."""

    _fields = ("id", "name")
    _secret_fields = ("secret",)

    @property
    def model(self) -> TokenModel:
        """The generated ``Token`` model."""
        model: TokenModel = super().model
        return model

    def _fetch(self) -> TokenModel:
        for token in TokensRepo(self._session).list(page_size=100):
            if token.id == self.id:
                return token.model
        from ..errors import NotFoundError

        raise NotFoundError(f"token {self.id!r} not found", status_code=404)

    def delete(self) -> None:
        """Revoke: the secret stops working at once."""
        self._session.call(self._session.api.tokens.delete, self.id)


class TokensRepo(Repo[Token]):
    """``client.tokens``: create, list and revoke personal access tokens."""

    def create(self, name: str, *, expires_in: int | None = None) -> Token:
        """A personal access token; ``.secret`` is shown only now."""
        body = TokenCreate(name=name, expires_in=expires_in)
        created = self._session.call(self._session.api.tokens.create, body=body)
        return Token(self._session, created, secret=created.secret)

    def list(self, *, page_size: int = 100) -> Pager[Token]:
        """Lazily list your tokens (without secrets)."""
        return self._pager(
            self._session.api.tokens.list, lambda m: Token(self._session, m), page_size=page_size
        )

    def delete(self, token_id: str) -> None:
        """Revoke by id."""
        self._session.call(self._session.api.tokens.delete, token_id)
