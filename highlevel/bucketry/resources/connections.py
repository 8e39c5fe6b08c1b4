"""Connections of a bucket to a project (``project.connect(bucket)``,
``client.connections``): ``diff()`` computes what a synchronisation would do, ``sync()`` does
it (``dry_run=True``: returns the plan and changes nothing at all). A large sync runs as a
server operation: the SDK waits on it with a progress bar."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bucketry_api.models import Connection as ConnectionModel
from bucketry_api.models import ConnectionCreate, ConnectionSyncRequest
from bucketry_api.models import Operation as OperationModel

from ..pagination import Pager
from ..progress import ProgressCallback
from ..types import Session, arg, model_dict
from ._base import Entity, Repo

if TYPE_CHECKING:
    from .buckets import Bucket
    from .operations import Operation

__all__ = ["Connection", "ConnectionPlan", "ConnectionsRepo", "SyncOutcome"]


@dataclass(frozen=True)
class ConnectionPlan:
    """What a synchronisation does: ``to_add`` (files without an asset: ``key``,
    ``external_id``, ``size``), ``to_remove`` (assets whose file is gone: ``asset_id``,
    ``external_id``, ``key``), ``unchanged`` (files already assets) and ``conflicting`` (keys
    another asset of the project already uses as external id). The lists may stop early
    (the server's ``plan_limit``); ``add_count``/``remove_count`` are always complete."""

    to_add: list[dict[str, Any]] = field(default_factory=list)
    to_remove: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    conflicting: int = 0
    add_count: int = 0
    remove_count: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConnectionPlan:
        """The plan of a ``ConnectionDiff`` body (counts default to the lists' lengths)."""
        to_add = list(data.get("to_add") or [])
        to_remove = list(data.get("to_remove") or [])
        return cls(
            to_add=to_add,
            to_remove=to_remove,
            unchanged=int(data.get("unchanged") or 0),
            conflicting=int(data.get("conflicting") or 0),
            add_count=int(data.get("to_add_count", len(to_add))),
            remove_count=int(data.get("to_remove_count", len(to_remove))),
        )

    @property
    def empty(self) -> bool:
        """True when a sync would change nothing."""
        return not self.add_count and not self.remove_count

    def summary(self) -> str:
        """One line: ``+N to add, -M to remove, K unchanged`` (and conflicts)."""
        line = (
            f"+{self.add_count} to add, -{self.remove_count} to remove, {self.unchanged} unchanged"
        )
        if self.conflicting:
            line += f", {self.conflicting} conflicting"
        return line


@dataclass(frozen=True)
class SyncOutcome:
    """The result of ``connection.sync``: the ``plan``, whether it was a ``dry_run`` (then
    ``added`` and ``removed`` are 0 and nothing changed), what was done, the connection as it
    is now, and the server ``operation`` that ran it (``None`` when it ran in the request)."""

    dry_run: bool
    plan: ConnectionPlan
    added: int = 0
    removed: int = 0
    connection: dict[str, Any] | None = None
    operation: Operation | None = None

    def summary(self) -> str:
        """One line: the plan, then what was applied (or that it was a dry run)."""
        if self.dry_run:
            return f"dry run: {self.plan.summary()} (nothing changed)"
        return f"{self.plan.summary()}; added {self.added}, removed {self.removed}"

    @classmethod
    def from_dict(cls, data: dict[str, Any], operation: Operation | None = None) -> SyncOutcome:
        """The outcome of a ``ConnectionSyncResult`` body, or of a CONNECTION_SYNC
        operation's result (no plan lists: its counts only)."""
        connection = data.get("connection")
        if "plan" in data or operation is None:
            plan = ConnectionPlan.from_dict(data.get("plan") or {})
        else:
            plan = ConnectionPlan(
                unchanged=int(data.get("unchanged") or 0),
                conflicting=int(data.get("conflicting") or 0),
                add_count=int(data.get("to_add_count", data.get("added")) or 0),
                remove_count=int(data.get("to_remove_count", data.get("removed")) or 0),
            )
        return cls(
            dry_run=bool(data.get("dry_run", False)),
            plan=plan,
            added=int(data.get("added") or 0),
            removed=int(data.get("removed") or 0),
            connection=connection if isinstance(connection, dict) else None,
            operation=operation,
        )


class Connection(Entity[ConnectionModel]):
    """A bucket connected to a project: ``project_id``, ``bucket_id``, ``selected_folders``,
    ``include``, ``exclude``, ``last_checked``, ``number_of_assets``."""

    _fields = ("id", "project_id", "bucket_id", "number_of_assets")

    def __init__(self, session: Session, ref: str, model: ConnectionModel | None = None) -> None:
        super().__init__(session, model)
        self._ref = ref

    def _fetch(self) -> ConnectionModel:
        return self._session.call(self._session.api.connections.get, self._ref)

    @property
    def id(self) -> str:
        """The connection id (``con_…``)."""
        return self._ref if self._model is None else self.model.id

    @property
    def project_id(self) -> str:
        """The project it feeds."""
        return self.model.project_id

    @property
    def bucket_id(self) -> str:
        """The bucket it reads."""
        return self.model.bucket_id

    @property
    def selected_folders(self) -> builtins.list[str]:
        """The prefixes synchronised (empty: the whole bucket)."""
        return builtins.list(self.model.selected_folders)

    @property
    def include(self) -> builtins.list[str]:
        """Globs a key must match (empty: every key)."""
        return builtins.list(self.model.include)

    @property
    def exclude(self) -> builtins.list[str]:
        """Globs that drop a key."""
        return builtins.list(self.model.exclude)

    @property
    def number_of_assets(self) -> int:
        """Assets created by this connection (as last read)."""
        return self.model.number_of_assets

    @property
    def last_checked(self) -> datetime | None:
        """When it was last synchronised (not by a dry run), if ever."""
        value = self.model.last_checked
        return value if isinstance(value, datetime) else None

    def diff(self, *, plan_limit: int = 100) -> ConnectionPlan:
        """The differences between the bucket's files and the project's assets (reads only,
        changes nothing): complete counts, and at most ``plan_limit`` (up to 10,000) items
        listed on each side. Raises ``NotFoundError``, ``PermissionDeniedError``, or
        ``UnprocessableEntityError`` for a bad ``plan_limit``."""
        data = self._session.call(
            self._session.api.connections.diff, self.id, plan_limit=plan_limit
        )
        return ConnectionPlan.from_dict(model_dict(data))

    def sync(
        self,
        *,
        delete_extraneous_files: bool = False,
        dry_run: bool = False,
        plan_limit: int = 100,
        as_operation: bool = False,
        wait: bool = True,
        timeout: float | None = None,
        progress: bool | ProgressCallback | None = None,
    ) -> SyncOutcome:
        """Synchronise: add an asset (``bkt://`` content, the key as external id) for each
        new file and, with ``delete_extraneous_files``, delete the assets whose file is gone.
        ``dry_run=True`` returns the plan and changes nothing (not even ``last_checked``);
        the plan lists at most ``plan_limit`` items per side (its counts are complete).
        When the server runs the sync as an operation (202: a large bucket, or
        ``as_operation=True``, ignored by a dry run), it is waited on (``progress``: a
        bar on a TTY; ``timeout`` seconds at most) unless ``wait=False`` — then the outcome
        carries the running ``operation`` and an empty plan. Raises ``NotFoundError``,
        ``PermissionDeniedError``, ``ConflictError`` (a sync already running), and from the
        wait ``OperationFailed``/``OperationTimeoutError``."""
        from .operations import Operation

        body = ConnectionSyncRequest(
            dry_run=dry_run,
            delete_extraneous_files=delete_extraneous_files,
            plan_limit=plan_limit,
            as_operation=as_operation,
        )
        data, response = self._session.call_raw(
            self._session.api.connections.sync, self.id, body=body
        )
        if response.status_code != 202:
            outcome = SyncOutcome.from_dict(model_dict(data))
        else:
            model = (
                data
                if isinstance(data, OperationModel)
                else OperationModel.from_dict(response.json())
            )
            op = Operation(self._session, model)
            if not wait:
                return SyncOutcome(dry_run, ConnectionPlan(), operation=op)
            op.wait(timeout, progress=progress)
            outcome = SyncOutcome.from_dict(op.result or {}, operation=op)
        self._model = None
        return outcome

    def delete(self) -> None:
        """Remove the connection; the assets it created stay in the project. Raises
        ``NotFoundError`` or ``PermissionDeniedError``."""
        self._session.call(self._session.api.connections.delete, self.id)


class ConnectionsRepo(Repo[Connection]):
    """``client.connections`` (or ``project.connections``: only that project's)."""

    def __init__(self, session: Session, *, project_id: str | None = None) -> None:
        super().__init__(session)
        self.project_id = project_id

    def create(
        self,
        bucket: str | Bucket,
        *,
        project: str | None = None,
        selected_folders: Sequence[str] | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
    ) -> Connection:
        """Connect ``bucket`` (a ``Bucket``, id or name) to ``project`` (an id; default the
        repo's project); see :meth:`Project.connect`. Raises ``ValueError`` without a
        project, ``TypeError`` for a string where a list of globs or folders is expected."""
        project_id = project or self.project_id
        if not project_id:
            raise ValueError("connections.create needs project= (a project id)")
        data: dict[str, Any] = {"project_id": project_id, "bucket": _bucket_ref(bucket)}
        for name, value in (
            ("selected_folders", selected_folders),
            ("include", include),
            ("exclude", exclude),
        ):
            if value is None:
                continue
            if isinstance(value, str):
                raise TypeError(f"{name} must be a list of strings, not a string")
            data[name] = builtins.list(value)
        body = ConnectionCreate.from_dict(data)
        model = self._session.call(self._session.api.connections.create, body=body)
        return Connection(self._session, model.id, model)

    def get(self, connection_id: str) -> Connection:
        """Fetch a connection by id (raises ``NotFoundError`` naming it)."""
        return Connection(self._session, connection_id).refresh()

    def __call__(self, connection_id: str) -> Connection:
        """A lazy handle (no request): ``client.connections("con_…").sync(dry_run=True)``."""
        return Connection(self._session, connection_id)

    def list(self, *, bucket: str | None = None, page_size: int = 100) -> Pager[Connection]:
        """Lazily list the connections you can see: of this repo's project (if any) and of
        ``bucket`` (id or name) when given."""
        session = self._session
        return self._pager(
            session.api.connections.list,
            lambda m: Connection(session, m.id, m),
            project_id=arg(self.project_id),
            bucket=arg(bucket),
            page_size=page_size,
        )


def _bucket_ref(bucket: Any) -> str:
    if isinstance(bucket, str):
        return bucket
    ref = getattr(bucket, "ref", None)
    if isinstance(ref, str) and ref:
        return ref
    raise TypeError(f"not a bucket name, id or Bucket: {bucket!r}")
