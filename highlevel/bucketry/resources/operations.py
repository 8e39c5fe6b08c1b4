"""Server-side storage operations (``client.operations``): copy, import from a URL, export,
delete a prefix. The server does the work (bytes never pass through this machine); the SDK
starts an operation (the server answers 202 at once), watches it and waits for its end::

    op = client.operations.copy("bkt://raw/2024/", "bkt://archive/2024/")
    op.wait()                      # a progress bar on a TTY; raises if it did not succeed
    op.result                      # {"copied": 120, "skipped": 0, "bytes": 7864320}

Locations are ``bkt://bucket/key`` URIs (a key ending in ``/``, or none, is a prefix),
:class:`~bucketry.Bucket` objects (the whole bucket), :class:`~bucketry.Blob` objects, or
``(bucket, key)`` pairs whose bucket is a name, an id or a ``Bucket``.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bucketry_api.models import Operation as OperationModel
from bucketry_api.models import OperationCreate
from bucketry_api.models.operation_kind import OPERATION_KIND_VALUES
from bucketry_api.models.operation_status import OPERATION_STATUS_VALUES

from ..errors import (
    ApiError,
    OperationCancelledError,
    OperationFailed,
    OperationTimeoutError,
    about,
)
from ..pagination import Pager
from ..progress import ProgressCallback, Reporter, resolve_progress
from ..types import Session, arg, model_dict, opt
from ..uri import PREFIX, format_uri, parse_uri
from ._base import Entity, Repo

if TYPE_CHECKING:
    from typing import TypeAlias

    from .blobs import Blob
    from .buckets import Bucket

    #: Where an operation reads or writes (see the module docstring).
    Location: TypeAlias = str | Bucket | Blob | tuple[str | Bucket, str]

#: Statuses after which an operation never changes again.
FINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
MiB = 1024 * 1024


def location(value: Any, what: str = "location") -> str:
    """The ``bkt://bucket/key`` URI of a location: a ``bkt://`` string (checked), a ``Bucket``
    (its root), a ``Blob``, or a ``(bucket, key)`` pair (``bucket`` a name, id or ``Bucket``).
    Raises ``ValueError`` naming ``what`` for anything else."""
    if isinstance(value, str):
        try:
            parse_uri(value)
        except ValueError:
            raise ValueError(
                f"{what}: expected a {PREFIX}BUCKET[/KEY] URI, a Bucket, a Blob or "
                f"(bucket, key), not {value!r}"
            ) from None
        return value
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        return format_uri(_bucket_ref(value[0], what), value[1])
    if hasattr(value, "key") and hasattr(value, "bucket"):  # a Blob
        return format_uri(_bucket_ref(value.bucket, what), str(value.key))
    return format_uri(_bucket_ref(value, what))


def _bucket_ref(bucket: Any, what: str) -> str:
    if isinstance(bucket, str) and bucket and "/" not in bucket:
        return bucket
    ref = getattr(bucket, "ref", None)
    if isinstance(ref, str) and ref:
        return ref
    raise ValueError(f"{what}: not a bucket name, id or Bucket: {bucket!r}")


@dataclass(frozen=True)
class OperationProgress:
    """How far an operation got: ``done`` of ``total`` items and ``bytes_done`` of
    ``bytes_total`` bytes (totals ``None`` while unknown)."""

    done: int = 0
    total: int | None = None
    bytes_done: int = 0
    bytes_total: int | None = None

    @property
    def fraction(self) -> float | None:
        """Share done, 0.0 to 1.0, by bytes when their total is known, else by items."""
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.total:
            return min(1.0, self.done / self.total)
        return None


class Operation(Entity[OperationModel]):
    """One server-side operation. Its fields are as last read: :meth:`refresh` reads them
    again, :meth:`wait` polls until the operation ends, :meth:`cancel` asks it to stop."""

    _fields = ("id", "kind", "status")

    def __init__(self, session: Session, model: OperationModel) -> None:
        super().__init__(session, model)
        self._id = model.id

    @property
    def model(self) -> OperationModel:
        """The generated ``Operation`` model."""
        model: OperationModel = super().model
        return model

    def _fetch(self) -> OperationModel:
        return self._session.call(self._session.api.operations.get, self._id)

    @property
    def id(self) -> str:
        """The operation's id (``op_…``)."""
        return self._id

    @property
    def kind(self) -> str:
        """``COPY``, ``IMPORT_URL``, ``EXPORT``, ``DELETE_PREFIX`` or ``CONNECTION_SYNC``."""
        return str(self.model.kind)

    @property
    def status(self) -> str:
        """``PENDING``, ``RUNNING``, ``SUCCEEDED``, ``FAILED`` or ``CANCELLED``."""
        return str(self.model.status)

    @property
    def done(self) -> bool:
        """Whether the operation has ended (succeeded, failed or was cancelled)."""
        return self.status in FINAL

    @property
    def progress(self) -> OperationProgress:
        """Items and bytes done, with their totals when known."""
        p = self.model.progress
        return OperationProgress(
            done=int(p.done),
            total=opt(p.total),
            bytes_done=int(opt(p.bytes_done) or 0),
            bytes_total=opt(p.bytes_total),
        )

    @property
    def error(self) -> dict[str, Any] | None:
        """The server's problem details when FAILED (``code``, ``detail``, ``status``)."""
        value = opt(self.model.error)
        return model_dict(value) if value is not None else None

    @property
    def result(self) -> dict[str, Any] | None:
        """The kind's outcome once SUCCEEDED (COPY: ``copied``, ``skipped``, ``bytes``)."""
        value = opt(self.model.result)
        return model_dict(value) if value is not None else None

    @property
    def params(self) -> dict[str, Any]:
        """The request that started it (``source``, ``destination``, ``dry_run``...)."""
        value = opt(self.model.params)
        return model_dict(value) if value is not None else {}

    @property
    def cancel_requested(self) -> bool:
        """Whether someone asked it to stop."""
        return bool(opt(self.model.cancel_requested))

    @property
    def created_at(self) -> datetime:
        """When it was accepted."""
        return self.model.created_at

    @property
    def finished_at(self) -> datetime | None:
        """When it ended (``None`` while it runs)."""
        value: datetime | None = opt(self.model.finished_at)
        return value

    def cancel(self) -> Operation:
        """Ask the server to stop it: it ends CANCELLED within about a second and leaves no
        half-written blob. Returns ``self`` as the server answered (CANCELLED, or finished
        if it ended first). Raises ``ConflictError`` once it has ended."""
        self._model = self._session.call(self._session.api.operations.cancel, self._id)
        return self

    def wait(
        self,
        timeout: float | None = None,
        *,
        poll: float = 0.2,
        max_poll: float = 5.0,
        progress: bool | ProgressCallback | None = None,
    ) -> Operation:
        """Poll until the operation ends and return ``self`` when it SUCCEEDED.

        Polls first after ``poll`` seconds, then 1.5 times longer each time up to
        ``max_poll`` (never past the ``timeout``). ``progress``: ``True`` a tqdm bar (the
        default on a TTY), ``False`` none, or a callback receiving
        :class:`~bucketry.ProgressEvent` s (task ``"copy"``, ``"import"``, ``"export"``,
        ``"delete"``...; in bytes when the byte total is known, else in items).

        Raises :class:`~bucketry.OperationFailed` (with the server's ``problem``) when it
        FAILED, :class:`~bucketry.OperationCancelledError` when it was CANCELLED, and
        :class:`~bucketry.OperationTimeoutError` (a ``TimeoutError``) when ``timeout``
        seconds pass first; the operation itself goes on then."""
        if poll <= 0 or max_poll < poll:
            raise ValueError("poll must be positive and max_poll >= poll")
        deadline = None if timeout is None else time.monotonic() + timeout
        watch = _Watch(self, resolve_progress(progress, self._session.progress))
        interval = poll
        try:
            watch.update()
            while not self.done:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise OperationTimeoutError(
                        f"operation {self.id!r} still {self.status} after {timeout} s",
                        operation_id=self.id,
                        operation=self,
                    )
                time.sleep(interval if left is None else min(interval, left))
                interval = min(interval * 1.5, max_poll)
                self.refresh()
                watch.update()
        except BaseException as exc:
            watch.close(str(exc) or type(exc).__name__)
            raise
        watch.close(None if self.status == "SUCCEEDED" else self.status)
        return self._outcome()

    def _outcome(self) -> Operation:
        if self.status == "FAILED":
            problem = self.error or {}
            why = problem.get("detail") or problem.get("title") or "no reason given"
            code = problem.get("code")
            raise OperationFailed(
                f"operation {self.id!r} ({self.kind}) failed: {why}"
                + (f" [{code}]" if code else ""),
                operation_id=self.id,
                problem=problem,
                operation=self,
            )
        if self.status == "CANCELLED":
            raise OperationCancelledError(
                f"operation {self.id!r} ({self.kind}) was cancelled",
                operation_id=self.id,
                operation=self,
            )
        return self


