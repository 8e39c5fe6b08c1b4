from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.label_page import LabelPage
from ...models.label_type import LabelType
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    asset_id: str,
    *,
    label_type_in: list[LabelType] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_label_type_in: list[str] | Unset = UNSET
    if not isinstance(label_type_in, Unset):
        json_label_type_in = []
        for label_type_in_item_data in label_type_in:
            label_type_in_item: str = label_type_in_item_data
            json_label_type_in.append(label_type_in_item)

    params["label_type_in"] = json_label_type_in

    params["page_size"] = page_size

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/assets/{asset_id}/labels".format(
            asset_id=quote(str(asset_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> LabelPage | Problem | None:
    if response.status_code == 200:
        response_200 = LabelPage.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[LabelPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    asset_id: str,
    *,
    client: AuthenticatedClient | Client,
    label_type_in: list[LabelType] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[LabelPage | Problem]:
    """The labels of one asset, oldest first.

    Args:
        asset_id (str):
        label_type_in (list[LabelType] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LabelPage | Problem]
    """

    kwargs = _get_kwargs(
        asset_id=asset_id,
        label_type_in=label_type_in,
        page_size=page_size,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    asset_id: str,
    *,
    client: AuthenticatedClient | Client,
    label_type_in: list[LabelType] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> LabelPage | Problem | None:
    """The labels of one asset, oldest first.

    Args:
        asset_id (str):
        label_type_in (list[LabelType] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LabelPage | Problem
    """

    return sync_detailed(
        asset_id=asset_id,
        client=client,
        label_type_in=label_type_in,
        page_size=page_size,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    asset_id: str,
    *,
    client: AuthenticatedClient | Client,
    label_type_in: list[LabelType] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[LabelPage | Problem]:
    """The labels of one asset, oldest first.

    Args:
        asset_id (str):
        label_type_in (list[LabelType] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LabelPage | Problem]
    """

    kwargs = _get_kwargs(
        asset_id=asset_id,
        label_type_in=label_type_in,
        page_size=page_size,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    asset_id: str,
    *,
    client: AuthenticatedClient | Client,
    label_type_in: list[LabelType] | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> LabelPage | Problem | None:
    """The labels of one asset, oldest first.

    Args:
        asset_id (str):
        label_type_in (list[LabelType] | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LabelPage | Problem
    """

    return (
        await asyncio_detailed(
            asset_id=asset_id,
            client=client,
            label_type_in=label_type_in,
            page_size=page_size,
            cursor=cursor,
        )
    ).parsed
