from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.connection_sync_request import ConnectionSyncRequest
from ...models.connection_sync_result import ConnectionSyncResult
from ...models.operation import Operation
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    connection_id: str,
    *,
    body: ConnectionSyncRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/connections/{connection_id}/sync".format(
            connection_id=quote(str(connection_id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConnectionSyncResult | Operation | Problem | None:
    if response.status_code == 200:
        response_200 = ConnectionSyncResult.from_dict(response.json())

        return response_200

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
) -> Response[ConnectionSyncResult | Operation | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: ConnectionSyncRequest | Unset = UNSET,
) -> Response[ConnectionSyncResult | Operation | Problem]:
    """Synchronise the project with the bucket (a dry run returns the plan, changes nothing).

     Creates an asset (content `bkt://bucket/key`, external_id = key) for each new file, in
    batches, and with `delete_extraneous_files` deletes the connection's assets whose files
    are gone. Idempotent: a re-sync of an unchanged bucket writes nothing but the
    connection's `last_checked`. A dry run writes nothing at all (not even `last_checked`).
    Keys that are already the external id of another asset of the project (not of this
    connection) are left alone and counted as `conflicting`. A provider failure (502/504, or
    502 `listing_out_of_order` for a listing not in key order) stops the sync; batches
    already written stay and the next sync goes on from there.

    Args:
        connection_id (str):
        body (ConnectionSyncRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionSyncResult | Operation | Problem]
    """

    kwargs = _get_kwargs(
        connection_id=connection_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: ConnectionSyncRequest | Unset = UNSET,
) -> ConnectionSyncResult | Operation | Problem | None:
    """Synchronise the project with the bucket (a dry run returns the plan, changes nothing).

     Creates an asset (content `bkt://bucket/key`, external_id = key) for each new file, in
    batches, and with `delete_extraneous_files` deletes the connection's assets whose files
    are gone. Idempotent: a re-sync of an unchanged bucket writes nothing but the
    connection's `last_checked`. A dry run writes nothing at all (not even `last_checked`).
    Keys that are already the external id of another asset of the project (not of this
    connection) are left alone and counted as `conflicting`. A provider failure (502/504, or
    502 `listing_out_of_order` for a listing not in key order) stops the sync; batches
    already written stay and the next sync goes on from there.

    Args:
        connection_id (str):
        body (ConnectionSyncRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionSyncResult | Operation | Problem
    """

    return sync_detailed(
        connection_id=connection_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: ConnectionSyncRequest | Unset = UNSET,
) -> Response[ConnectionSyncResult | Operation | Problem]:
    """Synchronise the project with the bucket (a dry run returns the plan, changes nothing).

     Creates an asset (content `bkt://bucket/key`, external_id = key) for each new file, in
    batches, and with `delete_extraneous_files` deletes the connection's assets whose files
    are gone. Idempotent: a re-sync of an unchanged bucket writes nothing but the
    connection's `last_checked`. A dry run writes nothing at all (not even `last_checked`).
    Keys that are already the external id of another asset of the project (not of this
    connection) are left alone and counted as `conflicting`. A provider failure (502/504, or
    502 `listing_out_of_order` for a listing not in key order) stops the sync; batches
    already written stay and the next sync goes on from there.

    Args:
        connection_id (str):
        body (ConnectionSyncRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionSyncResult | Operation | Problem]
    """

    kwargs = _get_kwargs(
        connection_id=connection_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    connection_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: ConnectionSyncRequest | Unset = UNSET,
) -> ConnectionSyncResult | Operation | Problem | None:
    """Synchronise the project with the bucket (a dry run returns the plan, changes nothing).

     Creates an asset (content `bkt://bucket/key`, external_id = key) for each new file, in
    batches, and with `delete_extraneous_files` deletes the connection's assets whose files
    are gone. Idempotent: a re-sync of an unchanged bucket writes nothing but the
    connection's `last_checked`. A dry run writes nothing at all (not even `last_checked`).
    Keys that are already the external id of another asset of the project (not of this
    connection) are left alone and counted as `conflicting`. A provider failure (502/504, or
    502 `listing_out_of_order` for a listing not in key order) stops the sync; batches
    already written stay and the next sync goes on from there.

    Args:
        connection_id (str):
        body (ConnectionSyncRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionSyncResult | Operation | Problem
    """

    return (
        await asyncio_detailed(
            connection_id=connection_id,
            client=client,
            body=body,
        )
    ).parsed
