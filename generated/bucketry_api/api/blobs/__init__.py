"""Endpoints tagged ``blobs``: one module per operation and :class:`BlobsApi`.

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
from ...models.blob import Blob
from ...models.blob_batch_result import BlobBatchResult
from ...models.blob_copy import BlobCopy
from ...models.blob_delete_many import BlobDeleteMany
from ...models.blob_delete_many_result import BlobDeleteManyResult
from ...models.blob_order import BlobOrder, check_blob_order
from ...models.blob_page import BlobPage
from ...models.problem import Problem
from ...models.signed_url_list import SignedUrlList
from ...models.signed_url_request import SignedUrlRequest
from ...models.sort_direction import SortDirection, check_sort_direction
from ...models.zip_listing import ZipListing
from ...models.zip_range import ZipRange
from ...types import UNSET, File, FileTypes, Unset
from . import blobs_copy as _blobs_copy
from . import blobs_delete as _blobs_delete
from . import blobs_delete_many as _blobs_delete_many
from . import blobs_get as _blobs_get
from . import blobs_head as _blobs_head
from . import blobs_list as _blobs_list
from . import blobs_put as _blobs_put
from . import blobs_put_batch as _blobs_put_batch
from . import blobs_sign as _blobs_sign
from . import blobs_signed_get as _blobs_signed_get
from . import blobs_signed_put as _blobs_signed_put
from . import blobs_zip_list as _blobs_zip_list
from . import blobs_zip_range as _blobs_zip_range


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class BlobsApi:
    """Operations tagged ``blobs``, bound to a client (``ApiClient(...).blobs``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
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
    ) -> tuple[BlobPage, httpx.Response]:
        """List blobs by prefix, with folders, glob and ordering.

        ``GET /buckets/{bucket}/blobs`` (operation ``blobs_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_list._get_kwargs(
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
        )
        raise_for_status(response)
        data = _blobs_list._parse_response(client=self._client, response=response)
        return cast("BlobPage", data), response

    def put_batch(
        self,
        bucket: str,
        *,
        body: File | IO[bytes] | bytes | Iterable[bytes],
        prefix: str | Unset = "",
        overwrite: bool | Unset = True,
    ) -> tuple[BlobBatchResult, httpx.Response]:
        """Store many small blobs from one tar stream (one request, one transaction).

        ``POST /buckets/{bucket}/blobs/batch`` (operation ``blobs_put_batch``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        body = _as_file(body)
        response = self._client.get_httpx_client().request(
            **_blobs_put_batch._get_kwargs(
                bucket=bucket,
                body=body,
                prefix=prefix,
                overwrite=overwrite,
            )
        )
        raise_for_status(response)
        data = _blobs_put_batch._parse_response(client=self._client, response=response)
        return cast("BlobBatchResult", data), response

    def delete_many(
        self,
        bucket: str,
        *,
        body: BlobDeleteMany,
    ) -> tuple[BlobDeleteManyResult, httpx.Response]:
        """Delete many blobs, by explicit keys or by prefix, reporting each.

        ``POST /buckets/{bucket}/blobs/delete`` (operation ``blobs_delete_many``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_delete_many._get_kwargs(
                bucket=bucket,
                body=body,
            )
        )
        raise_for_status(response)
        data = _blobs_delete_many._parse_response(client=self._client, response=response)
        return cast("BlobDeleteManyResult", data), response

    def get(
        self,
        bucket: str,
        *,
        direct: bool | Unset = UNSET,
        key: str,
        range_: str | Unset = UNSET,
        if_match: str | Unset = UNSET,
        if_none_match: str | Unset = UNSET,
        prefer: str | Unset = UNSET,
    ) -> tuple[File, httpx.Response]:
        """Download a blob (streamed; `Range` for a part; resumable).

        ``GET /buckets/{bucket}/blob`` (operation ``blobs_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_get._get_kwargs(
                bucket=bucket,
                direct=direct,
                key=key,
                range_=range_,
                if_match=if_match,
                if_none_match=if_none_match,
                prefer=prefer,
            )
        )
        raise_for_status(response)
        data = _blobs_get._parse_response(client=self._client, response=response)
        return cast("File", data), response

    @contextlib.contextmanager
    def get_stream(
        self,
        bucket: str,
        *,
        direct: bool | Unset = UNSET,
        key: str,
        range_: str | Unset = UNSET,
        if_match: str | Unset = UNSET,
        if_none_match: str | Unset = UNSET,
        prefer: str | Unset = UNSET,
    ) -> Iterator[httpx.Response]:
        """Download a blob (streamed; `Range` for a part; resumable).

        ``GET /buckets/{bucket}/blob`` (operation ``blobs_get``).

        Streaming variant of ``get``: a context manager yielding the *unread* ``httpx.Response``;
        read it with ``iter_raw()`` / ``iter_bytes()`` in constant memory. The error body is read
        before raising.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        with self._client.get_httpx_client().stream(
            **_blobs_get._get_kwargs(
                bucket=bucket,
                direct=direct,
                key=key,
                range_=range_,
                if_match=if_match,
                if_none_match=if_none_match,
                prefer=prefer,
            )
        ) as response:
            raise_for_status(response)
            yield response

    def put(
        self,
        bucket: str,
        *,
        body: File | IO[bytes] | bytes | Iterable[bytes],
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
    ) -> tuple[Blob, httpx.Response]:
        """Create or replace a blob from a streamed body.

        ``PUT /buckets/{bucket}/blob`` (operation ``blobs_put``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        body = _as_file(body)
        response = self._client.get_httpx_client().request(
            **_blobs_put._get_kwargs(
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
        )
        raise_for_status(response)
        data = _blobs_put._parse_response(client=self._client, response=response)
        return cast("Blob", data), response

    def delete(
        self,
        bucket: str,
        *,
        key: str,
        if_match: str | Unset = UNSET,
    ) -> tuple[None, httpx.Response]:
        """Delete a blob.

        ``DELETE /buckets/{bucket}/blob`` (operation ``blobs_delete``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_delete._get_kwargs(
                bucket=bucket,
                key=key,
                if_match=if_match,
            )
        )
        raise_for_status(response)
        data = _blobs_delete._parse_response(client=self._client, response=response)
        return cast("None", data), response

    def head(
        self,
        bucket: str,
        *,
        key: str,
    ) -> tuple[None, httpx.Response]:
        """A blob's size, ETag, type and times, without its body.

        ``HEAD /buckets/{bucket}/blob`` (operation ``blobs_head``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_head._get_kwargs(
                bucket=bucket,
                key=key,
            )
        )
        raise_for_status(response)
        data = _blobs_head._parse_response(client=self._client, response=response)
        return cast("None", data), response

    def copy(
        self,
        bucket: str,
        *,
        body: BlobCopy,
    ) -> tuple[Blob, httpx.Response]:
        """Copy a blob server-side into this bucket (from this or another readable bucket).

        ``POST /buckets/{bucket}/blob/copy`` (operation ``blobs_copy``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_copy._get_kwargs(
                bucket=bucket,
                body=body,
            )
        )
        raise_for_status(response)
        data = _blobs_copy._parse_response(client=self._client, response=response)
        return cast("Blob", data), response

    def zip_list(
        self,
        bucket: str,
        *,
        path: str | Unset = "",
        recursive: bool | Unset = True,
        key: str,
    ) -> tuple[ZipListing, httpx.Response]:
        """List the members of a zip blob (read from its central directory by ranged reads).

        ``GET /buckets/{bucket}/blob/zip`` (operation ``blobs_zip_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_zip_list._get_kwargs(
                bucket=bucket,
                path=path,
                recursive=recursive,
                key=key,
            )
        )
        raise_for_status(response)
        data = _blobs_zip_list._parse_response(client=self._client, response=response)
        return cast("ZipListing", data), response

    def zip_range(
        self,
        bucket: str,
        *,
        member: str,
        key: str,
    ) -> tuple[ZipRange, httpx.Response]:
        """The byte range of one member's (possibly compressed) data inside a zip blob.

        ``GET /buckets/{bucket}/blob/zip/range`` (operation ``blobs_zip_range``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_zip_range._get_kwargs(
                bucket=bucket,
                member=member,
                key=key,
            )
        )
        raise_for_status(response)
        data = _blobs_zip_range._parse_response(client=self._client, response=response)
        return cast("ZipRange", data), response

    def sign(
        self,
        bucket: str,
        *,
        body: SignedUrlRequest,
    ) -> tuple[SignedUrlList, httpx.Response]:
        """Create signed URLs (download or upload) for many keys at once.

        ``POST /buckets/{bucket}/signed-urls`` (operation ``blobs_sign``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_sign._get_kwargs(
                bucket=bucket,
                body=body,
            )
        )
        raise_for_status(response)
        data = _blobs_sign._parse_response(client=self._client, response=response)
        return cast("SignedUrlList", data), response

    def signed_get(
        self,
        token: str,
        *,
        range_: str | Unset = UNSET,
    ) -> tuple[File, httpx.Response]:
        """Download through a signed URL (no bearer token; `Range` supported).

        ``GET /signed/{token}`` (operation ``blobs_signed_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_blobs_signed_get._get_kwargs(
                token=token,
                range_=range_,
            )
        )
        raise_for_status(response)
        data = _blobs_signed_get._parse_response(client=self._client, response=response)
        return cast("File", data), response

    @contextlib.contextmanager
    def signed_get_stream(
        self,
        token: str,
        *,
        range_: str | Unset = UNSET,
    ) -> Iterator[httpx.Response]:
        """Download through a signed URL (no bearer token; `Range` supported).

        ``GET /signed/{token}`` (operation ``blobs_signed_get``).

        Streaming variant of ``signed_get``: a context manager yielding the *unread*
        ``httpx.Response``; read it with ``iter_raw()`` / ``iter_bytes()`` in constant memory. The
        error body is read before raising.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        with self._client.get_httpx_client().stream(
            **_blobs_signed_get._get_kwargs(
                token=token,
                range_=range_,
            )
        ) as response:
            raise_for_status(response)
            yield response

    def signed_put(
        self,
        token: str,
        *,
        body: File | IO[bytes] | bytes | Iterable[bytes],
        content_md5: str | Unset = UNSET,
        x_checksum_sha256: str | Unset = UNSET,
        x_checksum_crc32c: str | Unset = UNSET,
    ) -> tuple[Blob, httpx.Response]:
        """Upload through a signed URL (no bearer token).

        ``PUT /signed/{token}`` (operation ``blobs_signed_put``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        body = _as_file(body)
        response = self._client.get_httpx_client().request(
            **_blobs_signed_put._get_kwargs(
                token=token,
                body=body,
                content_md5=content_md5,
                x_checksum_sha256=x_checksum_sha256,
                x_checksum_crc32c=x_checksum_crc32c,
            )
        )
        raise_for_status(response)
        data = _blobs_signed_put._parse_response(client=self._client, response=response)
        return cast("Blob", data), response


__all__ = ["BlobsApi"]
