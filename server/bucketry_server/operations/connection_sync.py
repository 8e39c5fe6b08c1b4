"""CONNECTION_SYNC: a connection's sync (:mod:`..connections.sync`) run by the engine.

Request: ``connection_id`` and ``delete_extraneous_files`` (default false). One chunk; a
re-run after a lost lease starts the merge over, which is safe because a sync is idempotent
(the batches already written are found unchanged). Progress counts the keys listed.
Result: ``{"added", "removed", "unchanged", "conflicting", "to_add_count", "to_remove_count",
"number_of_assets"}`` (the plan's counts: ``to_remove_count`` counts the assets whose file is
gone, deleted only with ``delete_extraneous_files``).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from ..accounts.principals import Principal
from ..connections.sync import load_checked, sync_connection
from ..errors import Invalid
from ..state import AppState
from .adapters import single
from .context import OpContext
from .kinds import register

_FIELDS = {"connection_id", "delete_extraneous_files"}


async def validate(state: AppState, p: Principal, request: dict[str, Any]) -> dict[str, Any]:
    """A connection the caller sees whose bucket it still reads; raises ``Invalid`` naming a
    missing or unexpected field, ``NotFound`` for the connection or its bucket."""
    unknown = sorted(set(request) - _FIELDS)
    if unknown:
        raise Invalid("invalid_parameter", f"{unknown[0]}: not a CONNECTION_SYNC parameter")
    connection_id = request.get("connection_id")
    if not isinstance(connection_id, str) or not connection_id:
        raise Invalid("invalid_parameter", "connection_id: required for CONNECTION_SYNC")
    delete = request.get("delete_extraneous_files", False)
    if not isinstance(delete, bool):
        raise Invalid("invalid_parameter", "delete_extraneous_files: must be a boolean")
    await run_in_threadpool(load_checked, state.db, p, connection_id)
    return {"connection_id": connection_id, "delete_extraneous_files": delete}


async def run(ctx: OpContext) -> dict[str, Any]:
    """Sync the connection as the owner (access re-checked now), reporting listed keys."""
    result = await sync_connection(
        ctx.state,
        ctx.principal(),
        str(ctx.params["connection_id"]),
        dry_run=False,
        delete_extraneous_files=bool(ctx.params.get("delete_extraneous_files")),
        limit=0,
        check=ctx.check,
        progress=lambda n: ctx.add_progress(items=n),
    )
    plan = result["plan"]
    return {
        "added": result["added"],
        "removed": result["removed"],
        "unchanged": plan["unchanged"],
        "conflicting": plan["conflicting"],
        "to_add_count": plan["to_add_count"],
        "to_remove_count": plan["to_remove_count"],
        "number_of_assets": result["connection"]["number_of_assets"],
    }


CONNECTION_SYNC = register(single("CONNECTION_SYNC", validate, run))
