from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.operation import Operation
from ...models.operation_create import OperationCreate
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: OperationCreate,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/operations",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Operation | Problem | None:
    if response.status_code == 202:
        response_202 = Operation.from_dict(response.json())

        return response_202

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

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 431:
        response_431 = Problem.from_dict(response.json())

        return response_431

    if response.status_code == 501:
        response_501 = Problem.from_dict(response.json())

        return response_501

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Operation | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: OperationCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[Operation | Problem]:
    """Start a server-side operation (copy, import from URL, export, delete prefix, connection sync).

    Args:
        idempotency_key (str | Unset):
        body (OperationCreate): Fields by kind:
            COPY `source` and `destination` (`bkt://bucket/key` or `bkt://bucket/prefix/`);
            IMPORT_URL `url` (http/https; private and loopback addresses refused) and `destination`;
            EXPORT `source`, `destination` (an imported bucket, `bkt://…`) and `part_size_mb`;
            DELETE_PREFIX `source` (`bkt://bucket/prefix/`, non-empty, ending in `/`) and `dry_run`;
            CONNECTION_SYNC `connection_id` and `delete_extraneous_files`.
            A `source` or `destination` ending in `/` (or naming only a bucket) is a prefix: COPY
            copies every key under it (a prefix goes to a prefix; a blob copied to a prefix keeps
            its name). Everything is checked before the operation exists (buckets, access, keys);
            a kind this server does not run answers 501.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: OperationCreate,
    idempotency_key: str | Unset = UNSET,
) -> Operation | Problem | None:
    """Start a server-side operation (copy, import from URL, export, delete prefix, connection sync).

    Args:
        idempotency_key (str | Unset):
        body (OperationCreate): Fields by kind:
            COPY `source` and `destination` (`bkt://bucket/key` or `bkt://bucket/prefix/`);
            IMPORT_URL `url` (http/https; private and loopback addresses refused) and `destination`;
            EXPORT `source`, `destination` (an imported bucket, `bkt://…`) and `part_size_mb`;
            DELETE_PREFIX `source` (`bkt://bucket/prefix/`, non-empty, ending in `/`) and `dry_run`;
            CONNECTION_SYNC `connection_id` and `delete_extraneous_files`.
            A `source` or `destination` ending in `/` (or naming only a bucket) is a prefix: COPY
            copies every key under it (a prefix goes to a prefix; a blob copied to a prefix keeps
            its name). Everything is checked before the operation exists (buckets, access, keys);
            a kind this server does not run answers 501.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Operation | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: OperationCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[Operation | Problem]:
    """Start a server-side operation (copy, import from URL, export, delete prefix, connection sync).

    Args:
        idempotency_key (str | Unset):
        body (OperationCreate): Fields by kind:
            COPY `source` and `destination` (`bkt://bucket/key` or `bkt://bucket/prefix/`);
            IMPORT_URL `url` (http/https; private and loopback addresses refused) and `destination`;
            EXPORT `source`, `destination` (an imported bucket, `bkt://…`) and `part_size_mb`;
            DELETE_PREFIX `source` (`bkt://bucket/prefix/`, non-empty, ending in `/`) and `dry_run`;
            CONNECTION_SYNC `connection_id` and `delete_extraneous_files`.
            A `source` or `destination` ending in `/` (or naming only a bucket) is a prefix: COPY
            copies every key under it (a prefix goes to a prefix; a blob copied to a prefix keeps
            its name). Everything is checked before the operation exists (buckets, access, keys);
            a kind this server does not run answers 501.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: OperationCreate,
    idempotency_key: str | Unset = UNSET,
) -> Operation | Problem | None:
    """Start a server-side operation (copy, import from URL, export, delete prefix, connection sync).

    Args:
        idempotency_key (str | Unset):
        body (OperationCreate): Fields by kind:
            COPY `source` and `destination` (`bkt://bucket/key` or `bkt://bucket/prefix/`);
            IMPORT_URL `url` (http/https; private and loopback addresses refused) and `destination`;
            EXPORT `source`, `destination` (an imported bucket, `bkt://…`) and `part_size_mb`;
            DELETE_PREFIX `source` (`bkt://bucket/prefix/`, non-empty, ending in `/`) and `dry_run`;
            CONNECTION_SYNC `connection_id` and `delete_extraneous_files`.
            A `source` or `destination` ending in `/` (or naming only a bucket) is a prefix: COPY
            copies every key under it (a prefix goes to a prefix; a blob copied to a prefix keeps
            its name). Everything is checked before the operation exists (buckets, access, keys);
            a kind this server does not run answers 501.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Operation | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
