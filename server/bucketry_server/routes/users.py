"""The calling user and their personal access tokens (HTTP only; see :mod:`..accounts`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from ..accounts import tokens
from ..accounts.users import user_profile
from .deps import CurrentPrincipal, State
from .params import Cursor, IdPath, JsonInt, PageSize, Text

router = APIRouter()


@router.get("/users/self", tags=["users"])
def users_get_self(p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        return user_profile(s, p)


@router.get("/tokens", tags=["tokens"])
def tokens_list(
    p: CurrentPrincipal, state: State, page_size: PageSize = 100, cursor: Cursor = None
) -> dict[str, Any]:
    with state.db.session() as s:
        rows, nxt = tokens.list_tokens(s, p, cursor, page_size)
        return {"results": [tokens.token_json(t) for t in rows], "next_cursor": nxt}


class TokenCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    name: Text = Field(min_length=1, max_length=100)
    expires_in: JsonInt | None = Field(default=None, ge=60, le=31536000)


@router.post("/tokens", tags=["tokens"], status_code=201)
def tokens_create(body: TokenCreate, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    with state.db.session() as s:
        token, secret = tokens.create_personal_token(s, p, body.name, body.expires_in)
        return {**tokens.token_json(token), "secret": secret}


@router.delete("/tokens/{token_id}", tags=["tokens"], status_code=204)
def tokens_delete(token_id: IdPath, p: CurrentPrincipal, state: State) -> Response:
    tokens.revoke_token(state.db, p, token_id)
    return Response(status_code=204)
