from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.upload_page import UploadPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    bucket: str,
    *,
    key: str | Unset = UNSET,
    prefix: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["key"] = key

    params["prefix"] = prefix

    params["page_size"] = page_size

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/buckets/{bucket}/uploads".format(
            bucket=quote(str(bucket), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | UploadPage | None:
    if response.status_code == 200:
        response_200 = UploadPage.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | UploadPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    key: str | Unset = UNSET,
    prefix: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[Problem | UploadPage]:
    """List open multipart uploads (to find one to resume).

    Args:
        bucket (str):
        key (str | Unset):
        prefix (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UploadPage]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        key=key,
        prefix=prefix,
        page_size=page_size,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    key: str | Unset = UNSET,
    prefix: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Problem | UploadPage | None:
    """List open multipart uploads (to find one to resume).

    Args:
        bucket (str):
        key (str | Unset):
        prefix (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UploadPage
    """

    return sync_detailed(
        bucket=bucket,
        client=client,
        key=key,
        prefix=prefix,
        page_size=page_size,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    key: str | Unset = UNSET,
    prefix: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[Problem | UploadPage]:
    """List open multipart uploads (to find one to resume).

    Args:
        bucket (str):
        key (str | Unset):
        prefix (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UploadPage]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        key=key,
        prefix=prefix,
        page_size=page_size,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    key: str | Unset = UNSET,
    prefix: str | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Problem | UploadPage | None:
    """List open multipart uploads (to find one to resume).

    Args:
        bucket (str):
        key (str | Unset):
        prefix (str | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UploadPage
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            client=client,
            key=key,
            prefix=prefix,
            page_size=page_size,
            cursor=cursor,
        )
    ).parsed
