"""FastAPI dependencies shared by every route: the app state and the calling principal."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request

from ..accounts.principals import ANONYMOUS, PRINCIPALS, Principal, resolve_principal
from ..errors import Unauthenticated
from ..state import AppState, get_state


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated(
            "invalid_token",
            "expected 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return value.strip()


def get_principal(request: Request, state: Annotated[AppState, Depends(get_state)]) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    secret = _bearer(request)
    if secret is None:
        endpoint = request.scope.get("endpoint")
        anonymous_ok: frozenset[str] = request.app.state.anonymous_operations
        if getattr(endpoint, "__name__", None) not in anonymous_ok:
            ANONYMOUS.require_user()
        principal = ANONYMOUS
    else:
        cached = PRINCIPALS.get(secret)
        if cached is None:
            with state.db.session() as s:
                cached = resolve_principal(s, secret)
            PRINCIPALS.put(secret, cached)
        principal = cached
    org_slug = request.headers.get("x-organization")
    if org_slug:
        principal = replace(principal, org_slug=org_slug)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
State = Annotated[AppState, Depends(get_state)]
