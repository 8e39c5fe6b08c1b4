from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.upload_part import UploadPart
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    bucket: str,
    upload_id: str,
    part_number: int,
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
        "url": "/buckets/{bucket}/uploads/{upload_id}/parts/{part_number}".format(
            bucket=quote(str(bucket), safe=""),
            upload_id=quote(str(upload_id), safe=""),
            part_number=quote(str(part_number), safe=""),
        ),
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | UploadPart | None:
    if response.status_code == 200:
        response_200 = UploadPart.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

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
) -> Response[Problem | UploadPart]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    bucket: str,
    upload_id: str,
    part_number: int,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Response[Problem | UploadPart]:
    """Upload (or replace) one part.

    Args:
        bucket (str):
        upload_id (str):
        part_number (int):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UploadPart]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        upload_id=upload_id,
        part_number=part_number,
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
    bucket: str,
    upload_id: str,
    part_number: int,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Problem | UploadPart | None:
    """Upload (or replace) one part.

    Args:
        bucket (str):
        upload_id (str):
        part_number (int):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UploadPart
    """

    return sync_detailed(
        bucket=bucket,
        upload_id=upload_id,
        part_number=part_number,
        client=client,
        body=body,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    upload_id: str,
    part_number: int,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Response[Problem | UploadPart]:
    """Upload (or replace) one part.

    Args:
        bucket (str):
        upload_id (str):
        part_number (int):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UploadPart]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        upload_id=upload_id,
        part_number=part_number,
        body=body,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    upload_id: str,
    part_number: int,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Problem | UploadPart | None:
    """Upload (or replace) one part.

    Args:
        bucket (str):
        upload_id (str):
        part_number (int):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UploadPart
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            upload_id=upload_id,
            part_number=part_number,
            client=client,
            body=body,
            content_md5=content_md5,
            x_checksum_sha256=x_checksum_sha256,
            x_checksum_crc32c=x_checksum_crc32c,
        )
    ).parsed