_TASKS = {
    "COPY": "copy",
    "IMPORT_URL": "import",
    "EXPORT": "export",
    "DELETE_PREFIX": "delete",
    "CONNECTION_SYNC": "sync",
}


class _Watch:
    """Feeds an operation's progress to a reporter: the task starts once a total is known
    (so a bar is sized), in bytes when the byte total is known, else in items."""

    def __init__(self, op: Operation, reporter: Reporter) -> None:
        self._op = op
        self._reporter = reporter
        self._task = _TASKS.get(op.kind, op.kind.lower())
        self._unit: str | None = None
        self._shown = 0

    def _now(self) -> int:
        p = self._op.progress
        return p.bytes_done if self._unit == "B" else p.done

    def update(self) -> None:
        """Start the task when its size is known (or the operation ended), then advance."""
        p = self._op.progress
        if self._unit is None:
            total: int | None
            if p.bytes_total is not None:
                self._unit, total = "B", p.bytes_total
            elif p.total is not None or self._op.done:
                self._unit, total = "item", p.total
            else:
                return
            self._reporter.start(self._task, self._op.id, total, self._unit)
        now = self._now()
        if now > self._shown:
            self._reporter.advance(self._task, self._op.id, now - self._shown, self._unit)
            self._shown = now

    def close(self, error: str | None) -> None:
        """Finish the task (or fail it with ``error``) if it was started."""
        if self._unit is None:
            return
        if error is None:
            self._reporter.finish(self._task, self._op.id)
        else:
            self._reporter.fail(self._task, self._op.id, error)


