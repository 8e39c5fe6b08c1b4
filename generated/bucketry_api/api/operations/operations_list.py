from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.operation_kind import OperationKind
from ...models.operation_page import OperationPage
from ...models.operation_status import OperationStatus
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: OperationStatus | Unset = UNSET,
    kind: OperationKind | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status

    params["status"] = json_status

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind

    params["kind"] = json_kind

    params["page_size"] = page_size

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/operations",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OperationPage | Problem | None:
    if response.status_code == 200:
        response_200 = OperationPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[OperationPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: OperationStatus | Unset = UNSET,
    kind: OperationKind | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[OperationPage | Problem]:
    """List the caller's operations, newest first.

    Args:
        status (OperationStatus | Unset): Lifecycle state; SUCCEEDED, FAILED and CANCELLED are
            final.
        kind (OperationKind | Unset): What an operation does.
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OperationPage | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        kind=kind,
        page_size=page_size,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    status: OperationStatus | Unset = UNSET,
    kind: OperationKind | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> OperationPage | Problem | None:
    """List the caller's operations, newest first.

    Args:
        status (OperationStatus | Unset): Lifecycle state; SUCCEEDED, FAILED and CANCELLED are
            final.
        kind (OperationKind | Unset): What an operation does.
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OperationPage | Problem
    """

    return sync_detailed(
        client=client,
        status=status,
        kind=kind,
        page_size=page_size,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: OperationStatus | Unset = UNSET,
    kind: OperationKind | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[OperationPage | Problem]:
    """List the caller's operations, newest first.

    Args:
        status (OperationStatus | Unset): Lifecycle state; SUCCEEDED, FAILED and CANCELLED are
            final.
        kind (OperationKind | Unset): What an operation does.
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OperationPage | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        kind=kind,
        page_size=page_size,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    status: OperationStatus | Unset = UNSET,
    kind: OperationKind | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> OperationPage | Problem | None:
    """List the caller's operations, newest first.

    Args:
        status (OperationStatus | Unset): Lifecycle state; SUCCEEDED, FAILED and CANCELLED are
            final.
        kind (OperationKind | Unset): What an operation does.
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OperationPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            kind=kind,
            page_size=page_size,
            cursor=cursor,
        )
    ).parsed
