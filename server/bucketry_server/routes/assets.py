"""Assets and labels: the filtered query and count, bulk mutations, one asset, its labels
(HTTP only; see :mod:`..assets`)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..assets import bulk, query, service
from ..assets.views import label_json, parse_fields
from ..errors import Invalid, PreconditionFailed
from ..models import Asset
from ..projects.service import get_project
from ..timeutil import iso, parse_iso
from .deps import CurrentPrincipal, State
from .params import Cursor, IdPath, JsonInt, PageSize, Text, refuse_nulls

router = APIRouter()

StatusName = Literal["TODO", "ONGOING", "LABELED", "TO_REVIEW", "REVIEWED"]
LabelTypeName = Literal["AUTOSAVE", "DEFAULT", "INFERENCE", "PREDICTION", "REVIEW"]
IdList = Annotated[list[Text] | None, Query(max_length=1000)]
Mark = Annotated[float | None, Query(allow_inf_nan=False)]
Time = Annotated[Text | None, Query(max_length=64)]


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError as exc:
        msg = f"not an RFC 3339 date-time: {value[:64]!r}"
        raise Invalid(
            "invalid_parameter",
            f"{name}: {msg}",
            errors=[{"loc": ["query", name], "msg": msg, "type": "datetime_parsing"}],
        ) from exc


def asset_filters(
    asset_id_in: IdList = None,
    external_id_in: IdList = None,
    external_id_contains: Annotated[Text | None, Query(max_length=500)] = None,
    status_in: Annotated[list[StatusName] | None, Query()] = None,
    metadata_where: Annotated[Text | None, Query(max_length=4096)] = None,
    skipped: bool | None = None,
    is_honeypot: bool | None = None,
    consensus_mark_gt: Mark = None,
    consensus_mark_lt: Mark = None,
    honeypot_mark_gt: Mark = None,
    honeypot_mark_lt: Mark = None,
    updated_at_gte: Time = None,
    updated_at_lte: Time = None,
    label_type_in: Annotated[list[LabelTypeName] | None, Query()] = None,
    label_author_in: Annotated[list[Text] | None, Query(max_length=100)] = None,
    label_consensus_mark_gt: Mark = None,
    label_consensus_mark_lt: Mark = None,
    label_honeypot_mark_gt: Mark = None,
    label_honeypot_mark_lt: Mark = None,
    label_created_at: date | None = None,
    label_created_at_gt: Time = None,
    label_created_at_lt: Time = None,
    label_category_search: Annotated[Text | None, Query(max_length=2000)] = None,
) -> query.AssetFilters:
    """Every filter of the query and the count, parsed (times as naive UTC)."""
    return query.AssetFilters(
        asset_id_in=asset_id_in,
        external_id_in=external_id_in,
        external_id_contains=external_id_contains,
        status_in=list(status_in) if status_in else None,
        metadata_where=metadata_where,
        skipped=skipped,
        is_honeypot=is_honeypot,
        consensus_mark_gt=consensus_mark_gt,
        consensus_mark_lt=consensus_mark_lt,
        honeypot_mark_gt=honeypot_mark_gt,
        honeypot_mark_lt=honeypot_mark_lt,
        updated_at_gte=_time("updated_at_gte", updated_at_gte),
        updated_at_lte=_time("updated_at_lte", updated_at_lte),
        label_type_in=list(label_type_in) if label_type_in else None,
        label_author_in=label_author_in,
        label_consensus_mark_gt=label_consensus_mark_gt,
        label_consensus_mark_lt=label_consensus_mark_lt,
        label_honeypot_mark_gt=label_honeypot_mark_gt,
        label_honeypot_mark_lt=label_honeypot_mark_lt,
        label_created_at=label_created_at,
        label_created_at_gt=_time("label_created_at_gt", label_created_at_gt),
        label_created_at_lt=_time("label_created_at_lt", label_created_at_lt),
        label_category_search=label_category_search,
    )


Filters = Annotated[query.AssetFilters, Depends(asset_filters)]


@router.get("/projects/{project_id}/assets", tags=["assets"])
def assets_list(
    project_id: IdPath,
    p: CurrentPrincipal,
    state: State,
    filters: Filters,
    fields: Annotated[list[Text] | None, Query(max_length=100)] = None,
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> JSONResponse:
    """A keyset page of the project's matching assets with the selected ``fields``. The page
    (JSON values only) goes straight to the encoder, without a response-model pass over
    every asset."""
    selection = parse_fields(fields)
    with state.db.session() as s:
        get_project(s, p, project_id)
        rows, nxt = query.list_assets(s, project_id, filters, selection, cursor, page_size)
    return JSONResponse({"results": rows, "next_cursor": nxt})


@router.get("/projects/{project_id}/assets/count", tags=["assets"])
def assets_count(
    project_id: IdPath, p: CurrentPrincipal, state: State, filters: Filters
) -> dict[str, int]:
    """How many of the project's assets match the filters."""
    with state.db.session() as s:
        get_project(s, p, project_id)
        return {"count": query.count_assets(s, project_id, filters)}


