from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.connection_diff import ConnectionDiff
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    connection_id: str,
    *,
    plan_limit: int | Unset = 100,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["plan_limit"] = plan_limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/connections/{connection_id}/diff".format(
            connection_id=quote(str(connection_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConnectionDiff | Problem | None:
    if response.status_code == 200:
        response_200 = ConnectionDiff.from_dict(response.json())

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

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ConnectionDiff | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    plan_limit: int | Unset = 100,
) -> Response[ConnectionDiff | Problem]:
    """Compute the differences between the bucket's files and the project's assets.

     A streaming sorted merge of the bucket listing (below the selected folders, filtered by
    the globs) against the connection's assets ordered by key; reads only, writes nothing.
    Counts are complete; the item lists stop after `plan_limit` items each.

    Args:
        connection_id (str):
        plan_limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionDiff | Problem]
    """

    kwargs = _get_kwargs(
        connection_id=connection_id,
        plan_limit=plan_limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    plan_limit: int | Unset = 100,
) -> ConnectionDiff | Problem | None:
    """Compute the differences between the bucket's files and the project's assets.

     A streaming sorted merge of the bucket listing (below the selected folders, filtered by
    the globs) against the connection's assets ordered by key; reads only, writes nothing.
    Counts are complete; the item lists stop after `plan_limit` items each.

    Args:
        connection_id (str):
        plan_limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionDiff | Problem
    """

    return sync_detailed(
        connection_id=connection_id,
        client=client,
        plan_limit=plan_limit,
    ).parsed


async def asyncio_detailed(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    plan_limit: int | Unset = 100,
) -> Response[ConnectionDiff | Problem]:
    """Compute the differences between the bucket's files and the project's assets.

     A streaming sorted merge of the bucket listing (below the selected folders, filtered by
    the globs) against the connection's assets ordered by key; reads only, writes nothing.
    Counts are complete; the item lists stop after `plan_limit` items each.

    Args:
        connection_id (str):
        plan_limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionDiff | Problem]
    """

    kwargs = _get_kwargs(
        connection_id=connection_id,
        plan_limit=plan_limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    plan_limit: int | Unset = 100,
) -> ConnectionDiff | Problem | None:
    """Compute the differences between the bucket's files and the project's assets.

     A streaming sorted merge of the bucket listing (below the selected folders, filtered by
    the globs) against the connection's assets ordered by key; reads only, writes nothing.
    Counts are complete; the item lists stop after `plan_limit` items each.

    Args:
        connection_id (str):
        plan_limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionDiff | Problem
    """

    return (
        await asyncio_detailed(
            connection_id=connection_id,
            client=client,
            plan_limit=plan_limit,
        )
    ).parsed
