from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.zip_range import ZipRange
from ...types import UNSET, Response


def _get_kwargs(
    bucket: str,
    *,
    member: str,
    key: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["member"] = member

    params["key"] = key

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/buckets/{bucket}/blob/zip/range".format(
            bucket=quote(str(bucket), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | ZipRange | None:
    if response.status_code == 200:
        response_200 = ZipRange.from_dict(response.json())

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

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 431:
        response_431 = Problem.from_dict(response.json())

        return response_431

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | ZipRange]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient,
    member: str,
    key: str,
) -> Response[Problem | ZipRange]:
    """The byte range of one member's (possibly compressed) data inside a zip blob.

    Args:
        bucket (str):
        member (str):
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ZipRange]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        member=member,
        key=key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    bucket: str,
    *,
    client: AuthenticatedClient,
    member: str,
    key: str,
) -> Problem | ZipRange | None:
    """The byte range of one member's (possibly compressed) data inside a zip blob.

    Args:
        bucket (str):
        member (str):
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ZipRange
    """

    return sync_detailed(
        bucket=bucket,
        client=client,
        member=member,
        key=key,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient,
    member: str,
    key: str,
) -> Response[Problem | ZipRange]:
    """The byte range of one member's (possibly compressed) data inside a zip blob.

    Args:
        bucket (str):
        member (str):
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ZipRange]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        member=member,
        key=key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    *,
    client: AuthenticatedClient,
    member: str,
    key: str,
) -> Problem | ZipRange | None:
    """The byte range of one member's (possibly compressed) data inside a zip blob.

    Args:
        bucket (str):
        member (str):
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ZipRange
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            client=client,
            member=member,
            key=key,
        )
    ).parsed
