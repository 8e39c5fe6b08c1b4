from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bucket_content import BucketContent
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    bucket: str,
    *,
    prefix: str | Unset = "",
    next_token: str | Unset = UNSET,
    page_size: int | Unset = 100,
    manifest_path: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["prefix"] = prefix

    params["next_token"] = next_token

    params["page_size"] = page_size

    params["manifest_path"] = manifest_path

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/buckets/{bucket}/content".format(
            bucket=quote(str(bucket), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BucketContent | Problem | None:
    if response.status_code == 200:
        response_200 = BucketContent.from_dict(response.json())

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
) -> Response[BucketContent | Problem]:
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
    prefix: str | Unset = "",
    next_token: str | Unset = UNSET,
    page_size: int | Unset = 100,
    manifest_path: str | Unset = UNSET,
) -> Response[BucketContent | Problem]:
    """Browse one level of the bucket like a folder tree (files and sub-folders).

     With `manifest_path`, entries come from a manifest file stored in the bucket (one key per
    line, or a JSON Lines manifest with a `name` field) instead of a provider listing.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        next_token (str | Unset):
        page_size (int | Unset):  Default: 100.
        manifest_path (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BucketContent | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        prefix=prefix,
        next_token=next_token,
        page_size=page_size,
        manifest_path=manifest_path,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    bucket: str,
    *,
    client: AuthenticatedClient,
    prefix: str | Unset = "",
    next_token: str | Unset = UNSET,
    page_size: int | Unset = 100,
    manifest_path: str | Unset = UNSET,
) -> BucketContent | Problem | None:
    """Browse one level of the bucket like a folder tree (files and sub-folders).

     With `manifest_path`, entries come from a manifest file stored in the bucket (one key per
    line, or a JSON Lines manifest with a `name` field) instead of a provider listing.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        next_token (str | Unset):
        page_size (int | Unset):  Default: 100.
        manifest_path (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BucketContent | Problem
    """

    return sync_detailed(
        bucket=bucket,
        client=client,
        prefix=prefix,
        next_token=next_token,
        page_size=page_size,
        manifest_path=manifest_path,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient,
    prefix: str | Unset = "",
    next_token: str | Unset = UNSET,
    page_size: int | Unset = 100,
    manifest_path: str | Unset = UNSET,
) -> Response[BucketContent | Problem]:
    """Browse one level of the bucket like a folder tree (files and sub-folders).

     With `manifest_path`, entries come from a manifest file stored in the bucket (one key per
    line, or a JSON Lines manifest with a `name` field) instead of a provider listing.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        next_token (str | Unset):
        page_size (int | Unset):  Default: 100.
        manifest_path (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BucketContent | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        prefix=prefix,
        next_token=next_token,
        page_size=page_size,
        manifest_path=manifest_path,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    *,
    client: AuthenticatedClient,
    prefix: str | Unset = "",
    next_token: str | Unset = UNSET,
    page_size: int | Unset = 100,
    manifest_path: str | Unset = UNSET,
) -> BucketContent | Problem | None:
    """Browse one level of the bucket like a folder tree (files and sub-folders).

     With `manifest_path`, entries come from a manifest file stored in the bucket (one key per
    line, or a JSON Lines manifest with a `name` field) instead of a provider listing.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        next_token (str | Unset):
        page_size (int | Unset):  Default: 100.
        manifest_path (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BucketContent | Problem
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            client=client,
            prefix=prefix,
            next_token=next_token,
            page_size=page_size,
            manifest_path=manifest_path,
        )
    ).parsed
