from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.blob_batch_result import BlobBatchResult
from ...models.problem import Problem
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    bucket: str,
    *,
    body: File,
    prefix: str | Unset = "",
    overwrite: bool | Unset = True,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["prefix"] = prefix

    params["overwrite"] = overwrite

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/buckets/{bucket}/blobs/batch".format(
            bucket=quote(str(bucket), safe=""),
        ),
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/x-tar"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BlobBatchResult | Problem | None:
    if response.status_code == 200:
        response_200 = BlobBatchResult.from_dict(response.json())

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
) -> Response[BlobBatchResult | Problem]:
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
    prefix: str | Unset = "",
    overwrite: bool | Unset = True,
) -> Response[BlobBatchResult | Problem]:
    """Store many small blobs from one tar stream (one request, one transaction).

     The body is a POSIX (ustar/pax) tar stream of regular files; each member becomes the blob
    `prefix + member name`. Per-member PAX records (optional): `BUCKETRY.sha256` (hex,
    verified: a mismatch fails that member and stores nothing for it), `BUCKETRY.content_type`,
    `BUCKETRY.metadata` (a JSON object of strings). Directories are skipped; links, devices
    and other member types fail with `unsupported_member`. Each member is reported on its own;
    the stored ones become visible together when the batch commits. A corrupt or truncated
    stream is a 400 (`invalid_tar`) and stores nothing; more than 10,000 members or 1 GiB is
    a 413 and stores nothing. A member over 16 MiB fails on its own (`too_large`). Meant for many small
    files, where one
    request per file costs more than the bytes; large files go through `blobs_put` or
    multipart uploads.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        overwrite (bool | Unset):  Default: True.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BlobBatchResult | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        body=body,
        prefix=prefix,
        overwrite=overwrite,
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
    prefix: str | Unset = "",
    overwrite: bool | Unset = True,
) -> BlobBatchResult | Problem | None:
    """Store many small blobs from one tar stream (one request, one transaction).

     The body is a POSIX (ustar/pax) tar stream of regular files; each member becomes the blob
    `prefix + member name`. Per-member PAX records (optional): `BUCKETRY.sha256` (hex,
    verified: a mismatch fails that member and stores nothing for it), `BUCKETRY.content_type`,
    `BUCKETRY.metadata` (a JSON object of strings). Directories are skipped; links, devices
    and other member types fail with `unsupported_member`. Each member is reported on its own;
    the stored ones become visible together when the batch commits. A corrupt or truncated
    stream is a 400 (`invalid_tar`) and stores nothing; more than 10,000 members or 1 GiB is
    a 413 and stores nothing. A member over 16 MiB fails on its own (`too_large`). Meant for many small
    files, where one
    request per file costs more than the bytes; large files go through `blobs_put` or
    multipart uploads.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        overwrite (bool | Unset):  Default: True.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BlobBatchResult | Problem
    """

    return sync_detailed(
        bucket=bucket,
        client=client,
        body=body,
        prefix=prefix,
        overwrite=overwrite,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    prefix: str | Unset = "",
    overwrite: bool | Unset = True,
) -> Response[BlobBatchResult | Problem]:
    """Store many small blobs from one tar stream (one request, one transaction).

     The body is a POSIX (ustar/pax) tar stream of regular files; each member becomes the blob
    `prefix + member name`. Per-member PAX records (optional): `BUCKETRY.sha256` (hex,
    verified: a mismatch fails that member and stores nothing for it), `BUCKETRY.content_type`,
    `BUCKETRY.metadata` (a JSON object of strings). Directories are skipped; links, devices
    and other member types fail with `unsupported_member`. Each member is reported on its own;
    the stored ones become visible together when the batch commits. A corrupt or truncated
    stream is a 400 (`invalid_tar`) and stores nothing; more than 10,000 members or 1 GiB is
    a 413 and stores nothing. A member over 16 MiB fails on its own (`too_large`). Meant for many small
    files, where one
    request per file costs more than the bytes; large files go through `blobs_put` or
    multipart uploads.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        overwrite (bool | Unset):  Default: True.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BlobBatchResult | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        body=body,
        prefix=prefix,
        overwrite=overwrite,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    prefix: str | Unset = "",
    overwrite: bool | Unset = True,
) -> BlobBatchResult | Problem | None:
    """Store many small blobs from one tar stream (one request, one transaction).

     The body is a POSIX (ustar/pax) tar stream of regular files; each member becomes the blob
    `prefix + member name`. Per-member PAX records (optional): `BUCKETRY.sha256` (hex,
    verified: a mismatch fails that member and stores nothing for it), `BUCKETRY.content_type`,
    `BUCKETRY.metadata` (a JSON object of strings). Directories are skipped; links, devices
    and other member types fail with `unsupported_member`. Each member is reported on its own;
    the stored ones become visible together when the batch commits. A corrupt or truncated
    stream is a 400 (`invalid_tar`) and stores nothing; more than 10,000 members or 1 GiB is
    a 413 and stores nothing. A member over 16 MiB fails on its own (`too_large`). Meant for many small
    files, where one
    request per file costs more than the bytes; large files go through `blobs_put` or
    multipart uploads.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        overwrite (bool | Unset):  Default: True.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BlobBatchResult | Problem
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            client=client,
            body=body,
            prefix=prefix,
            overwrite=overwrite,
        )
    ).parsed
