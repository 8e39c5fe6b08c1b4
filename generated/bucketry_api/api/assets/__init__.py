"""Endpoints tagged ``assets``: one module per operation and :class:`AssetsApi`.

Generated from scripts/templates/endpoint_init.py.jinja: do not edit.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

import httpx

from ...client import AuthenticatedClient, Client
from ...errors import raise_for_status

# The imports below are those of the endpoint modules (for the method annotations); ruff
# cannot tell which ones an __init__ module re-exports, so unused ones stay.
from ...models.asset import Asset
from ...models.asset_append import AssetAppend
from ...models.asset_page import AssetPage
from ...models.asset_selection import AssetSelection
from ...models.asset_status import AssetStatus, check_asset_status
from ...models.asset_update import AssetUpdate
from ...models.asset_update_many import AssetUpdateMany
from ...models.assets_list_fields_item import AssetsListFieldsItem, check_assets_list_fields_item
from ...models.bulk_result import BulkResult
from ...models.count import Count
from ...models.label import Label
from ...models.label_create import LabelCreate
from ...models.label_page import LabelPage
from ...models.label_type import LabelType, check_label_type
from ...models.problem import Problem
from ...types import UNSET, File, Unset
from . import assets_append as _assets_append
from . import assets_count as _assets_count
from . import assets_delete_many as _assets_delete_many
from . import assets_get as _assets_get
from . import assets_labels_create as _assets_labels_create
from . import assets_labels_list as _assets_labels_list
from . import assets_list as _assets_list
from . import assets_queue as _assets_queue
from . import assets_review as _assets_review
from . import assets_update as _assets_update
from . import assets_update_many as _assets_update_many


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class AssetsApi:
    """Operations tagged ``assets``, bound to a client (``ApiClient(...).assets``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
        project_id: str,
        *,
        asset_id_in: list[str] | Unset = UNSET,
        external_id_in: list[str] | Unset = UNSET,
        external_id_contains: str | Unset = UNSET,
        status_in: list[AssetStatus] | Unset = UNSET,
        metadata_where: str | Unset = UNSET,
        skipped: bool | Unset = UNSET,
        is_honeypot: bool | Unset = UNSET,
        consensus_mark_gt: float | Unset = UNSET,
        consensus_mark_lt: float | Unset = UNSET,
        honeypot_mark_gt: float | Unset = UNSET,
        honeypot_mark_lt: float | Unset = UNSET,
        updated_at_gte: datetime.datetime | Unset = UNSET,
        updated_at_lte: datetime.datetime | Unset = UNSET,
        label_type_in: list[LabelType] | Unset = UNSET,
        label_author_in: list[str] | Unset = UNSET,
        label_consensus_mark_gt: float | Unset = UNSET,
        label_consensus_mark_lt: float | Unset = UNSET,
        label_honeypot_mark_gt: float | Unset = UNSET,
        label_honeypot_mark_lt: float | Unset = UNSET,
        label_created_at: datetime.date | Unset = UNSET,
        label_created_at_gt: datetime.datetime | Unset = UNSET,
        label_created_at_lt: datetime.datetime | Unset = UNSET,
        label_category_search: str | Unset = UNSET,
        fields: list[AssetsListFieldsItem] | Unset = UNSET,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
    ) -> tuple[AssetPage, httpx.Response]:
        """Query a project's assets with filters, in cursor pages.

        ``GET /projects/{project_id}/assets`` (operation ``assets_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_list._get_kwargs(
                project_id=project_id,
                asset_id_in=asset_id_in,
                external_id_in=external_id_in,
                external_id_contains=external_id_contains,
                status_in=status_in,
                metadata_where=metadata_where,
                skipped=skipped,
                is_honeypot=is_honeypot,
                consensus_mark_gt=consensus_mark_gt,
                consensus_mark_lt=consensus_mark_lt,
                honeypot_mark_gt=honeypot_mark_gt,
                honeypot_mark_lt=honeypot_mark_lt,
                updated_at_gte=updated_at_gte,
                updated_at_lte=updated_at_lte,
                label_type_in=label_type_in,
                label_author_in=label_author_in,
                label_consensus_mark_gt=label_consensus_mark_gt,
                label_consensus_mark_lt=label_consensus_mark_lt,
                label_honeypot_mark_gt=label_honeypot_mark_gt,
                label_honeypot_mark_lt=label_honeypot_mark_lt,
                label_created_at=label_created_at,
                label_created_at_gt=label_created_at_gt,
                label_created_at_lt=label_created_at_lt,
                label_category_search=label_category_search,
                fields=fields,
                page_size=page_size,
                cursor=cursor,
            )
        )
        raise_for_status(response)
        data = _assets_list._parse_response(client=self._client, response=response)
        return cast("AssetPage", data), response

    def append(
        self,
        project_id: str,
        *,
        body: AssetAppend,
    ) -> tuple[BulkResult, httpx.Response]:
        """Append many assets; each item is reported on its own.

        ``POST /projects/{project_id}/assets`` (operation ``assets_append``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_append._get_kwargs(
                project_id=project_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _assets_append._parse_response(client=self._client, response=response)
        return cast("BulkResult", data), response

    def update_many(
        self,
        project_id: str,
        *,
        body: AssetUpdateMany,
    ) -> tuple[BulkResult, httpx.Response]:
        """Update properties (and external ids) of many assets; each item is reported.

        ``PATCH /projects/{project_id}/assets`` (operation ``assets_update_many``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_update_many._get_kwargs(
                project_id=project_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _assets_update_many._parse_response(client=self._client, response=response)
        return cast("BulkResult", data), response

    def count(
        self,
        project_id: str,
        *,
        asset_id_in: list[str] | Unset = UNSET,
        external_id_in: list[str] | Unset = UNSET,
        external_id_contains: str | Unset = UNSET,
        status_in: list[AssetStatus] | Unset = UNSET,
        metadata_where: str | Unset = UNSET,
        skipped: bool | Unset = UNSET,
        is_honeypot: bool | Unset = UNSET,
        consensus_mark_gt: float | Unset = UNSET,
        consensus_mark_lt: float | Unset = UNSET,
        honeypot_mark_gt: float | Unset = UNSET,
        honeypot_mark_lt: float | Unset = UNSET,
        updated_at_gte: datetime.datetime | Unset = UNSET,
        updated_at_lte: datetime.datetime | Unset = UNSET,
        label_type_in: list[LabelType] | Unset = UNSET,
        label_author_in: list[str] | Unset = UNSET,
        label_consensus_mark_gt: float | Unset = UNSET,
        label_consensus_mark_lt: float | Unset = UNSET,
        label_honeypot_mark_gt: float | Unset = UNSET,
        label_honeypot_mark_lt: float | Unset = UNSET,
        label_created_at: datetime.date | Unset = UNSET,
        label_created_at_gt: datetime.datetime | Unset = UNSET,
        label_created_at_lt: datetime.datetime | Unset = UNSET,
        label_category_search: str | Unset = UNSET,
    ) -> tuple[Count, httpx.Response]:
        """Count a project's assets with the same filters as the query.

        ``GET /projects/{project_id}/assets/count`` (operation ``assets_count``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_count._get_kwargs(
                project_id=project_id,
                asset_id_in=asset_id_in,
                external_id_in=external_id_in,
                external_id_contains=external_id_contains,
                status_in=status_in,
                metadata_where=metadata_where,
                skipped=skipped,
                is_honeypot=is_honeypot,
                consensus_mark_gt=consensus_mark_gt,
                consensus_mark_lt=consensus_mark_lt,
                honeypot_mark_gt=honeypot_mark_gt,
                honeypot_mark_lt=honeypot_mark_lt,
                updated_at_gte=updated_at_gte,
                updated_at_lte=updated_at_lte,
                label_type_in=label_type_in,
                label_author_in=label_author_in,
                label_consensus_mark_gt=label_consensus_mark_gt,
                label_consensus_mark_lt=label_consensus_mark_lt,
                label_honeypot_mark_gt=label_honeypot_mark_gt,
                label_honeypot_mark_lt=label_honeypot_mark_lt,
                label_created_at=label_created_at,
                label_created_at_gt=label_created_at_gt,
                label_created_at_lt=label_created_at_lt,
                label_category_search=label_category_search,
            )
        )
        raise_for_status(response)
        data = _assets_count._parse_response(client=self._client, response=response)
        return cast("Count", data), response

    def delete_many(
        self,
        project_id: str,
        *,
        body: AssetSelection,
    ) -> tuple[BulkResult, httpx.Response]:
        """Delete many assets by id or external id.

        ``POST /projects/{project_id}/assets/delete`` (operation ``assets_delete_many``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_delete_many._get_kwargs(
                project_id=project_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _assets_delete_many._parse_response(client=self._client, response=response)
        return cast("BulkResult", data), response

    def review(
        self,
        project_id: str,
        *,
        body: AssetSelection,
    ) -> tuple[BulkResult, httpx.Response]:
        """Send labelled assets to review (status TO_REVIEW).

        ``POST /projects/{project_id}/assets/review`` (operation ``assets_review``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_review._get_kwargs(
                project_id=project_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _assets_review._parse_response(client=self._client, response=response)
        return cast("BulkResult", data), response

    def queue(
        self,
        project_id: str,
        *,
        body: AssetSelection,
    ) -> tuple[BulkResult, httpx.Response]:
        """Send assets back to the labelling queue (status ONGOING).

        ``POST /projects/{project_id}/assets/queue`` (operation ``assets_queue``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_queue._get_kwargs(
                project_id=project_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _assets_queue._parse_response(client=self._client, response=response)
        return cast("BulkResult", data), response

    def get(
        self,
        asset_id: str,
    ) -> tuple[Asset, httpx.Response]:
        """One asset.

        ``GET /assets/{asset_id}`` (operation ``assets_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_get._get_kwargs(
                asset_id=asset_id,
            )
        )
        raise_for_status(response)
        data = _assets_get._parse_response(client=self._client, response=response)
        return cast("Asset", data), response

    def update(
        self,
        asset_id: str,
        *,
        body: AssetUpdate,
        if_match: str | Unset = UNSET,
    ) -> tuple[Asset, httpx.Response]:
        """Partially update one asset.

        ``PATCH /assets/{asset_id}`` (operation ``assets_update``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_update._get_kwargs(
                asset_id=asset_id,
                body=body,
                if_match=if_match,
            )
        )
        raise_for_status(response)
        data = _assets_update._parse_response(client=self._client, response=response)
        return cast("Asset", data), response

    def labels_list(
        self,
        asset_id: str,
        *,
        label_type_in: list[LabelType] | Unset = UNSET,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
    ) -> tuple[LabelPage, httpx.Response]:
        """The labels of one asset, oldest first.

        ``GET /assets/{asset_id}/labels`` (operation ``assets_labels_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_labels_list._get_kwargs(
                asset_id=asset_id,
                label_type_in=label_type_in,
                page_size=page_size,
                cursor=cursor,
            )
        )
        raise_for_status(response)
        data = _assets_labels_list._parse_response(client=self._client, response=response)
        return cast("LabelPage", data), response

    def labels_create(
        self,
        asset_id: str,
        *,
        body: LabelCreate,
    ) -> tuple[Label, httpx.Response]:
        """Add a label to an asset.

        ``POST /assets/{asset_id}/labels`` (operation ``assets_labels_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_assets_labels_create._get_kwargs(
                asset_id=asset_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _assets_labels_create._parse_response(client=self._client, response=response)
        return cast("Label", data), response


__all__ = ["AssetsApi"]
