from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.blob_order import BlobOrder
from ...models.blob_page import BlobPage
from ...models.problem import Problem
from ...models.sort_direction import SortDirection
from ...types import UNSET, Response, Unset


def _get_kwargs(
    bucket: str,
    *,
    prefix: str | Unset = "",
    delimiter: str | Unset = UNSET,
    recursive: bool | Unset = True,
    glob: str | Unset = UNSET,
    order_by: BlobOrder | Unset = UNSET,
    order: SortDirection | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["prefix"] = prefix

    params["delimiter"] = delimiter

    params["recursive"] = recursive

    params["glob"] = glob

    json_order_by: str | Unset = UNSET
    if not isinstance(order_by, Unset):
        json_order_by = order_by

    params["order_by"] = json_order_by

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order

    params["order"] = json_order

    params["page_size"] = page_size

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/buckets/{bucket}/blobs".format(
            bucket=quote(str(bucket), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> BlobPage | Problem | None:
    if response.status_code == 200:
        response_200 = BlobPage.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[BlobPage | Problem]:
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
    delimiter: str | Unset = UNSET,
    recursive: bool | Unset = True,
    glob: str | Unset = UNSET,
    order_by: BlobOrder | Unset = UNSET,
    order: SortDirection | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[BlobPage | Problem]:
    """List blobs by prefix, with folders, glob and ordering.

     - `delimiter` (usually `/`) groups keys below the next delimiter into `prefixes`
      ("folders"); `recursive=false` is a shorthand for `delimiter=/`.
    - `glob` matches whole keys: `*` and `?` stay within one path segment, `**` spans any
      number of segments (`raw/**/*.png`).
    - `order_by` sorts by `name` (default, ascending key order), `size` or `created_at`;
      `order=desc` reverses. With a delimiter, folders sort among the blobs by their total
      size or latest creation time (not with a glob; a managed bucket needs at most 200,000
      blobs below the prefix, else 400 `sort_too_large`). On an imported bucket
      (providers list by key only) any other order than ascending names lists the whole
      range for each page: past the server's limit of listed objects it answers 400
      `sort_too_large`.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        delimiter (str | Unset):
        recursive (bool | Unset):  Default: True.
        glob (str | Unset):
        order_by (BlobOrder | Unset):
        order (SortDirection | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BlobPage | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        prefix=prefix,
        delimiter=delimiter,
        recursive=recursive,
        glob=glob,
        order_by=order_by,
        order=order,
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
    client: AuthenticatedClient,
    prefix: str | Unset = "",
    delimiter: str | Unset = UNSET,
    recursive: bool | Unset = True,
    glob: str | Unset = UNSET,
    order_by: BlobOrder | Unset = UNSET,
    order: SortDirection | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> BlobPage | Problem | None:
    """List blobs by prefix, with folders, glob and ordering.

     - `delimiter` (usually `/`) groups keys below the next delimiter into `prefixes`
      ("folders"); `recursive=false` is a shorthand for `delimiter=/`.
    - `glob` matches whole keys: `*` and `?` stay within one path segment, `**` spans any
      number of segments (`raw/**/*.png`).
    - `order_by` sorts by `name` (default, ascending key order), `size` or `created_at`;
      `order=desc` reverses. With a delimiter, folders sort among the blobs by their total
      size or latest creation time (not with a glob; a managed bucket needs at most 200,000
      blobs below the prefix, else 400 `sort_too_large`). On an imported bucket
      (providers list by key only) any other order than ascending names lists the whole
      range for each page: past the server's limit of listed objects it answers 400
      `sort_too_large`.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        delimiter (str | Unset):
        recursive (bool | Unset):  Default: True.
        glob (str | Unset):
        order_by (BlobOrder | Unset):
        order (SortDirection | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BlobPage | Problem
    """

    return sync_detailed(
        bucket=bucket,
        client=client,
        prefix=prefix,
        delimiter=delimiter,
        recursive=recursive,
        glob=glob,
        order_by=order_by,
        order=order,
        page_size=page_size,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    bucket: str,
    *,
    client: AuthenticatedClient,
    prefix: str | Unset = "",
    delimiter: str | Unset = UNSET,
    recursive: bool | Unset = True,
    glob: str | Unset = UNSET,
    order_by: BlobOrder | Unset = UNSET,
    order: SortDirection | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> Response[BlobPage | Problem]:
    """List blobs by prefix, with folders, glob and ordering.

     - `delimiter` (usually `/`) groups keys below the next delimiter into `prefixes`
      ("folders"); `recursive=false` is a shorthand for `delimiter=/`.
    - `glob` matches whole keys: `*` and `?` stay within one path segment, `**` spans any
      number of segments (`raw/**/*.png`).
    - `order_by` sorts by `name` (default, ascending key order), `size` or `created_at`;
      `order=desc` reverses. With a delimiter, folders sort among the blobs by their total
      size or latest creation time (not with a glob; a managed bucket needs at most 200,000
      blobs below the prefix, else 400 `sort_too_large`). On an imported bucket
      (providers list by key only) any other order than ascending names lists the whole
      range for each page: past the server's limit of listed objects it answers 400
      `sort_too_large`.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        delimiter (str | Unset):
        recursive (bool | Unset):  Default: True.
        glob (str | Unset):
        order_by (BlobOrder | Unset):
        order (SortDirection | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BlobPage | Problem]
    """

    kwargs = _get_kwargs(
        bucket=bucket,
        prefix=prefix,
        delimiter=delimiter,
        recursive=recursive,
        glob=glob,
        order_by=order_by,
        order=order,
        page_size=page_size,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    bucket: str,
    *,
    client: AuthenticatedClient,
    prefix: str | Unset = "",
    delimiter: str | Unset = UNSET,
    recursive: bool | Unset = True,
    glob: str | Unset = UNSET,
    order_by: BlobOrder | Unset = UNSET,
    order: SortDirection | Unset = UNSET,
    page_size: int | Unset = 100,
    cursor: str | Unset = UNSET,
) -> BlobPage | Problem | None:
    """List blobs by prefix, with folders, glob and ordering.

     - `delimiter` (usually `/`) groups keys below the next delimiter into `prefixes`
      ("folders"); `recursive=false` is a shorthand for `delimiter=/`.
    - `glob` matches whole keys: `*` and `?` stay within one path segment, `**` spans any
      number of segments (`raw/**/*.png`).
    - `order_by` sorts by `name` (default, ascending key order), `size` or `created_at`;
      `order=desc` reverses. With a delimiter, folders sort among the blobs by their total
      size or latest creation time (not with a glob; a managed bucket needs at most 200,000
      blobs below the prefix, else 400 `sort_too_large`). On an imported bucket
      (providers list by key only) any other order than ascending names lists the whole
      range for each page: past the server's limit of listed objects it answers 400
      `sort_too_large`.

    Args:
        bucket (str):
        prefix (str | Unset):  Default: ''.
        delimiter (str | Unset):
        recursive (bool | Unset):  Default: True.
        glob (str | Unset):
        order_by (BlobOrder | Unset):
        order (SortDirection | Unset):
        page_size (int | Unset):  Default: 100.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BlobPage | Problem
    """

    return (
        await asyncio_detailed(
            bucket=bucket,
            client=client,
            prefix=prefix,
            delimiter=delimiter,
            recursive=recursive,
            glob=glob,
            order_by=order_by,
            order=order,
            page_size=page_size,
            cursor=cursor,
        )
    ).parsed
