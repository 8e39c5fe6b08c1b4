from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bucket_status import BucketStatus
from ...models.count import Count
from ...models.credentials_type import CredentialsType
from ...models.problem import Problem
from ...models.provider import Provider
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    name: str | Unset = UNSET,
    owner: str | Unset = UNSET,
    org: str | Unset = UNSET,
    provider: Provider | Unset = UNSET,
    status: BucketStatus | Unset = UNSET,
    imported: bool | Unset = UNSET,
    resource: str | Unset = UNSET,
    credentials_type: CredentialsType | Unset = UNSET,
    search: str | Unset = UNSET,
    filter_: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_organization, Unset):
        headers["X-Organization"] = x_organization

    params: dict[str, Any] = {}

    params["name"] = name

    params["owner"] = owner

    params["org"] = org

    json_provider: str | Unset = UNSET
    if not isinstance(provider, Unset):
        json_provider = provider

    params["provider"] = json_provider

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status

    params["status"] = json_status

    params["imported"] = imported

    params["resource"] = resource

    json_credentials_type: str | Unset = UNSET
    if not isinstance(credentials_type, Unset):
        json_credentials_type = credentials_type

    params["credentials_type"] = json_credentials_type

    params["search"] = search

    params["filter"] = filter_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/buckets/count",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Count | Problem | None:
    if response.status_code == 200:
        response_200 = Count.from_dict(response.json())

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

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())

        return response_408

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Count | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    name: str | Unset = UNSET,
    owner: str | Unset = UNSET,
    org: str | Unset = UNSET,
    provider: Provider | Unset = UNSET,
    status: BucketStatus | Unset = UNSET,
    imported: bool | Unset = UNSET,
    resource: str | Unset = UNSET,
    credentials_type: CredentialsType | Unset = UNSET,
    search: str | Unset = UNSET,
    filter_: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Response[Count | Problem]:
    """Count the buckets matching the same filters as the listing.

    Args:
        name (str | Unset):
        owner (str | Unset):
        org (str | Unset):
        provider (Provider | Unset): Where a bucket's data lives. MANAGED is the service's own
            storage; the others are
            imported external buckets. FILESYSTEM is a folder on the server host (administrators
            only).
        status (BucketStatus | Unset): Result of the last check against the provider.
        imported (bool | Unset):
        resource (str | Unset):
        credentials_type (CredentialsType | Unset): The kind of credentials stored with an
            imported bucket (never the secret itself):
            access key pair (S3), account name + key or connection string or SAS token (Azure),
            service account key (GCS), or none (public GCS, a server folder).
        search (str | Unset):
        filter_ (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Count | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        owner=owner,
        org=org,
        provider=provider,
        status=status,
        imported=imported,
        resource=resource,
        credentials_type=credentials_type,
        search=search,
        filter_=filter_,
        x_organization=x_organization,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    name: str | Unset = UNSET,
    owner: str | Unset = UNSET,
    org: str | Unset = UNSET,
    provider: Provider | Unset = UNSET,
    status: BucketStatus | Unset = UNSET,
    imported: bool | Unset = UNSET,
    resource: str | Unset = UNSET,
    credentials_type: CredentialsType | Unset = UNSET,
    search: str | Unset = UNSET,
    filter_: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Count | Problem | None:
    """Count the buckets matching the same filters as the listing.

    Args:
        name (str | Unset):
        owner (str | Unset):
        org (str | Unset):
        provider (Provider | Unset): Where a bucket's data lives. MANAGED is the service's own
            storage; the others are
            imported external buckets. FILESYSTEM is a folder on the server host (administrators
            only).
        status (BucketStatus | Unset): Result of the last check against the provider.
        imported (bool | Unset):
        resource (str | Unset):
        credentials_type (CredentialsType | Unset): The kind of credentials stored with an
            imported bucket (never the secret itself):
            access key pair (S3), account name + key or connection string or SAS token (Azure),
            service account key (GCS), or none (public GCS, a server folder).
        search (str | Unset):
        filter_ (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Count | Problem
    """

    return sync_detailed(
        client=client,
        name=name,
        owner=owner,
        org=org,
        provider=provider,
        status=status,
        imported=imported,
        resource=resource,
        credentials_type=credentials_type,
        search=search,
        filter_=filter_,
        x_organization=x_organization,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    name: str | Unset = UNSET,
    owner: str | Unset = UNSET,
    org: str | Unset = UNSET,
    provider: Provider | Unset = UNSET,
    status: BucketStatus | Unset = UNSET,
    imported: bool | Unset = UNSET,
    resource: str | Unset = UNSET,
    credentials_type: CredentialsType | Unset = UNSET,
    search: str | Unset = UNSET,
    filter_: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Response[Count | Problem]:
    """Count the buckets matching the same filters as the listing.

    Args:
        name (str | Unset):
        owner (str | Unset):
        org (str | Unset):
        provider (Provider | Unset): Where a bucket's data lives. MANAGED is the service's own
            storage; the others are
            imported external buckets. FILESYSTEM is a folder on the server host (administrators
            only).
        status (BucketStatus | Unset): Result of the last check against the provider.
        imported (bool | Unset):
        resource (str | Unset):
        credentials_type (CredentialsType | Unset): The kind of credentials stored with an
            imported bucket (never the secret itself):
            access key pair (S3), account name + key or connection string or SAS token (Azure),
            service account key (GCS), or none (public GCS, a server folder).
        search (str | Unset):
        filter_ (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Count | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        owner=owner,
        org=org,
        provider=provider,
        status=status,
        imported=imported,
        resource=resource,
        credentials_type=credentials_type,
        search=search,
        filter_=filter_,
        x_organization=x_organization,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    name: str | Unset = UNSET,
    owner: str | Unset = UNSET,
    org: str | Unset = UNSET,
    provider: Provider | Unset = UNSET,
    status: BucketStatus | Unset = UNSET,
    imported: bool | Unset = UNSET,
    resource: str | Unset = UNSET,
    credentials_type: CredentialsType | Unset = UNSET,
    search: str | Unset = UNSET,
    filter_: str | Unset = UNSET,
    x_organization: str | Unset = UNSET,
) -> Count | Problem | None:
    """Count the buckets matching the same filters as the listing.

    Args:
        name (str | Unset):
        owner (str | Unset):
        org (str | Unset):
        provider (Provider | Unset): Where a bucket's data lives. MANAGED is the service's own
            storage; the others are
            imported external buckets. FILESYSTEM is a folder on the server host (administrators
            only).
        status (BucketStatus | Unset): Result of the last check against the provider.
        imported (bool | Unset):
        resource (str | Unset):
        credentials_type (CredentialsType | Unset): The kind of credentials stored with an
            imported bucket (never the secret itself):
            access key pair (S3), account name + key or connection string or SAS token (Azure),
            service account key (GCS), or none (public GCS, a server folder).
        search (str | Unset):
        filter_ (str | Unset):
        x_organization (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Count | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            name=name,
            owner=owner,
            org=org,
            provider=provider,
            status=status,
            imported=imported,
            resource=resource,
            credentials_type=credentials_type,
            search=search,
            filter_=filter_,
            x_organization=x_organization,
        )
    ).parsed