class OperationsRepo(Repo[Operation]):
    """``client.operations``: start server-side operations, list them, get one by id."""

    def _start(self, body: OperationCreate, idempotency_key: str | None) -> Operation:
        """Create the operation; an error names the kind and its locations (the request URL
        names none; a URL to import is left out, it may carry a secret)."""
        try:
            model = self._session.call(
                self._session.api.operations.create,
                body=body,
                idempotency_key=arg(idempotency_key),
            )
        except ApiError as exc:
            where = [opt(body.source), opt(body.destination)]
            raise about(exc, f"{body.kind} {' -> '.join(w for w in where if w)}") from None
        return Operation(self._session, model)

    def copy(
        self,
        src: Location,
        dst: Location,
        *,
        overwrite: bool = True,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Copy one blob, or every blob under a prefix, on the server (within or across
        buckets, managed or imported). ``src``/``dst``: locations (module docstring); a
        prefix goes to a prefix (``bkt://b/dir/``), a blob copied to a prefix keeps its
        name. ``overwrite=False`` skips keys that exist (counted in ``result["skipped"]``).
        ``idempotency_key``: a retried call with the same key returns the same operation.
        Returns the started operation (call :meth:`Operation.wait`). Raises
        ``NotFoundError``, ``PermissionDeniedError`` or ``BadRequestError`` at once when a
        bucket, access or address is wrong."""
        body = OperationCreate(
            kind="COPY",
            source=location(src, "src"),
            destination=location(dst, "dst"),
            overwrite=overwrite,
        )
        return self._start(body, idempotency_key)

    def import_url(
        self, url: str, dst: Location, *, idempotency_key: str | None = None
    ) -> Operation:
        """Fetch an ``http``/``https`` ``url`` into the blob ``dst`` on the server (loopback
        and private addresses are refused by default). Returns the started operation; raises
        ``BadRequestError`` for a refused URL, ``ApiError`` 501 when the server does not run
        this kind."""
        body = OperationCreate(kind="IMPORT_URL", url=url, destination=location(dst, "dst"))
        return self._start(body, idempotency_key)

    def export(
        self,
        src: Location,
        bucket: Location,
        *,
        part_size: int | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Export a blob or prefix ``src`` to an imported (S3, Azure, GCS) ``bucket`` (a
        location: ``bkt://imported/dir/``, a ``Bucket`` or a name), multipart with parts of
        ``part_size`` bytes (a whole number of MiB, 5 MiB to 5 GiB; server default when
        ``None``; a server takes at most its ``BUCKETRY_EXPORT_MAX_PART_MB``, default 256 MiB,
        and answers 400 above). Returns the started operation; raises ``ValueError`` for a bad
        ``part_size``."""
        part_size_mb = None
        if part_size is not None:
            if part_size % MiB or not 5 * MiB <= part_size <= 5120 * MiB:
                raise ValueError(
                    f"part_size: a whole number of MiB from 5 MiB to 5 GiB, not {part_size}"
                )
            part_size_mb = part_size // MiB
        body = OperationCreate(
            kind="EXPORT",
            source=location(src, "src"),
            destination=location(bucket, "bucket"),
            part_size_mb=part_size_mb,
        )
        return self._start(body, idempotency_key)

    def delete(
        self, prefix: Location, *, dry_run: bool = False, idempotency_key: str | None = None
    ) -> Operation:
        """Delete every blob under ``prefix`` (a location whose key ends with ``/``; never a
        whole bucket) on the server, in chunks. ``dry_run=True`` only counts what would go
        (``result["matched"]``, ``result["bytes"]``). Returns the started operation; raises
        ``BadRequestError`` for an empty prefix or one without the final ``/``."""
        body = OperationCreate(
            kind="DELETE_PREFIX", source=location(prefix, "prefix"), dry_run=dry_run
        )
        return self._start(body, idempotency_key)

    def get(self, operation_id: str) -> Operation:
        """One operation by id (raises ``NotFoundError``, also for another user's)."""
        model = self._session.call(self._session.api.operations.get, operation_id)
        return Operation(self._session, model)

    def list(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        page_size: int = 100,
        first: int | None = None,
    ) -> Pager[Operation]:
        """Lazily list your operations (and your organization's), newest first, a page of
        ``page_size`` per request; ``status``/``kind`` filter (any case, e.g.
        ``status="running"``, ``kind="copy"``); ``first``: stop after that many. Raises
        ``ValueError`` for an unknown status or kind."""
        params: dict[str, Any] = {}
        if status is not None:
            params["status"] = _checked(status, OPERATION_STATUS_VALUES, "status")
        if kind is not None:
            params["kind"] = _checked(kind, OPERATION_KIND_VALUES, "kind")
        return self._pager(
            self._session.api.operations.list,
            lambda m: Operation(self._session, m),
            page_size=page_size,
            first=first,
            **params,
        )


def _checked(value: str, known: Collection[str], what: str) -> str:
    """``value`` in upper case (``delete`` stands for ``DELETE_PREFIX``); ``ValueError``
    naming ``what`` and the known values when it is none of them."""
    upper = "DELETE_PREFIX" if value.upper() == "DELETE" else value.upper()
    if upper not in known:
        raise ValueError(f"{what}: {value!r} is not one of {', '.join(sorted(known))}")
    return upper


__all__ = ["FINAL", "Operation", "OperationProgress", "OperationsRepo", "location"]
