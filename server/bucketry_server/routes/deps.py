"""FastAPI dependencies shared by every route: the app state and the calling principal."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

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


def _resolve(state: AppState, secret: str) -> Principal:
    with state.db.session() as s:
        return resolve_principal(s, secret)


async def get_principal(
    request: Request, state: Annotated[AppState, Depends(get_state)]
) -> Principal:
    """The caller of ``request`` (anonymous without ``Authorization``), resolved once per
    request. A coroutine so FastAPI runs it on the event loop: a cached token costs no worker
    thread hop; only a cache miss looks the token up in a worker thread. Raises
    ``Unauthenticated`` (malformed header, unknown or expired token, or no token where the
    operation requires one)."""
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
            cached = await run_in_threadpool(_resolve, state, secret)
            PRINCIPALS.put(secret, cached)
        principal = cached
    org_slug = request.headers.get("x-organization")
    if org_slug:
        principal = replace(principal, org_slug=org_slug)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
State = Annotated[AppState, Depends(get_state)]
