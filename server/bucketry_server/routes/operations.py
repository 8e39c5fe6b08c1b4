"""Storage operations that outlive a request: list, create (202), get, cancel. HTTP only: the
work is :mod:`..operations` (service, engine and kinds)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..operations import service
from .deps import CurrentPrincipal, State
from .params import Cursor, IdPath, JsonInt, PageSize, Text

router = APIRouter(tags=["operations"])

KindName = Literal["COPY", "IMPORT_URL", "EXPORT", "DELETE_PREFIX", "CONNECTION_SYNC"]
StatusName = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]


class OperationCreate(BaseModel):
    """The ``OperationCreate`` body; each kind checks the fields it needs (see the spec)."""

    model_config = ConfigDict(strict=True)
    kind: KindName
    source: Text | None = Field(default=None, max_length=2048)
    destination: Text | None = Field(default=None, max_length=2048)
    url: Text | None = Field(default=None, max_length=4096)
    part_size_mb: JsonInt | None = Field(default=None, ge=5, le=5120)
    connection_id: Text | None = Field(default=None, max_length=100)
    delete_extraneous_files: bool = False
    overwrite: bool = True
    dry_run: bool = False


@router.get("/operations")
def operations_list(
    p: CurrentPrincipal,
    state: State,
    status: Annotated[StatusName | None, Query()] = None,
    kind: Annotated[KindName | None, Query()] = None,
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return service.list_operations(
        state, p, status=status, kind=kind, page_size=page_size, cursor=cursor
    )


@router.post("/operations", status_code=202)
async def operations_create(
    body: OperationCreate,
    p: CurrentPrincipal,
    state: State,
    idempotency_key: Annotated[Text | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    """Checked before anything is stored (404 bucket, 403 write, 400 bad field); a repeated
    ``Idempotency-Key`` answers the operation the first request created (409 if the request
    differs)."""
    key = idempotency_key or None
    # Only the fields that say something: a kind refuses parameters it does not take, and
    # clients (the generated one too) send every default (overwrite=true, dry_run=false...).
    fields = body.model_dump(exclude_none=True, exclude_defaults=True) | {"kind": body.kind}
    created, _ = await service.create_operation(state, p, fields, key)
    return JSONResponse(created, status_code=202)


@router.get("/operations/{operation_id}")
def operations_get(operation_id: IdPath, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    return service.get_operation(state, p, operation_id)


@router.post("/operations/{operation_id}/cancel")
def operations_cancel(operation_id: IdPath, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """409 once the operation has ended; a running one ends CANCELLED within about a second."""
    return service.cancel_operation(state, p, operation_id)
