"""Persistent credentials and the calling user's space usage (HTTP only; see
:mod:`..accounts.tokens` and :mod:`..buckets.usage`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from ..accounts import tokens
from ..buckets.usage import account_usage
from .deps import CurrentPrincipal, State
from .params import Cursor, IdPath, JsonInt, PageSize, Text

router = APIRouter()


@router.get("/credentials", tags=["credentials"])
def credentials_list(
    p: CurrentPrincipal, state: State, page_size: PageSize = 100, cursor: Cursor = None
) -> dict[str, Any]:
    with state.db.session() as s:
        rows, nxt = tokens.list_credentials(s, p, cursor, page_size)
        return {"results": [tokens.credential_json(t) for t in rows], "next_cursor": nxt}


class CredentialCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    name: Text = Field(min_length=1, max_length=100)
    buckets: list[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=100
    )
    read_only: bool = False
    expires_in: JsonInt | None = Field(default=None, ge=60, le=31536000)


@router.post("/credentials", tags=["credentials"], status_code=201)
def credentials_create(body: CredentialCreate, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """Every bucket must be visible to the caller (else 404) and, unless ``read_only``,
    writable by them (else 403)."""
    with state.db.session() as s:
        token, secret = tokens.create_credentials(
            s,
            p,
            body.name,
            list(body.buckets),
            read_only=body.read_only,
            expires_in=body.expires_in,
        )
        return {**tokens.credential_json(token), "token": secret}


@router.get("/credentials/{credential_id}", tags=["credentials"])
def credentials_get(credential_id: IdPath, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        return tokens.credential_json(tokens.own_credential(s, p, credential_id))


@router.delete("/credentials/{credential_id}", tags=["credentials"], status_code=204)
def credentials_delete(credential_id: IdPath, p: CurrentPrincipal, state: State) -> Response:
    tokens.delete_credential(state.db, p, credential_id)
    return Response(status_code=204)


@router.get("/usage", tags=["usage"])
def usage_get(p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """Totals and per-bucket figures over the caller's buckets (see ``buckets.usage``)."""
    with state.db.session() as s:
        return account_usage(s, p)
