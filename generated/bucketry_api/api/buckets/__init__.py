"""Endpoints tagged ``buckets``: one module per operation and :class:`BucketsApi`.

Generated from scripts/templates/endpoint_init.py.jinja: do not edit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from io import BytesIO
from typing import IO, Any, cast

import httpx

from ...client import AuthenticatedClient, Client
from ...errors import raise_for_status

# The imports below are those of the endpoint modules (for the method annotations); ruff
# cannot tell which ones an __init__ module re-exports, so unused ones stay.
from ...models.bucket import Bucket
from ...models.bucket_actions import BucketActions
from ...models.bucket_content import BucketContent
from ...models.bucket_create import BucketCreate
from ...models.bucket_delete_result import BucketDeleteResult
from ...models.bucket_import import BucketImport
from ...models.bucket_page import BucketPage
from ...models.bucket_status import BucketStatus, check_bucket_status
from ...models.bucket_status_report import BucketStatusReport
from ...models.bucket_update import BucketUpdate
from ...models.bucket_usage import BucketUsage
from ...models.buckets_list_sort import BucketsListSort, check_buckets_list_sort
from ...models.count import Count
from ...models.credentials_type import CredentialsType, check_credentials_type
from ...models.problem import Problem
from ...models.provider import Provider, check_provider
from ...models.public_access import PublicAccess
from ...models.tmp_credentials import TmpCredentials
from ...models.tmp_credentials_request import TmpCredentialsRequest
from ...types import UNSET, File, FileTypes, Unset
from . import buckets_actions as _buckets_actions
from . import buckets_content as _buckets_content
from . import buckets_count as _buckets_count
from . import buckets_create as _buckets_create
from . import buckets_delete as _buckets_delete
from . import buckets_get as _buckets_get
from . import buckets_import as _buckets_import
from . import buckets_list as _buckets_list
from . import buckets_preview as _buckets_preview
from . import buckets_set_public as _buckets_set_public
from . import buckets_status as _buckets_status
from . import buckets_tmp_credentials as _buckets_tmp_credentials
from . import buckets_update as _buckets_update
from . import buckets_usage as _buckets_usage


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class BucketsApi:
    """Operations tagged ``buckets``, bound to a client (``ApiClient(...).buckets``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
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
        sort: BucketsListSort | Unset = "name",
        filter_: str | Unset = UNSET,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
        x_organization: str | Unset = UNSET,
    ) -> tuple[BucketPage, httpx.Response]:
        """List the buckets the caller can see.

        ``GET /buckets`` (operation ``buckets_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_list._get_kwargs(
                name=name,
                owner=owner,
                org=org,
                provider=provider,
                status=status,
                imported=imported,
                resource=resource,
                credentials_type=credentials_type,
                search=search,
                sort=sort,
                filter_=filter_,
                page_size=page_size,
                cursor=cursor,
                x_organization=x_organization,
            )
        )
        raise_for_status(response)
        data = _buckets_list._parse_response(client=self._client, response=response)
        return cast("BucketPage", data), response

    def create(
        self,
        *,
        body: BucketCreate,
        x_organization: str | Unset = UNSET,
    ) -> tuple[Bucket, httpx.Response]:
        """Create a managed bucket.

        ``POST /buckets`` (operation ``buckets_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_create._get_kwargs(
                body=body,
                x_organization=x_organization,
            )
        )
        raise_for_status(response)
        data = _buckets_create._parse_response(client=self._client, response=response)
        return cast("Bucket", data), response

    def count(
        self,
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
    ) -> tuple[Count, httpx.Response]:
        """Count the buckets matching the same filters as the listing.

        ``GET /buckets/count`` (operation ``buckets_count``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_count._get_kwargs(
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
        )
        raise_for_status(response)
        data = _buckets_count._parse_response(client=self._client, response=response)
        return cast("Count", data), response

    def import_(
        self,
        *,
        body: BucketImport,
        x_organization: str | Unset = UNSET,
    ) -> tuple[Bucket, httpx.Response]:
        """Register an external provider bucket (S3, Azure, GCS, S3-compatible, server folder).

        ``POST /buckets/import`` (operation ``buckets_import``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_import._get_kwargs(
                body=body,
                x_organization=x_organization,
            )
        )
        raise_for_status(response)
        data = _buckets_import._parse_response(client=self._client, response=response)
        return cast("Bucket", data), response

    def get(
        self,
        bucket: str,
    ) -> tuple[Bucket, httpx.Response]:
        """One bucket, by id or name.

        ``GET /buckets/{bucket}`` (operation ``buckets_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_get._get_kwargs(
                bucket=bucket,
            )
        )
        raise_for_status(response)
        data = _buckets_get._parse_response(client=self._client, response=response)
        return cast("Bucket", data), response

    def delete(
        self,
        bucket: str,
        *,
        force: bool | Unset = False,
        dry_run: bool | Unset = False,
    ) -> tuple[BucketDeleteResult, httpx.Response]:
        """Delete a bucket. A managed bucket must be empty unless `force` is set.

        ``DELETE /buckets/{bucket}`` (operation ``buckets_delete``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_delete._get_kwargs(
                bucket=bucket,
                force=force,
                dry_run=dry_run,
            )
        )
        raise_for_status(response)
        data = _buckets_delete._parse_response(client=self._client, response=response)
        return cast("BucketDeleteResult", data), response

    def update(
        self,
        bucket: str,
        *,
        body: BucketUpdate,
        if_match: str | Unset = UNSET,
    ) -> tuple[Bucket, httpx.Response]:
        """Partially update a bucket (name, description, org, provider settings, credentials).

        ``PATCH /buckets/{bucket}`` (operation ``buckets_update``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_update._get_kwargs(
                bucket=bucket,
                body=body,
                if_match=if_match,
            )
        )
        raise_for_status(response)
        data = _buckets_update._parse_response(client=self._client, response=response)
        return cast("Bucket", data), response

    def status(
        self,
        bucket: str,
    ) -> tuple[BucketStatusReport, httpx.Response]:
        """Check the bucket against its provider and report availability.

        ``GET /buckets/{bucket}/status`` (operation ``buckets_status``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_status._get_kwargs(
                bucket=bucket,
            )
        )
        raise_for_status(response)
        data = _buckets_status._parse_response(client=self._client, response=response)
        return cast("BucketStatusReport", data), response

    def actions(
        self,
        bucket: str,
    ) -> tuple[BucketActions, httpx.Response]:
        """The actions (READ, WRITE) the provider allows with the stored credentials.

        ``GET /buckets/{bucket}/actions`` (operation ``buckets_actions``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_actions._get_kwargs(
                bucket=bucket,
            )
        )
        raise_for_status(response)
        data = _buckets_actions._parse_response(client=self._client, response=response)
        return cast("BucketActions", data), response

    def content(
        self,
        bucket: str,
        *,
        prefix: str | Unset = "",
        next_token: str | Unset = UNSET,
        page_size: int | Unset = 100,
        manifest_path: str | Unset = UNSET,
    ) -> tuple[BucketContent, httpx.Response]:
        """Browse one level of the bucket like a folder tree (files and sub-folders).

        ``GET /buckets/{bucket}/content`` (operation ``buckets_content``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_content._get_kwargs(
                bucket=bucket,
                prefix=prefix,
                next_token=next_token,
                page_size=page_size,
                manifest_path=manifest_path,
            )
        )
        raise_for_status(response)
        data = _buckets_content._parse_response(client=self._client, response=response)
        return cast("BucketContent", data), response

    def preview(
        self,
        bucket: str,
    ) -> tuple[File, httpx.Response]:
        """A thumbnail of the first image found in the bucket.

        ``GET /buckets/{bucket}/preview`` (operation ``buckets_preview``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_preview._get_kwargs(
                bucket=bucket,
            )
        )
        raise_for_status(response)
        data = _buckets_preview._parse_response(client=self._client, response=response)
        return cast("File", data), response

    @contextlib.contextmanager
    def preview_stream(
        self,
        bucket: str,
    ) -> Iterator[httpx.Response]:
        """A thumbnail of the first image found in the bucket.

        ``GET /buckets/{bucket}/preview`` (operation ``buckets_preview``).

        Streaming variant of ``preview``: a context manager yielding the *unread*
        ``httpx.Response``; read it with ``iter_raw()`` / ``iter_bytes()`` in constant memory. The
        error body is read before raising.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        with self._client.get_httpx_client().stream(
            **_buckets_preview._get_kwargs(
                bucket=bucket,
            )
        ) as response:
            raise_for_status(response)
            yield response

    def usage(
        self,
        bucket: str,
    ) -> tuple[BucketUsage, httpx.Response]:
        """Space used by the bucket (bytes, objects), computed on the server.

        ``GET /buckets/{bucket}/usage`` (operation ``buckets_usage``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_usage._get_kwargs(
                bucket=bucket,
            )
        )
        raise_for_status(response)
        data = _buckets_usage._parse_response(client=self._client, response=response)
        return cast("BucketUsage", data), response

    def set_public(
        self,
        bucket: str,
        *,
        body: PublicAccess,
    ) -> tuple[Bucket, httpx.Response]:
        """Turn anonymous read access on or off.

        ``PUT /buckets/{bucket}/public`` (operation ``buckets_set_public``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_set_public._get_kwargs(
                bucket=bucket,
                body=body,
            )
        )
        raise_for_status(response)
        data = _buckets_set_public._parse_response(client=self._client, response=response)
        return cast("Bucket", data), response

    def tmp_credentials(
        self,
        bucket: str,
        *,
        body: TmpCredentialsRequest | Unset = UNSET,
    ) -> tuple[TmpCredentials, httpx.Response]:
        """Issue a temporary, bucket-scoped, expiring token.

        ``POST /buckets/{bucket}/tmp-credentials`` (operation ``buckets_tmp_credentials``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_buckets_tmp_credentials._get_kwargs(
                bucket=bucket,
                body=body,
            )
        )
        raise_for_status(response)
        data = _buckets_tmp_credentials._parse_response(client=self._client, response=response)
        return cast("TmpCredentials", data), response


__all__ = ["BucketsApi"]
