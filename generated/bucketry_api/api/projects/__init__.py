"""Endpoints tagged ``projects``: one module per operation and :class:`ProjectsApi`.

Generated from scripts/templates/endpoint_init.py.jinja: do not edit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

import httpx

from ...client import AuthenticatedClient, Client
from ...errors import raise_for_status

# The imports below are those of the endpoint modules (for the method annotations); ruff
# cannot tell which ones an __init__ module re-exports, so unused ones stay.
from ...models.problem import Problem
from ...models.project import Project
from ...models.project_create import ProjectCreate
from ...models.project_page import ProjectPage
from ...models.project_update import ProjectUpdate
from ...types import UNSET, File, Unset
from . import projects_create as _projects_create
from . import projects_delete as _projects_delete
from . import projects_get as _projects_get
from . import projects_list as _projects_list
from . import projects_update as _projects_update


def _as_file(body: Any) -> Any:
    """Wrap a binary file object, an iterator of bytes or bytes in a ``File``; httpx streams the
    first two (the request gets Content-Length for files, chunked encoding for iterators)."""
    if isinstance(body, (File, Unset)):
        return body
    return File(payload=body)


class ProjectsApi:
    """Operations tagged ``projects``, bound to a client (``ApiClient(...).projects``)."""

    def __init__(self, client: AuthenticatedClient | Client) -> None:
        self._client = client

    def list(
        self,
        *,
        search: str | Unset = UNSET,
        org: str | Unset = UNSET,
        page_size: int | Unset = 100,
        cursor: str | Unset = UNSET,
        x_organization: str | Unset = UNSET,
    ) -> tuple[ProjectPage, httpx.Response]:
        """List projects the caller can see.

        ``GET /projects`` (operation ``projects_list``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_projects_list._get_kwargs(
                search=search,
                org=org,
                page_size=page_size,
                cursor=cursor,
                x_organization=x_organization,
            )
        )
        raise_for_status(response)
        data = _projects_list._parse_response(client=self._client, response=response)
        return cast("ProjectPage", data), response

    def create(
        self,
        *,
        body: ProjectCreate,
        x_organization: str | Unset = UNSET,
    ) -> tuple[Project, httpx.Response]:
        """Create a project.

        ``POST /projects`` (operation ``projects_create``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_projects_create._get_kwargs(
                body=body,
                x_organization=x_organization,
            )
        )
        raise_for_status(response)
        data = _projects_create._parse_response(client=self._client, response=response)
        return cast("Project", data), response

    def get(
        self,
        project_id: str,
    ) -> tuple[Project, httpx.Response]:
        """One project.

        ``GET /projects/{project_id}`` (operation ``projects_get``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_projects_get._get_kwargs(
                project_id=project_id,
            )
        )
        raise_for_status(response)
        data = _projects_get._parse_response(client=self._client, response=response)
        return cast("Project", data), response

    def delete(
        self,
        project_id: str,
    ) -> tuple[None, httpx.Response]:
        """Delete a project with its assets, labels and connections.

        ``DELETE /projects/{project_id}`` (operation ``projects_delete``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_projects_delete._get_kwargs(
                project_id=project_id,
            )
        )
        raise_for_status(response)
        data = _projects_delete._parse_response(client=self._client, response=response)
        return cast("None", data), response

    def update(
        self,
        project_id: str,
        *,
        body: ProjectUpdate,
    ) -> tuple[Project, httpx.Response]:
        """Partially update a project.

        ``PATCH /projects/{project_id}`` (operation ``projects_update``).

        Returns ``(data, response)``: the parsed body (``None`` for bodiless responses) and the
        ``httpx.Response``.

        Raises :class:`~bucketry_api.errors.ApiError` (``ClientError`` for 4xx, ``ServerError``
        for 5xx, ``UnexpectedStatusError`` otherwise) when the status is not 2xx.
        """
        response = self._client.get_httpx_client().request(
            **_projects_update._get_kwargs(
                project_id=project_id,
                body=body,
            )
        )
        raise_for_status(response)
        data = _projects_update._parse_response(client=self._client, response=response)
        return cast("Project", data), response


__all__ = ["ProjectsApi"]
