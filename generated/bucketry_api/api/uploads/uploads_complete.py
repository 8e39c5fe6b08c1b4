from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.blob import Blob
from ...models.problem import Problem
from ...models.upload_complete import UploadComplete
from ...types import UNSET, Response, Unset


def _get_kwargs(
    bucket: str,
    upload_id: str,
    *,
    body: UploadComplete,
    x_checksum_crc32c: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_checksum_crc32c, Unset):
        headers["X-Checksum-CRC32C"] = x_checksum_crc32c

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/buckets/{bucket}/uploads/{upload_id}/complete".format(
            bucket=quote(str(bucket), safe=""),
            upload_id=quote(str(upload_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Blob | Problem | None:
    if response.status_code == 201:
        response_201 = Blob.from_dict(response.json())

        return response_201

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

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Blob | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    bucket: str,
    upload_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: UploadComplete,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Response[Blob | Problem]:
    """Assemble the listed parts into the blob, atomically.

     Every part but the last must be at least 5 MiB (400, code `part_too_small`); parts are
    named by number and ETag in ascending order (400, code `invalid_part_order` /
    `invalid_part`). The blob appears whole or not at all. Its CRC32C is combined from the
    parts' (no part is read again); `X-Checksum-CRC32C` carries the client's full-object
    value (400, code `checksum_mismatch`, on a difference).

    Args:
        bucket (str):
        upload_id (str):
        x_checksum_crc32c (str | Unset):
        body (UploadComplete):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Blob | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        upload_id=upload_id,
        body=body,
        x_checksum_crc32c=x_checksum_crc32c,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    bucket: str,
    upload_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: UploadComplete,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Blob | Problem | None:
    """Assemble the listed parts into the blob, atomically.

     Every part but the last must be at least 5 MiB (400, code `part_too_small`); parts are
    named by number and ETag in ascending order (400, code `invalid_part_order` /
    `invalid_part`). The blob appears whole or not at all. Its CRC32C is combined from the
    parts' (no part is read again); `X-Checksum-CRC32C` carries the client's full-object
    value (400, code `checksum_mismatch`, on a difference).

    Args:
        bucket (str):
        upload_id (str):
        x_checksum_crc32c (str | Unset):
        body (UploadComplete):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Blob | Problem
    """

    return sync_detailed(
        bucket=bucket,
        upload_id=upload_id,
        client=client,
        body=body,
        x_checksum_crc32c=x_checksum_crc32c,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    upload_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: UploadComplete,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Response[Blob | Problem]:
    """Assemble the listed parts into the blob, atomically.

     Every part but the last must be at least 5 MiB (400, code `part_too_small`); parts are
    named by number and ETag in ascending order (400, code `invalid_part_order` /
    `invalid_part`). The blob appears whole or not at all. Its CRC32C is combined from the
    parts' (no part is read again); `X-Checksum-CRC32C` carries the client's full-object
    value (400, code `checksum_mismatch`, on a difference).

    Args:
        bucket (str):
        upload_id (str):
        x_checksum_crc32c (str | Unset):
        body (UploadComplete):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Blob | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        upload_id=upload_id,
        body=body,
        x_checksum_crc32c=x_checksum_crc32c,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    upload_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: UploadComplete,
    x_checksum_crc32c: str | Unset = UNSET,
) -> Blob | Problem | None:
    """Assemble the listed parts into the blob, atomically.

     Every part but the last must be at least 5 MiB (400, code `part_too_small`); parts are
    named by number and ETag in ascending order (400, code `invalid_part_order` /
    `invalid_part`). The blob appears whole or not at all. Its CRC32C is combined from the
    parts' (no part is read again); `X-Checksum-CRC32C` carries the client's full-object
    value (400, code `checksum_mismatch`, on a difference).

    Args:
        bucket (str):
        upload_id (str):
        x_checksum_crc32c (str | Unset):
        body (UploadComplete):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Blob | Problem
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            upload_id=upload_id,
            client=client,
            body=body,
            x_checksum_crc32c=x_checksum_crc32c,
        )
    ).parsed
