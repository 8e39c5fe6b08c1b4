import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.asset_page import AssetPage
from ...models.asset_status import AssetStatus
from ...models.assets_list_fields_item import AssetsListFieldsItem
from ...models.label_type import LabelType
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    project_id: str,
    *,
    asset_id_in: list[str] | Unset = UNSET,
    external_id_in: list[str] | Unset = UNSET,
    external_id_contains: str | Unset = UNSET,
    status_in: list[AssetStatus] | Unset = UNSET,
    metadata_where: str | Unset = UNSET,
    skipped: bool | Unset = UNSET,
    is_honeypot: bool | Unset = UNSET,
    consensus_mark_gt: float | Unset = UNSET,
    consensus_mark_lt: float | Unset = UNSET,
    honeypot_mark_gt: float | Unset = UNSET,
    honeypot_mark_lt: float | Unset = UNSET,
    updated_at_gte: datetime.datetime | Unset = UNSET,
    updated_at_lte: datetime.datetime | Unset = UNSET,
    label_type_in: list[LabelType] | Unset = UNSET,
    label_author_in: list[str] | Unset = UNSET,
    label_consensus_mark_gt: float | Unset = UNSET,
    label_consensus_mark_lt: float | Unset = UNSET,
    label_honeypot_mark_gt: float | Unset = UNSET,
    label_honeypot_mark_lt: float | Unset = UNSET,
    label_created_at: datetime.date | Unset = UNSET,
    label_created_at_gt: datetime.datetime | Unset = UNSET,
    label_created_at_lt: datetime.datetime | Unset = UNSET,
    label_category_search: str | Unset = UNSET,
    fields: list[AssetsListFieldsItem] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_asset_id_in: list[str] | Unset = UNSET
    if not isinstance(asset_id_in, Unset):
        json_asset_id_in = asset_id_in

    params["asset_id_in"] = json_asset_id_in

    json_external_id_in: list[str] | Unset = UNSET
    if not isinstance(external_id_in, Unset):
        json_external_id_in = external_id_in

    params["external_id_in"] = json_external_id_in

    params["external_id_contains"] = external_id_contains

    json_status_in: list[str] | Unset = UNSET
    if not isinstance(status_in, Unset):
        json_status_in = []
        for status_in_item_data in status_in:
            status_in_item: str = status_in_item_data
            json_status_in.append(status_in_item)

    params["status_in"] = json_status_in

    params["metadata_where"] = metadata_where

    params["skipped"] = skipped

    params["is_honeypot"] = is_honeypot

    params["consensus_mark_gt"] = consensus_mark_gt

    params["consensus_mark_lt"] = consensus_mark_lt

    params["honeypot_mark_gt"] = honeypot_mark_gt

    params["honeypot_mark_lt"] = honeypot_mark_lt

    json_updated_at_gte: str | Unset = UNSET
    if not isinstance(updated_at_gte, Unset):
        json_updated_at_gte = updated_at_gte.isoformat()
    params["updated_at_gte"] = json_updated_at_gte

    json_updated_at_lte: str | Unset = UNSET
    if not isinstance(updated_at_lte, Unset):
        json_updated_at_lte = updated_at_lte.isoformat()
    params["updated_at_lte"] = json_updated_at_lte

    json_label_type_in: list[str] | Unset = UNSET
    if not isinstance(label_type_in, Unset):
        json_label_type_in = []
        for label_type_in_item_data in label_type_in:
            label_type_in_item: str = label_type_in_item_data
            json_label_type_in.append(label_type_in_item)

    params["label_type_in"] = json_label_type_in

    json_label_author_in: list[str] | Unset = UNSET
    if not isinstance(label_author_in, Unset):
        json_label_author_in = label_author_in

    params["label_author_in"] = json_label_author_in

    params["label_consensus_mark_gt"] = label_consensus_mark_gt

    params["label_consensus_mark_lt"] = label_consensus_mark_lt

    params["label_honeypot_mark_gt"] = label_honeypot_mark_gt

    params["label_honeypot_mark_lt"] = label_honeypot_mark_lt

    json_label_created_at: str | Unset = UNSET
    if not isinstance(label_created_at, Unset):
        json_label_created_at = label_created_at.isoformat()
    params["label_created_at"] = json_label_created_at

    json_label_created_at_gt: str | Unset = UNSET
    if not isinstance(label_created_at_gt, Unset):
        json_label_created_at_gt = label_created_at_gt.isoformat()
    params["label_created_at_gt"] = json_label_created_at_gt

    json_label_created_at_lt: str | Unset = UNSET
    if not isinstance(label_created_at_lt, Unset):
        json_label_created_at_lt = label_created_at_lt.isoformat()
    params["label_created_at_lt"] = json_label_created_at_lt

    params["label_category_search"] = label_category_search

    json_fields: list[str] | Unset = UNSET
    if not isinstance(fields, Unset):
        json_fields = []
        for fields_item_data in fields:
            fields_item: str = fields_item_data
            json_fields.append(fields_item)

    params["fields"] = json_fields

    params["page_size"] = page_size

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/projects/{project_id}/assets".format(
            project_id=quote(str(project_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AssetPage | Problem | None:
    if response.status_code == 200:
        response_200 = AssetPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())

        return response_408

    if response.status_code == 414:
        response_414 = Problem.from_dict(response.json())

        return response_414

    if response.status_code == 431:
        response_431 = Problem.from_dict(response.json())

        return response_431

    if response.status_code == 501:
        response_501 = Problem.from_dict(response.json())

        return response_501

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[AssetPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    project_id: str,
    *,
    client: AuthenticatedClient | Client,
    asset_id_in: list[str] | Unset = UNSET,
    external_id_in: list[str] | Unset = UNSET,
    external_id_contains: str | Unset = UNSET,
    status_in: list[AssetStatus] | Unset = UNSET,
    metadata_where: str | Unset = UNSET,
    skipped: bool | Unset = UNSET,
    is_honeypot: bool | Unset = UNSET,
    consensus_mark_gt: float | Unset = UNSET,
    consensus_mark_lt: float | Unset = UNSET,
    honeypot_mark_gt: float | Unset = UNSET,
    honeypot_mark_lt: float | Unset = UNSET,
    updated_at_gte: datetime.datetime | Unset = UNSET,
    updated_at_lte: datetime.datetime | Unset = UNSET,
    label_type_in: list[LabelType] | Unset = UNSET,
    label_author_in: list[str] | Unset = UNSET,
    label_consensus_mark_gt: float | Unset = UNSET,
    label_consensus_mark_lt: float | Unset = UNSET,
    label_honeypot_mark_gt: float | Unset = UNSET,
    label_honeypot_mark_lt: float | Unset = UNSET,
    label_created_at: datetime.date | Unset = UNSET,
    label_created_at_gt: datetime.datetime | Unset = UNSET,
    label_created_at_lt: datetime.datetime | Unset = UNSET,
    label_category_search: str | Unset = UNSET,
    fields: list[AssetsListFieldsItem] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[AssetPage | Problem]:
    """Query a project's assets with filters, in cursor pages.

    Args:
        project_id (str):
        asset_id_in (list[str] | Unset):
        external_id_in (list[str] | Unset):
        external_id_contains (str | Unset):
        status_in (list[AssetStatus] | Unset):
        metadata_where (str | Unset):
        skipped (bool | Unset):
        is_honeypot (bool | Unset):
        consensus_mark_gt (float | Unset):
        consensus_mark_lt (float | Unset):
        honeypot_mark_gt (float | Unset):
        honeypot_mark_lt (float | Unset):
        updated_at_gte (datetime.datetime | Unset):
        updated_at_lte (datetime.datetime | Unset):
        label_type_in (list[LabelType] | Unset):
        label_author_in (list[str] | Unset):
        label_consensus_mark_gt (float | Unset):
        label_consensus_mark_lt (float | Unset):
        label_honeypot_mark_gt (float | Unset):
        label_honeypot_mark_lt (float | Unset):
        label_created_at (datetime.date | Unset):
        label_created_at_gt (datetime.datetime | Unset):
        label_created_at_lt (datetime.datetime | Unset):
        label_category_search (str | Unset):
        fields (list[AssetsListFieldsItem] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AssetPage | Problem]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        asset_id_in=asset_id_in,
        external_id_in=external_id_in,
        external_id_contains=external_id_contains,
        status_in=status_in,
        metadata_where=metadata_where,
        skipped=skipped,
        is_honeypot=is_honeypot,
        consensus_mark_gt=consensus_mark_gt,
        consensus_mark_lt=consensus_mark_lt,
        honeypot_mark_gt=honeypot_mark_gt,
        honeypot_mark_lt=honeypot_mark_lt,
        updated_at_gte=updated_at_gte,
        updated_at_lte=updated_at_lte,
        label_type_in=label_type_in,
        label_author_in=label_author_in,
        label_consensus_mark_gt=label_consensus_mark_gt,
        label_consensus_mark_lt=label_consensus_mark_lt,
        label_honeypot_mark_gt=label_honeypot_mark_gt,
        label_honeypot_mark_lt=label_honeypot_mark_lt,
        label_created_at=label_created_at,
        label_created_at_gt=label_created_at_gt,
        label_created_at_lt=label_created_at_lt,
        label_category_search=label_category_search,
        fields=fields,
        page_size=page_size,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    project_id: str,
    *,
    client: AuthenticatedClient | Client,
    asset_id_in: list[str] | Unset = UNSET,
    external_id_in: list[str] | Unset = UNSET,
    external_id_contains: str | Unset = UNSET,
    status_in: list[AssetStatus] | Unset = UNSET,
    metadata_where: str | Unset = UNSET,
    skipped: bool | Unset = UNSET,
    is_honeypot: bool | Unset = UNSET,
    consensus_mark_gt: float | Unset = UNSET,
    consensus_mark_lt: float | Unset = UNSET,
    honeypot_mark_gt: float | Unset = UNSET,
    honeypot_mark_lt: float | Unset = UNSET,
    updated_at_gte: datetime.datetime | Unset = UNSET,
    updated_at_lte: datetime.datetime | Unset = UNSET,
    label_type_in: list[LabelType] | Unset = UNSET,
    label_author_in: list[str] | Unset = UNSET,
    label_consensus_mark_gt: float | Unset = UNSET,
    label_consensus_mark_lt: float | Unset = UNSET,
    label_honeypot_mark_gt: float | Unset = UNSET,
    label_honeypot_mark_lt: float | Unset = UNSET,
    label_created_at: datetime.date | Unset = UNSET,
    label_created_at_gt: datetime.datetime | Unset = UNSET,
    label_created_at_lt: datetime.datetime | Unset = UNSET,
    label_category_search: str | Unset = UNSET,
    fields: list[AssetsListFieldsItem] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> AssetPage | Problem | None:
    """Query a project's assets with filters, in cursor pages.

    Args:
        project_id (str):
        asset_id_in (list[str] | Unset):
        external_id_in (list[str] | Unset):
        external_id_contains (str | Unset):
        status_in (list[AssetStatus] | Unset):
        metadata_where (str | Unset):
        skipped (bool | Unset):
        is_honeypot (bool | Unset):
        consensus_mark_gt (float | Unset):
        consensus_mark_lt (float | Unset):
        honeypot_mark_gt (float | Unset):
        honeypot_mark_lt (float | Unset):
        updated_at_gte (datetime.datetime | Unset):
        updated_at_lte (datetime.datetime | Unset):
        label_type_in (list[LabelType] | Unset):
        label_author_in (list[str] | Unset):
        label_consensus_mark_gt (float | Unset):
        label_consensus_mark_lt (float | Unset):
        label_honeypot_mark_gt (float | Unset):
        label_honeypot_mark_lt (float | Unset):
        label_created_at (datetime.date | Unset):
        label_created_at_gt (datetime.datetime | Unset):
        label_created_at_lt (datetime.datetime | Unset):
        label_category_search (str | Unset):
        fields (list[AssetsListFieldsItem] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AssetPage | Problem
    """

    return sync_detailed(
        project_id=project_id,
        client=client,
        asset_id_in=asset_id_in,
        external_id_in=external_id_in,
        external_id_contains=external_id_contains,
        status_in=status_in,
        metadata_where=metadata_where,
        skipped=skipped,
        is_honeypot=is_honeypot,
        consensus_mark_gt=consensus_mark_gt,
        consensus_mark_lt=consensus_mark_lt,
        honeypot_mark_gt=honeypot_mark_gt,
        honeypot_mark_lt=honeypot_mark_lt,
        updated_at_gte=updated_at_gte,
        updated_at_lte=updated_at_lte,
        label_type_in=label_type_in,
        label_author_in=label_author_in,
        label_consensus_mark_gt=label_consensus_mark_gt,
        label_consensus_mark_lt=label_consensus_mark_lt,
        label_honeypot_mark_gt=label_honeypot_mark_gt,
        label_honeypot_mark_lt=label_honeypot_mark_lt,
        label_created_at=label_created_at,
        label_created_at_gt=label_created_at_gt,
        label_created_at_lt=label_created_at_lt,
        label_category_search=label_category_search,
        fields=fields,
        page_size=page_size,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    project_id: str,
    *,
    client: AuthenticatedClient | Client,
    asset_id_in: list[str] | Unset = UNSET,
    external_id_in: list[str] | Unset = UNSET,
    external_id_contains: str | Unset = UNSET,
    status_in: list[AssetStatus] | Unset = UNSET,
    metadata_where: str | Unset = UNSET,
    skipped: bool | Unset = UNSET,
    is_honeypot: bool | Unset = UNSET,
    consensus_mark_gt: float | Unset = UNSET,
    consensus_mark_lt: float | Unset = UNSET,
    honeypot_mark_gt: float | Unset = UNSET,
    honeypot_mark_lt: float | Unset = UNSET,
    updated_at_gte: datetime.datetime | Unset = UNSET,
    updated_at_lte: datetime.datetime | Unset = UNSET,
    label_type_in: list[LabelType] | Unset = UNSET,
    label_author_in: list[str] | Unset = UNSET,
    label_consensus_mark_gt: float | Unset = UNSET,
    label_consensus_mark_lt: float | Unset = UNSET,
    label_honeypot_mark_gt: float | Unset = UNSET,
    label_honeypot_mark_lt: float | Unset = UNSET,
    label_created_at: datetime.date | Unset = UNSET,
    label_created_at_gt: datetime.datetime | Unset = UNSET,
    label_created_at_lt: datetime.datetime | Unset = UNSET,
    label_category_search: str | Unset = UNSET,
    fields: list[AssetsListFieldsItem] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[AssetPage | Problem]:
    """Query a project's assets with filters, in cursor pages.

    Args:
        project_id (str):
        asset_id_in (list[str] | Unset):
        external_id_in (list[str] | Unset):
        external_id_contains (str | Unset):
        status_in (list[AssetStatus] | Unset):
        metadata_where (str | Unset):
        skipped (bool | Unset):
        is_honeypot (bool | Unset):
        consensus_mark_gt (float | Unset):
        consensus_mark_lt (float | Unset):
        honeypot_mark_gt (float | Unset):
        honeypot_mark_lt (float | Unset):
        updated_at_gte (datetime.datetime | Unset):
        updated_at_lte (datetime.datetime | Unset):
        label_type_in (list[LabelType] | Unset):
        label_author_in (list[str] | Unset):
        label_consensus_mark_gt (float | Unset):
        label_consensus_mark_lt (float | Unset):
        label_honeypot_mark_gt (float | Unset):
        label_honeypot_mark_lt (float | Unset):
        label_created_at (datetime.date | Unset):
        label_created_at_gt (datetime.datetime | Unset):
        label_created_at_lt (datetime.datetime | Unset):
        label_category_search (str | Unset):
        fields (list[AssetsListFieldsItem] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AssetPage | Problem]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        asset_id_in=asset_id_in,
        external_id_in=external_id_in,
        external_id_contains=external_id_contains,
        status_in=status_in,
        metadata_where=metadata_where,
        skipped=skipped,
        is_honeypot=is_honeypot,
        consensus_mark_gt=consensus_mark_gt,
        consensus_mark_lt=consensus_mark_lt,
        honeypot_mark_gt=honeypot_mark_gt,
        honeypot_mark_lt=honeypot_mark_lt,
        updated_at_gte=updated_at_gte,
        updated_at_lte=updated_at_lte,
        label_type_in=label_type_in,
        label_author_in=label_author_in,
        label_consensus_mark_gt=label_consensus_mark_gt,
        label_consensus_mark_lt=label_consensus_mark_lt,
        label_honeypot_mark_gt=label_honeypot_mark_gt,
        label_honeypot_mark_lt=label_honeypot_mark_lt,
        label_created_at=label_created_at,
        label_created_at_gt=label_created_at_gt,
        label_created_at_lt=label_created_at_lt,
        label_category_search=label_category_search,
        fields=fields,
        page_size=page_size,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    project_id: str,
    *,
    client: AuthenticatedClient | Client,
    asset_id_in: list[str] | Unset = UNSET,
    external_id_in: list[str] | Unset = UNSET,
    external_id_contains: str | Unset = UNSET,
    status_in: list[AssetStatus] | Unset = UNSET,
    metadata_where: str | Unset = UNSET,
    skipped: bool | Unset = UNSET,
    is_honeypot: bool | Unset = UNSET,
    consensus_mark_gt: float | Unset = UNSET,
    consensus_mark_lt: float | Unset = UNSET,
    honeypot_mark_gt: float | Unset = UNSET,
    honeypot_mark_lt: float | Unset = UNSET,
    updated_at_gte: datetime.datetime | Unset = UNSET,
    updated_at_lte: datetime.datetime | Unset = UNSET,
    label_type_in: list[LabelType] | Unset = UNSET,
    label_author_in: list[str] | Unset = UNSET,
    label_consensus_mark_gt: float | Unset = UNSET,
    label_consensus_mark_lt: float | Unset = UNSET,
    label_honeypot_mark_gt: float | Unset = UNSET,
    label_honeypot_mark_lt: float | Unset = UNSET,
    label_created_at: datetime.date | Unset = UNSET,
    label_created_at_gt: datetime.datetime | Unset = UNSET,
    label_created_at_lt: datetime.datetime | Unset = UNSET,
    label_category_search: str | Unset = UNSET,
    fields: list[AssetsListFieldsItem] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> AssetPage | Problem | None:
    """Query a project's assets with filters, in cursor pages.

    Args:
        project_id (str):
        asset_id_in (list[str] | Unset):
        external_id_in (list[str] | Unset):
        external_id_contains (str | Unset):
        status_in (list[AssetStatus] | Unset):
        metadata_where (str | Unset):
        skipped (bool | Unset):
        is_honeypot (bool | Unset):
        consensus_mark_gt (float | Unset):
        consensus_mark_lt (float | Unset):
        honeypot_mark_gt (float | Unset):
        honeypot_mark_lt (float | Unset):
        updated_at_gte (datetime.datetime | Unset):
        updated_at_lte (datetime.datetime | Unset):
        label_type_in (list[LabelType] | Unset):
        label_author_in (list[str] | Unset):
        label_consensus_mark_gt (float | Unset):
        label_consensus_mark_lt (float | Unset):
        label_honeypot_mark_gt (float | Unset):
        label_honeypot_mark_lt (float | Unset):
        label_created_at (datetime.date | Unset):
        label_created_at_gt (datetime.datetime | Unset):
        label_created_at_lt (datetime.datetime | Unset):
        label_category_search (str | Unset):
        fields (list[AssetsListFieldsItem] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AssetPage | Problem
    """

    return (
        await asyncio_detailed(
            project_id=project_id,
            client=client,
            asset_id_in=asset_id_in,
            external_id_in=external_id_in,
            external_id_contains=external_id_contains,
            status_in=status_in,
            metadata_where=metadata_where,
            skipped=skipped,
            is_honeypot=is_honeypot,
            consensus_mark_gt=consensus_mark_gt,
            consensus_mark_lt=consensus_mark_lt,
            honeypot_mark_gt=honeypot_mark_gt,
            honeypot_mark_lt=honeypot_mark_lt,
            updated_at_gte=updated_at_gte,
            updated_at_lte=updated_at_lte,
            label_type_in=label_type_in,
            label_author_in=label_author_in,
            label_consensus_mark_gt=label_consensus_mark_gt,
            label_consensus_mark_lt=label_consensus_mark_lt,
            label_honeypot_mark_gt=label_honeypot_mark_gt,
            label_honeypot_mark_lt=label_honeypot_mark_lt,
            label_created_at=label_created_at,
            label_created_at_gt=label_created_at_gt,
            label_created_at_lt=label_created_at_lt,
            label_category_search=label_category_search,
            fields=fields,
            page_size=page_size,
            cursor=cursor,
        )
    ).parsed
