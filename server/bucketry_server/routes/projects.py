"""Projects: create, list, get, update, delete (HTTP only; see :mod:`..projects.service`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ..projects import service
from .deps import CurrentPrincipal, State
from .params import Cursor, IdPath, PageSize, Text, refuse_nulls

router = APIRouter()

InputTypeName = Literal["IMAGE", "TEXT", "PDF", "VIDEO", "AUDIO", "GEOSPATIAL", "LLM", "OTHER"]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    title: Text = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    input_type: InputTypeName = "IMAGE"
    json_interface: dict[str, Any] | None = None
    org: Text | None = Field(default=None, max_length=64)


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    title: Text | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    json_interface: dict[str, Any] | None = None


@router.get("/projects", tags=["projects"])
def projects_list(
    p: CurrentPrincipal,
    state: State,
    search: Annotated[Text | None, Query(max_length=200)] = None,
    org: Annotated[Text | None, Query(max_length=64)] = None,
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Projects the caller sees (own and their organizations'), newest last."""
    with state.db.session() as s:
        rows, nxt = service.list_projects(
            s, p, search=search, org=org, cursor=cursor, page_size=page_size
        )
        counts = service.asset_counts(s, [r.id for r in rows])
        results = [service.project_json(s, r, counts.get(r.id, 0)) for r in rows]
        return {"results": results, "next_cursor": nxt}


@router.post("/projects", tags=["projects"], status_code=201)
def projects_create(body: ProjectCreate, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """Create a project owned by the caller, in ``org`` (or ``X-Organization``) if given."""
    with state.db.session() as s:
        project = service.create_project(
            s,
            p,
            title=body.title,
            description=body.description,
            input_type=body.input_type,
            json_interface=body.json_interface,
            org=body.org,
        )
        return service.project_json(s, project, 0)


@router.get("/projects/{project_id}", tags=["projects"])
def projects_get(project_id: IdPath, p: CurrentPrincipal, state: State) -> dict[str, Any]:
    """One visible project (404 otherwise)."""
    with state.db.session() as s:
        return service.project_json(s, service.get_project(s, p, project_id))


@router.patch("/projects/{project_id}", tags=["projects"])
def projects_update(
    project_id: IdPath, body: ProjectUpdate, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    """Change title, description or interface of a visible project."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    refuse_nulls(changes, frozenset({"description", "json_interface"}))
    with state.db.session() as s:
        return service.project_json(s, service.update_project(s, p, project_id, changes))


@router.delete("/projects/{project_id}", tags=["projects"], status_code=204)
def projects_delete(project_id: IdPath, p: CurrentPrincipal, state: State) -> Response:
    """Delete a visible project with its assets and labels."""
    with state.db.session() as s:
        service.delete_project(s, p, project_id)
    return Response(status_code=204)
