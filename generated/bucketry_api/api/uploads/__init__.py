"""Endpoints tagged ``uploads``: one module per operation and :class:`UploadsApi`.

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
from ...models.problem import Problem
from ...models.upload import Upload
from ...models.upload_complete import UploadComplete
from ...models.upload_create import UploadCreate
from ...models.upload_page import UploadPage
from ...models.upload_part import UploadPart
from ...types import UNSET, File, FileTypes, Unset
from . import uploads_abort as _uploads_abort
from . import uploads_complete as _uploads_complete
from . import uploads_create as _uploads_create
from . import uploads_get as _uploads_get
from . import uploads_list as _uploads_list
from . import uploads_put_part as _uploads_put_part


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class UploadsApi:
    """Operations tagged ``uploads``, bound to a client (``ApiClient(...).uploads``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
        bucket: str,
        *,
        key: str | Unset = UNSET,
        prefix: str | Unset = UNSET,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
    ) -> tuple[UploadPage, httpx.Response]:
        """List open multipart uploads (to find one to resume).

        ``GET /buckets/{bucket}/uploads`` (operation ``uploads_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_uploads_list._get_kwargs(
                bucket=bucket,
                key=key,
                prefix=prefix,
                page_size=page_size,
                cursor=cursor,
            )
        )
        raise_for_status(response)
        data = _uploads_list._parse_response(client=self._client, response=response)
        return cast("UploadPage", data), response

    def create(
        self,
        bucket: str,
        *,
        body: UploadCreate,
    ) -> tuple[Upload, httpx.Response]:
        """Initiate a multipart upload.

        ``POST /buckets/{bucket}/uploads`` (operation ``uploads_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_uploads_create._get_kwargs(
                bucket=bucket,
                body=body,
            )
        )
        raise_for_status(response)
        data = _uploads_create._parse_response(client=self._client, response=response)
        return cast("Upload", data), response

    def get(
        self,
        bucket: str,
        upload_id: str,
    ) -> tuple[Upload, httpx.Response]:
        """An upload session with the parts received so far (to resume).

        ``GET /buckets/{bucket}/uploads/{upload_id}`` (operation ``uploads_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_uploads_get._get_kwargs(
                bucket=bucket,
                upload_id=upload_id,
            )
        )
        raise_for_status(response)
        data = _uploads_get._parse_response(client=self._client, response=response)
        return cast("Upload", data), response

    def abort(
        self,
        bucket: str,
        upload_id: str,
    ) -> tuple[None, httpx.Response]:
        """Abort an upload and free its parts.

        ``DELETE /buckets/{bucket}/uploads/{upload_id}`` (operation ``uploads_abort``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_uploads_abort._get_kwargs(
                bucket=bucket,
                upload_id=upload_id,
            )
        )
        raise_for_status(response)
        data = _uploads_abort._parse_response(client=self._client, response=response)
        return cast("None", data), response

    def put_part(
        self,
        bucket: str,
        upload_id: str,
        part_number: int,
        *,
        body: File | IO[bytes] | bytes | Iterable[bytes],
        content_md5: str | Unset = UNSET,
        x_checksum_sha256: str | Unset = UNSET,
        x_checksum_crc32c: str | Unset = UNSET,
    ) -> tuple[UploadPart, httpx.Response]:
        """Upload (or replace) one part.

        ``PUT /buckets/{bucket}/uploads/{upload_id}/parts/{part_number}`` (operation ``uploads_put_part``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        body = _as_file(body)
        response = self._client.get_httpx_client().request(
            **_uploads_put_part._get_kwargs(
                bucket=bucket,
                upload_id=upload_id,
                part_number=part_number,
                body=body,
                content_md5=content_md5,
                x_checksum_sha256=x_checksum_sha256,
                x_checksum_crc32c=x_checksum_crc32c,
            )
        )
        raise_for_status(response)
        data = _uploads_put_part._parse_response(client=self._client, response=response)
        return cast("UploadPart", data), response

    def complete(
        self,
        bucket: str,
        upload_id: str,
        *,
        body: UploadComplete,
        x_checksum_crc32c: str | Unset = UNSET,
    ) -> tuple[Blob, httpx.Response]:
        """Assemble the listed parts into the blob, atomically.

        ``POST /buckets/{bucket}/uploads/{upload_id}/complete`` (operation ``uploads_complete``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_uploads_complete._get_kwargs(
                bucket=bucket,
                upload_id=upload_id,
                body=body,
                x_checksum_crc32c=x_checksum_crc32c,
            )
        )
        raise_for_status(response)
        data = _uploads_complete._parse_response(client=self._client, response=response)
        return cast("Blob", data), response


__all__ = ["UploadsApi"]
