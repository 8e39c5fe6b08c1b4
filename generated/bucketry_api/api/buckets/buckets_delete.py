from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bucket_delete_result import BucketDeleteResult
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    bucket: str,
    *,
    force: bool | Unset = False,
    dry_run: bool | Unset = False,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["force"] = force

    params["dry_run"] = dry_run

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/buckets/{bucket}".format(
            bucket=quote(str(bucket), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BucketDeleteResult | Problem | None:
    if response.status_code == 200:
        response_200 = BucketDeleteResult.from_dict(response.json())

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
) -> Response[BucketDeleteResult | Problem]:
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
    force: bool | Unset = False,
    dry_run: bool | Unset = False,
) -> Response[BucketDeleteResult | Problem]:
    """Delete a bucket. A managed bucket must be empty unless `force` is set.

     Deleting an imported bucket only forgets the registration; provider data is untouched.
    `force=true` on a managed bucket deletes its blobs too. The answer comes at once,
    whatever the number of blobs: from then on the bucket is gone for everyone (no read,
    listing, write, signed URL, temporary credential or project connection reaches it; it
    no longer counts in `/usage`; another process of a multi-process server may still
    answer reads it had authorized a moment before for up to 2 seconds, the bound of its
    read cache) and its name is free for a new, empty bucket. Its blobs
    and their stored bytes are then purged in the background, in batches; a server stopped
    meanwhile resumes the purge when it starts again. `dry_run=true` reports what would be
    deleted and changes nothing.

    Args:
        bucket (str):
        force (bool | Unset):  Default: False.
        dry_run (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BucketDeleteResult | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        force=force,
        dry_run=dry_run,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    force: bool | Unset = False,
    dry_run: bool | Unset = False,
) -> BucketDeleteResult | Problem | None:
    """Delete a bucket. A managed bucket must be empty unless `force` is set.

     Deleting an imported bucket only forgets the registration; provider data is untouched.
    `force=true` on a managed bucket deletes its blobs too. The answer comes at once,
    whatever the number of blobs: from then on the bucket is gone for everyone (no read,
    listing, write, signed URL, temporary credential or project connection reaches it; it
    no longer counts in `/usage`; another process of a multi-process server may still
    answer reads it had authorized a moment before for up to 2 seconds, the bound of its
    read cache) and its name is free for a new, empty bucket. Its blobs
    and their stored bytes are then purged in the background, in batches; a server stopped
    meanwhile resumes the purge when it starts again. `dry_run=true` reports what would be
    deleted and changes nothing.

    Args:
        bucket (str):
        force (bool | Unset):  Default: False.
        dry_run (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BucketDeleteResult | Problem
    """

    return sync_detailed(
        bucket=bucket,
        client=client,
        force=force,
        dry_run=dry_run,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    force: bool | Unset = False,
    dry_run: bool | Unset = False,
) -> Response[BucketDeleteResult | Problem]:
    """Delete a bucket. A managed bucket must be empty unless `force` is set.

     Deleting an imported bucket only forgets the registration; provider data is untouched.
    `force=true` on a managed bucket deletes its blobs too. The answer comes at once,
    whatever the number of blobs: from then on the bucket is gone for everyone (no read,
    listing, write, signed URL, temporary credential or project connection reaches it; it
    no longer counts in `/usage`; another process of a multi-process server may still
    answer reads it had authorized a moment before for up to 2 seconds, the bound of its
    read cache) and its name is free for a new, empty bucket. Its blobs
    and their stored bytes are then purged in the background, in batches; a server stopped
    meanwhile resumes the purge when it starts again. `dry_run=true` reports what would be
    deleted and changes nothing.

    Args:
        bucket (str):
        force (bool | Unset):  Default: False.
        dry_run (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BucketDeleteResult | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        force=force,
        dry_run=dry_run,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    *,
    client: AuthenticatedClient | Client,
    force: bool | Unset = False,
    dry_run: bool | Unset = False,
) -> BucketDeleteResult | Problem | None:
    """Delete a bucket. A managed bucket must be empty unless `force` is set.

     Deleting an imported bucket only forgets the registration; provider data is untouched.
    `force=true` on a managed bucket deletes its blobs too. The answer comes at once,
    whatever the number of blobs: from then on the bucket is gone for everyone (no read,
    listing, write, signed URL, temporary credential or project connection reaches it; it
    no longer counts in `/usage`; another process of a multi-process server may still
    answer reads it had authorized a moment before for up to 2 seconds, the bound of its
    read cache) and its name is free for a new, empty bucket. Its blobs
    and their stored bytes are then purged in the background, in batches; a server stopped
    meanwhile resumes the purge when it starts again. `dry_run=true` reports what would be
    deleted and changes nothing.

    Args:
        bucket (str):
        force (bool | Unset):  Default: False.
        dry_run (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BucketDeleteResult | Problem
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            client=client,
            force=force,
            dry_run=dry_run,
        )
    ).parsed
