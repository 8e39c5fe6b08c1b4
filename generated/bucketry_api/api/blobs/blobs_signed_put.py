from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.blob import Blob
from ...models.problem import Problem
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    token: str,
    *,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(content_md5, Unset):
        headers["Content-MD5"] = content_md5

    if not isinstance(x_checksum_sha256, Unset):
        headers["X-Checksum-SHA256"] = x_checksum_sha256

    if not isinstance(x_checksum_crc32c, Unset):
        headers["X-Checksum-CRC32C"] = x_checksum_crc32c

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/signed/{token}".format(
            token=quote(str(token), safe=""),
        ),
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Blob | Problem | None:
    if response.status_code == 201:
        response_201 = Blob.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Blob | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    token: str,
    *,
    client: AuthenticatedClient,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Response[Blob | Problem]:
    """Upload through a signed URL (no bearer token).

    Args:
        token (str):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Blob | Problem]
    """

    kwargs = _get_kwargs(
        token=token,
        body=body,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    token: str,
    *,
    client: AuthenticatedClient,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Blob | Problem | None:
    """Upload through a signed URL (no bearer token).

    Args:
        token (str):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Blob | Problem
    """

    return sync_detailed(
        token=token,
        client=client,
        body=body,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
    ).parsed


async def asyncio_detailed(
    token: str,
    *,
    client: AuthenticatedClient,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Response[Blob | Problem]:
    """Upload through a signed URL (no bearer token).

    Args:
        token (str):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Blob | Problem]
    """

    kwargs = _get_kwargs(
        token=token,
        body=body,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    token: str,
    *,
    client: AuthenticatedClient,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Blob | Problem | None:
    """Upload through a signed URL (no bearer token).

    Args:
        token (str):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Blob | Problem
    """

    return (
        await asyncio_detailed(
            token=token,
            client=client,
            body=body,
            content_md5=content_md5,
            x_checksum_sha256=x_checksum_sha256,
            x_checksum_crc32c=x_checksum_crc32c,
        )
    ).parsed
