"""Connections: connect a bucket to a project, list, get, delete, diff and sync (HTTP only;
see :mod:`..connections`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..connections import service
from ..connections.sync import diff_connection, runs_as_operation, sync_connection
from ..operations.service import create_operation
from .deps import CurrentPrincipal, State
from .params import Cursor, IdPath, JsonInt, PageSize, Text, no_null_body

router = APIRouter()

Folder = Annotated[Text, Field(min_length=1, max_length=1024, pattern="[^/]")]
GlobText = Annotated[Text, Field(min_length=1, max_length=1024)]
PlanLimit = Annotated[int, Query(ge=0, le=10000)]


class ConnectionCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    project_id: Text = Field(min_length=1, max_length=100)
    bucket: Text = Field(min_length=1, max_length=100)
    selected_folders: list[Folder] = Field(default_factory=list, max_length=100)
    include: list[GlobText] = Field(default_factory=list, max_length=100)
    exclude: list[GlobText] = Field(default_factory=list, max_length=100)


class ConnectionSyncRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    dry_run: bool = False
    delete_extraneous_files: bool = False
    plan_limit: Annotated[JsonInt, Field(ge=0, le=10000)] = 100
    as_operation: bool = False


@router.get("/connections", tags=["connections"])
def connections_list(
    p: CurrentPrincipal,
    state: State,
    project_id: Annotated[Text | None, Query(max_length=100)] = None,
    bucket: Annotated[Text | None, Query(max_length=100)] = None,
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Connections of the projects the caller sees, optionally of one project or bucket."""
    with state.db.session() as s:
        rows, nxt = service.list_connections(
            s, p, project_id=project_id, bucket=bucket, cursor=cursor, page_size=page_size
        )
        return {"results": [service.connection_json(c) for c in rows], "next_cursor": nxt}


@router.post("/connections", tags=["connections"], status_code=201)
def connections_create(body: ConnectionCreate, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """Connect a bucket the caller reads to a project the caller sees."""
    with state.db.session() as s:
        con = service.create_connection(
            s,
            p,
            project_id=body.project_id,
            bucket=body.bucket,
            selected_folders=body.selected_folders,
            include=body.include,
            exclude=body.exclude,
        )
        return service.connection_json(con)


@router.get("/connections/{connection_id}", tags=["connections"])
def connections_get(connection_id: IdPath, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """One connection of a project the caller sees (404 otherwise)."""
    with state.db.session() as s:
        return service.connection_json(service.get_connection(s, p, connection_id))


@router.delete("/connections/{connection_id}", tags=["connections"], status_code=204)
def connections_delete(connection_id: IdPath, p: CurrentPrincipal, state: State) -> Response:
    """Delete a connection; its assets stay in the project, unlinked."""
    with state.db.session() as s:
        service.delete_connection(s, p, connection_id)
    return Response(status_code=204)


@router.post("/connections/{connection_id}/diff", tags=["connections"])
async def connections_diff(
    connection_id: IdPath, p: CurrentPrincipal, state: State, plan_limit: PlanLimit = 100
) -> dict[str, Any]:
    """Files to add and assets whose files are gone (writes nothing)."""
    plan = await diff_connection(state, p, connection_id, limit=plan_limit)
    return plan.json()


@router.post("/connections/{connection_id}/sync", tags=["connections"], response_model=None)
async def connections_sync(
    connection_id: IdPath,
    p: CurrentPrincipal,
    state: State,
    body: Annotated[ConnectionSyncRequest | None, Body()] = None,
    _: Annotated[None, Depends(no_null_body)] = None,
) -> dict[str, Any] | JSONResponse:
    """Apply the diff (or, with ``dry_run``, return it and change nothing). A real sync of an
    imported bucket or of a large managed one, or one with ``as_operation``, is started as a
    CONNECTION_SYNC operation (202 with the operation to poll)."""
    req = body or ConnectionSyncRequest()
    if not req.dry_run and await run_in_threadpool(
        runs_as_operation, state, p, connection_id, req.as_operation
    ):
        request = {
            "kind": "CONNECTION_SYNC",
            "connection_id": connection_id,
            "delete_extraneous_files": req.delete_extraneous_files,
        }
        created, _new = await create_operation(state, p, request)
        return JSONResponse(created, status_code=202)
    return await sync_connection(
        state,
        p,
        connection_id,
        dry_run=req.dry_run,
        delete_extraneous_files=req.delete_extraneous_files,
        limit=req.plan_limit,
    )
