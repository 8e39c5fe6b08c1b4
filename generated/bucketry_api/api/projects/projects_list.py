from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.project_page import ProjectPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    search: str | Unset = UNSET,
    org: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_organization, Unset):
        headers["X-Organization"] = x_organization

    params: dict[str, Any] = {}

    params["search"] = search

    params["org"] = org

    params["page_size"] = page_size

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/projects",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | ProjectPage | None:
    if response.status_code == 200:
        response_200 = ProjectPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
) -> Response[Problem | ProjectPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    search: str | Unset = UNSET,
    org: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Response[Problem | ProjectPage]:
    """List projects the caller can see.

    Args:
        search (str | Unset):
        org (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ProjectPage]
    """

    kwargs = _get_kwargs(
        search=search,
        org=org,
        page_size=page_size,
        cursor=cursor,
        x_organization=x_organization,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    search: str | Unset = UNSET,
    org: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Problem | ProjectPage | None:
    """List projects the caller can see.

    Args:
        search (str | Unset):
        org (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ProjectPage
    """

    return sync_detailed(
        client=client,
        search=search,
        org=org,
        page_size=page_size,
        cursor=cursor,
        x_organization=x_organization,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    search: str | Unset = UNSET,
    org: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Response[Problem | ProjectPage]:
    """List projects the caller can see.

    Args:
        search (str | Unset):
        org (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ProjectPage]
    """

    kwargs = _get_kwargs(
        search=search,
        org=org,
        page_size=page_size,
        cursor=cursor,
        x_organization=x_organization,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    search: str | Unset = UNSET,
    org: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Problem | ProjectPage | None:
    """List projects the caller can see.

    Args:
        search (str | Unset):
        org (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ProjectPage
    """

    return (
        await asyncio_detailed(
            client=client,
            search=search,
            org=org,
            page_size=page_size,
            cursor=cursor,
            x_organization=x_organization,
        )
    ).parsed