class AssetInput(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    content: Text | None = Field(default=None, max_length=4096)
    json_content: dict[str, Any] | None = None
    external_id: Text | None = Field(default=None, min_length=1, max_length=500)
    json_metadata: dict[str, Any] | None = None
    status: StatusName = "TODO"
    priority: JsonInt = Field(default=0, ge=-(2**31), le=2**31 - 1)
    is_honeypot: bool = False
    to_be_labeled_by: list[Annotated[Text, Field(max_length=100)]] = Field(
        default_factory=list, max_length=100
    )


class AssetAppend(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    assets: list[AssetInput] = Field(min_length=1, max_length=1000)


class AssetChanges(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    content: Text | None = Field(default=None, max_length=4096)
    json_content: dict[str, Any] | None = None
    json_metadata: dict[str, Any] | None = None
    status: StatusName | None = None
    priority: JsonInt | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    consensus_mark: float | None = Field(default=None, allow_inf_nan=False)
    honeypot_mark: float | None = Field(default=None, allow_inf_nan=False)
    is_honeypot: bool | None = None
    is_used_for_consensus: bool | None = None
    to_be_labeled_by: list[Annotated[Text, Field(max_length=100)]] | None = Field(
        default=None, max_length=100
    )


class AssetUpdate(AssetChanges):
    external_id: Text | None = Field(default=None, min_length=1, max_length=500)
    skipped: bool | None = None


class AssetUpdateItem(AssetChanges):
    asset_id: Text | None = Field(default=None, max_length=100)
    external_id: Text | None = Field(default=None, max_length=500)
    new_external_id: Text | None = Field(default=None, min_length=1, max_length=500)


class AssetUpdateMany(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    items: list[AssetUpdateItem] = Field(min_length=1, max_length=1000)


class AssetSelection(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    asset_ids: list[Annotated[Text, Field(max_length=100)]] = Field(
        default_factory=list, max_length=1000
    )
    external_ids: list[Annotated[Text, Field(max_length=500)]] = Field(
        default_factory=list, max_length=1000
    )


@router.post("/projects/{project_id}/assets", tags=["assets"])
def assets_append(
    project_id: IdPath, body: AssetAppend, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    """Append assets; every item is reported (duplicates and bad content included)."""
    items = [a.model_dump() for a in body.assets]
    return bulk.summary(bulk.append_assets(state.db, p, project_id, items))


@router.patch("/projects/{project_id}/assets", tags=["assets"])
def assets_update_many(
    project_id: IdPath, body: AssetUpdateMany, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    """Update many assets by id or external id; every item is reported (an item naming no
    asset is a 404 item)."""
    items = [i.model_dump(exclude_unset=True) for i in body.items]
    return bulk.summary(bulk.update_assets(state.db, p, project_id, items))


def _selection_action(
    state: State, p: CurrentPrincipal, project_id: str, body: AssetSelection, action: str
) -> dict[str, Any]:
    results = bulk.act_on_selection(
        state.db, p, project_id, body.asset_ids, body.external_ids, action
    )
    return bulk.summary(results)


@router.post("/projects/{project_id}/assets/delete", tags=["assets"])
def assets_delete_many(
    project_id: IdPath, body: AssetSelection, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    """Delete the named assets with their labels; unknown ones are reported."""
    return _selection_action(state, p, project_id, body, "delete")


@router.post("/projects/{project_id}/assets/review", tags=["assets"])
def assets_review(
    project_id: IdPath, body: AssetSelection, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    """Add the named labelled assets to review; unlabelled ones are reported, left alone."""
    return _selection_action(state, p, project_id, body, "review")


@router.post("/projects/{project_id}/assets/queue", tags=["assets"])
def assets_queue(
    project_id: IdPath, body: AssetSelection, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    """Send the named assets back to the labelling queue."""
    return _selection_action(state, p, project_id, body, "queue")


#: Fields of ``AssetUpdate`` the spec lets be null (to clear them); null elsewhere is a 422.
NULLABLE = frozenset({"json_content", "consensus_mark", "honeypot_mark"})


def _etag(asset: Asset) -> str:
    digest = hashlib.sha256(f"{asset.id}|{iso(asset.updated_at)}|{asset.status}".encode())
    return f'"{digest.hexdigest()[:32]}"'


def _asset_response(view: dict[str, Any], asset: Asset) -> JSONResponse:
    return JSONResponse(view, headers={"ETag": _etag(asset)})


@router.get("/assets/{asset_id}", tags=["assets"])
def assets_get(asset_id: IdPath, p: CurrentPrincipal, state: State) -> Response:
    """One asset with its latest label (404 if its project is not visible)."""
    with state.db.session() as s:
        asset = service.get_asset(s, p, asset_id)
        return _asset_response(service.asset_view(s, asset), asset)


@router.patch("/assets/{asset_id}", tags=["assets"])
def assets_update(
    asset_id: IdPath,
    body: AssetUpdate,
    p: CurrentPrincipal,
    state: State,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Partially update one asset; ``If-Match`` (its ETag) guards against lost updates."""
    changes = body.model_dump(exclude_unset=True)
    refuse_nulls(changes, NULLABLE)
    with state.db.session() as s:
        if if_match is not None:
            current = service.get_asset(s, p, asset_id, lock=True)
            if if_match.strip() not in ("*", _etag(current)):
                raise PreconditionFailed("precondition_failed", "the asset changed (ETag)")
        asset = service.update_asset(s, p, asset_id, changes)
        return _asset_response(service.asset_view(s, asset), asset)


class LabelCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    label_type: LabelTypeName = "DEFAULT"
    json_response: dict[str, Any]
    seconds_to_label: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    consensus_mark: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    honeypot_mark: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


@router.get("/assets/{asset_id}/labels", tags=["assets"])
def assets_labels_list(
    asset_id: IdPath,
    p: CurrentPrincipal,
    state: State,
    label_type_in: Annotated[list[LabelTypeName] | None, Query()] = None,
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The asset's labels, oldest first."""
    with state.db.session() as s:
        rows, nxt = service.list_labels(
            s,
            p,
            asset_id,
            label_type_in=list(label_type_in) if label_type_in else None,
            cursor=cursor,
            page_size=page_size,
        )
        return {"results": rows, "next_cursor": nxt}


@router.post("/assets/{asset_id}/labels", tags=["assets"], status_code=201)
def assets_labels_create(
    asset_id: IdPath, body: LabelCreate, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    """Add a label by the caller; the asset's status follows the state machine."""
    with state.db.session() as s:
        label, author = service.create_label(
            s,
            p,
            asset_id,
            json_response=body.json_response,
            label_type=body.label_type,
            seconds_to_label=body.seconds_to_label,
            consensus_mark=body.consensus_mark,
            honeypot_mark=body.honeypot_mark,
        )
        return label_json(label, author)
