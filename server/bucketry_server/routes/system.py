"""Health: lets load balancers and clients (clock skew) check the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from .. import __version__
from ..timeutil import iso, utcnow
from .deps import State

router = APIRouter(tags=["system"])


@router.get("/health")
def system_health(state: State) -> dict[str, Any]:
    with state.db.session() as s:
        s.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "time": iso(utcnow())}
