from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.blob import Blob
from ...models.problem import Problem
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    bucket: str,
    *,
    body: File,
    direct: bool | Unset = UNSET,
    content_type: str | Unset = UNSET,
    key: str,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
    x_blob_metadata: str | Unset = UNSET,
    prefer: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

    if not isinstance(content_md5, Unset):
        headers["Content-MD5"] = content_md5

    if not isinstance(x_checksum_sha256, Unset):
        headers["X-Checksum-SHA256"] = x_checksum_sha256

    if not isinstance(x_checksum_crc32c, Unset):
        headers["X-Checksum-CRC32C"] = x_checksum_crc32c

    if not isinstance(x_blob_metadata, Unset):
        headers["X-Blob-Metadata"] = x_blob_metadata

    if not isinstance(prefer, Unset):
        headers["Prefer"] = prefer

    params: dict[str, Any] = {}

    params["direct"] = direct

    params["content_type"] = content_type

    params["key"] = key

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/buckets/{bucket}/blob".format(
            bucket=quote(str(bucket), safe=""),
        ),
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Blob | Problem | None:
    if response.status_code == 201:
        response_201 = Blob.from_dict(response.json())

        return response_201

    if response.status_code == 307:
        response_307 = cast(Any, None)
        return response_307

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

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Blob | Problem]:
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
    body: File,
    direct: bool | Unset = UNSET,
    content_type: str | Unset = UNSET,
    key: str,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
    x_blob_metadata: str | Unset = UNSET,
    prefer: str | Unset = UNSET,
) -> Response[Any | Blob | Problem]:
    """Create or replace a blob from a streamed body.

     The body is streamed to storage and becomes visible atomically when complete. With
    `Content-MD5` (base64), `X-Checksum-SHA256` (hex) or `X-Checksum-CRC32C` (base64,
    the SDK's default) the server verifies the bytes and stores nothing on a mismatch (400,
    code `checksum_mismatch`). The blob's CRC32C is always computed and stored. `If-None-Match: *`
    creates
    only (412 when the key exists); `If-Match: <etag>` replaces only that version.
    In an imported GCS bucket, keys under `.bucketry-uploads/` hold the server's multipart
    upload parts: they are not listed, and writing (or reading) one is refused (400, code
    `reserved_key`), also through uploads and copies.

    Args:
        bucket (str):
        direct (bool | Unset):
        content_type (str | Unset):
        key (str):
        if_match (str | Unset):
        if_none_match (str | Unset):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        x_blob_metadata (str | Unset):
        prefer (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Blob | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        body=body,
        direct=direct,
        content_type=content_type,
        key=key,
        if_match=if_match,
        if_none_match=if_none_match,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
        x_blob_metadata=x_blob_metadata,
        prefer=prefer,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    direct: bool | Unset = UNSET,
    content_type: str | Unset = UNSET,
    key: str,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
    x_blob_metadata: str | Unset = UNSET,
    prefer: str | Unset = UNSET,
) -> Any | Blob | Problem | None:
    """Create or replace a blob from a streamed body.

     The body is streamed to storage and becomes visible atomically when complete. With
    `Content-MD5` (base64), `X-Checksum-SHA256` (hex) or `X-Checksum-CRC32C` (base64,
    the SDK's default) the server verifies the bytes and stores nothing on a mismatch (400,
    code `checksum_mismatch`). The blob's CRC32C is always computed and stored. `If-None-Match: *`
    creates
    only (412 when the key exists); `If-Match: <etag>` replaces only that version.
    In an imported GCS bucket, keys under `.bucketry-uploads/` hold the server's multipart
    upload parts: they are not listed, and writing (or reading) one is refused (400, code
    `reserved_key`), also through uploads and copies.

    Args:
        bucket (str):
        direct (bool | Unset):
        content_type (str | Unset):
        key (str):
        if_match (str | Unset):
        if_none_match (str | Unset):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        x_blob_metadata (str | Unset):
        prefer (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Blob | Problem
    """

    return sync_detailed(
        bucket=bucket,
        client=client,
        body=body,
        direct=direct,
        content_type=content_type,
        key=key,
        if_match=if_match,
        if_none_match=if_none_match,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
        x_blob_metadata=x_blob_metadata,
        prefer=prefer,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    direct: bool | Unset = UNSET,
    content_type: str | Unset = UNSET,
    key: str,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
    x_blob_metadata: str | Unset = UNSET,
    prefer: str | Unset = UNSET,
) -> Response[Any | Blob | Problem]:
    """Create or replace a blob from a streamed body.

     The body is streamed to storage and becomes visible atomically when complete. With
    `Content-MD5` (base64), `X-Checksum-SHA256` (hex) or `X-Checksum-CRC32C` (base64,
    the SDK's default) the server verifies the bytes and stores nothing on a mismatch (400,
    code `checksum_mismatch`). The blob's CRC32C is always computed and stored. `If-None-Match: *`
    creates
    only (412 when the key exists); `If-Match: <etag>` replaces only that version.
    In an imported GCS bucket, keys under `.bucketry-uploads/` hold the server's multipart
    upload parts: they are not listed, and writing (or reading) one is refused (400, code
    `reserved_key`), also through uploads and copies.

    Args:
        bucket (str):
        direct (bool | Unset):
        content_type (str | Unset):
        key (str):
        if_match (str | Unset):
        if_none_match (str | Unset):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        x_blob_metadata (str | Unset):
        prefer (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Blob | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        body=body,
        direct=direct,
        content_type=content_type,
        key=key,
        if_match=if_match,
        if_none_match=if_none_match,
        content_md5=content_md5,
        x_checksum_sha256=x_checksum_sha256,
        x_checksum_crc32c=x_checksum_crc32c,
        x_blob_metadata=x_blob_metadata,
        prefer=prefer,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    direct: bool | Unset = UNSET,
    content_type: str | Unset = UNSET,
    key: str,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    content_md5: str | Unset = UNSET,
    x_checksum_sha256: str | Unset = UNSET,
    x_checksum_crc32c: str | Unset = UNSET,
    x_blob_metadata: str | Unset = UNSET,
    prefer: str | Unset = UNSET,
) -> Any | Blob | Problem | None:
    """Create or replace a blob from a streamed body.

     The body is streamed to storage and becomes visible atomically when complete. With
    `Content-MD5` (base64), `X-Checksum-SHA256` (hex) or `X-Checksum-CRC32C` (base64,
    the SDK's default) the server verifies the bytes and stores nothing on a mismatch (400,
    code `checksum_mismatch`). The blob's CRC32C is always computed and stored. `If-None-Match: *`
    creates
    only (412 when the key exists); `If-Match: <etag>` replaces only that version.
    In an imported GCS bucket, keys under `.bucketry-uploads/` hold the server's multipart
    upload parts: they are not listed, and writing (or reading) one is refused (400, code
    `reserved_key`), also through uploads and copies.

    Args:
        bucket (str):
        direct (bool | Unset):
        content_type (str | Unset):
        key (str):
        if_match (str | Unset):
        if_none_match (str | Unset):
        content_md5 (str | Unset):
        x_checksum_sha256 (str | Unset):
        x_checksum_crc32c (str | Unset):
        x_blob_metadata (str | Unset):
        prefer (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Blob | Problem
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            client=client,
            body=body,
            direct=direct,
            content_type=content_type,
            key=key,
            if_match=if_match,
            if_none_match=if_none_match,
            content_md5=content_md5,
            x_checksum_sha256=x_checksum_sha256,
            x_checksum_crc32c=x_checksum_crc32c,
            x_blob_metadata=x_blob_metadata,
            prefer=prefer,
        )
    ).parsed
