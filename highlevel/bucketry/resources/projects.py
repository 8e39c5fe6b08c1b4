"""Projects: the repo ``client.projects`` (create, get, list, update, delete) and ``Project``,
whose ``assets`` reach the project's assets and ``connect()`` links a bucket to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bucketry_api.models import Project as ProjectModel
from bucketry_api.models import ProjectCreate, ProjectUpdate

from ..pagination import Pager
from ..types import Session, arg
from ._base import Entity, Repo

if TYPE_CHECKING:
    from .assets import AssetsRepo
    from .buckets import Bucket
    from .connections import Connection, ConnectionsRepo

__all__ = ["INPUT_TYPES", "Project", "ProjectsRepo"]

#: What a project's assets may hold (``input_type``).
INPUT_TYPES = ("IMAGE", "TEXT", "PDF", "VIDEO", "AUDIO", "GEOSPATIAL", "LLM", "OTHER")


class Project(Entity[ProjectModel]):
    """A labelling project: ``title``, ``description``, ``input_type``, ``json_interface``,
    ``owner``, ``org``, ``number_of_assets``. Lazy when built from an id (no request until
    a field is read)."""

    _fields = ("id", "title", "input_type", "number_of_assets")

    def __init__(self, session: Session, ref: str, model: ProjectModel | None = None) -> None:
        super().__init__(session, model)
        self._ref = ref

    def _fetch(self) -> ProjectModel:
        return self._session.call(self._session.api.projects.get, self._ref)

    @property
    def id(self) -> str:
        """The project id (``prj_…``)."""
        return self._ref if self._model is None else self.model.id

    @property
    def title(self) -> str:
        """The project's title."""
        return self.model.title

    @property
    def description(self) -> str | None:
        """The description, if any."""
        value = self.model.description
        return value if isinstance(value, str) else None

    @property
    def input_type(self) -> str:
        """The kind of data its assets hold (one of :data:`INPUT_TYPES`)."""
        return str(self.model.input_type)

    @property
    def json_interface(self) -> dict[str, Any] | None:
        """The labelling interface (jobs and categories), if any."""
        value = self.to_dict().get("json_interface")
        return value if isinstance(value, dict) else None

    @property
    def owner(self) -> str:
        """The user who created it."""
        return self.model.owner

    @property
    def org(self) -> str | None:
        """The organization it belongs to, if any."""
        value = self.model.org
        return value if isinstance(value, str) else None

    @property
    def number_of_assets(self) -> int:
        """How many assets it holds (as last read: ``refresh()`` to update)."""
        return self.model.number_of_assets

    @property
    def created_at(self) -> datetime:
        """When it was created."""
        return self.model.created_at

    @property
    def assets(self) -> AssetsRepo:
        """The project's assets: ``list``, ``count``, ``append``, ``update``, ``delete``..."""
        from .assets import AssetsRepo

        return AssetsRepo(self._session, self.id)

    @property
    def connections(self) -> ConnectionsRepo:
        """The connections of buckets to this project (``list``, ``get``)."""
        from .connections import ConnectionsRepo

        return ConnectionsRepo(self._session, project_id=self.id)

    def connect(
        self,
        bucket: str | Bucket,
        *,
        selected_folders: Sequence[str] | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
    ) -> Connection:
        """Connect a bucket (a ``Bucket``, its id or name; managed or imported) to this
        project: ``selected_folders`` (prefixes; none = the whole bucket), ``include`` and
        ``exclude`` (globs over keys; no ``include`` = every key). Nothing is imported until
        :meth:`Connection.sync`. Raises ``NotFoundError`` (no such bucket or project),
        ``ConflictError`` (already connected) or ``UnprocessableEntityError`` (a bad glob)."""
        return self.connections.create(
            bucket, selected_folders=selected_folders, include=include, exclude=exclude
        )

    def update(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        json_interface: dict[str, Any] | None = None,
    ) -> Project:
        """Change the title, description or interface (``None`` leaves a field as it is);
        returns ``self`` refreshed. Raises ``PermissionDeniedError`` or
        ``UnprocessableEntityError`` (e.g. an empty title)."""
        changes = {
            k: v
            for k, v in (
                ("title", title),
                ("description", description),
                ("json_interface", json_interface),
            )
            if v is not None
        }
        body = ProjectUpdate.from_dict(changes)
        self._model = self._session.call(self._session.api.projects.update, self.id, body=body)
        return self

    def delete(self) -> None:
        """Delete the project with its assets, labels and connections (the buckets' files
        stay). Raises ``NotFoundError`` or ``PermissionDeniedError``."""
        self._session.call(self._session.api.projects.delete, self.id)


class ProjectsRepo(Repo[Project]):
    """``client.projects``: create, get, list, update and delete projects."""

    def create(
        self,
        title: str,
        *,
        description: str | None = None,
        input_type: str = "IMAGE",
        json_interface: dict[str, Any] | None = None,
        org: str | None = None,
    ) -> Project:
        """Create a project. ``input_type``: one of :data:`INPUT_TYPES` (default ``IMAGE``);
        ``org``: an organization of the caller (default: the client's ``X-Organization``).
        Raises ``ValueError`` for an unknown input type (before any request),
        ``UnprocessableEntityError`` for a field the server refuses, ``PermissionDeniedError``
        for an organization the caller is not in."""
        if input_type not in INPUT_TYPES:
            raise ValueError(f"input_type must be one of {', '.join(INPUT_TYPES)}: {input_type!r}")
        data: dict[str, Any] = {"title": title, "input_type": input_type}
        for key, value in (
            ("description", description),
            ("json_interface", json_interface),
            ("org", org),
        ):
            if value is not None:
                data[key] = value
        body = ProjectCreate.from_dict(data)
        model = self._session.call(self._session.api.projects.create, body=body)
        return Project(self._session, model.id, model)

    def get(self, project_id: str) -> Project:
        """Fetch a project by id (raises ``NotFoundError`` naming it)."""
        return Project(self._session, project_id).refresh()

    def __call__(self, project_id: str) -> Project:
        """A lazy handle (no request): ``client.projects("prj_…").assets.count()``."""
        return Project(self._session, project_id)

    def list(
        self,
        *,
        search: str | None = None,
        org: str | None = None,
        page_size: int = 100,
        first: int | None = None,
        skip: int = 0,
    ) -> Pager[Project]:
        """Lazily list the projects you can see (yours and your organizations'), as a
        :class:`~bucketry.Pager` of ``Project``. ``search``: a case-insensitive substring of
        the title or description; ``org``: only this organization's. ``page_size``, ``first``
        and ``skip`` as in :class:`~bucketry.Pager`."""
        session = self._session
        return self._pager(
            session.api.projects.list,
            lambda m: Project(session, m.id, m),
            search=arg(search),
            org=arg(org),
            page_size=page_size,
            first=first,
            skip=skip,
        )

    def update(
        self,
        project_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        json_interface: dict[str, Any] | None = None,
    ) -> Project:
        """Change a project's fields (see :meth:`Project.update`); returns it."""
        return Project(self._session, project_id).update(
            title=title, description=description, json_interface=json_interface
        )

    def delete(self, project_id: str) -> None:
        """Delete a project (see :meth:`Project.delete`)."""
        Project(self._session, project_id).delete()
