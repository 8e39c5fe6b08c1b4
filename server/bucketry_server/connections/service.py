"""Connection rows: connect, list, get, delete, and their JSON (plain values in, domain errors
out, no request needed).

Access: a connection is seen and changed by whoever sees its project
(:func:`..projects.service.get_project`: owner, org members, admins; 404 to anyone else).
Connecting also needs read access to the bucket; a diff or sync re-checks it, so a caller
who lost the bucket cannot sync it any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from ..accounts.access import bucket_for_read, find_bucket
from ..accounts.principals import Principal
from ..errors import NotFound, not_found
from ..ids import new_id
from ..models import Asset, Bucket, Connection, Project
from ..pagination import keyset_page
from ..projects.service import get_project, visible_projects
from ..timeutil import iso, utcnow
from .selection import check_globs, normalise_folders


def get_connection(session: Session, p: Principal, connection_id: str) -> Connection:
    """The connection ``connection_id`` if ``p`` sees its project; raises ``NotFound``
    (also for a foreign one), ``Forbidden`` for bucket-scoped credentials."""
    p.require_unscoped()
    con = session.get(Connection, connection_id)
    if con is None:
        raise not_found(f"connection {connection_id!r}")
    try:
        get_project(session, p, con.project_id)
    except NotFound as exc:
        raise not_found(f"connection {connection_id!r}") from exc
    return con


def connection_bucket(session: Session, p: Principal, con: Connection) -> Bucket:
    """The connection's bucket if ``p`` may still read it; raises ``NotFound`` otherwise."""
    return find_bucket(session, p, con.bucket_id)


def create_connection(
    session: Session,
    p: Principal,
    *,
    project_id: str,
    bucket: str,
    selected_folders: Sequence[str] = (),
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Connection:
    """Connect bucket ``bucket`` (id or name, managed or imported) to project ``project_id``.

    The caller must see (and so may change) the project and read the bucket. Raises
    ``NotFound`` for either, ``Invalid`` naming a bad folder or glob."""
    user_id = p.require_unscoped()
    project = get_project(session, p, project_id)
    target = bucket_for_read(session, p, bucket)
    folders = normalise_folders(selected_folders)
    inc = check_globs("include", include)
    exc = check_globs("exclude", exclude)
    now = utcnow()
    con = Connection(
        id=new_id("con"),
        project_id=project.id,
        bucket_id=target.id,
        selected_folders=folders,
        include=inc,
        exclude=exc,
        last_checked=None,
        number_of_assets=0,
        owner_id=user_id,
        org_id=project.org_id,
        created_at=now,
        updated_at=now,
    )
    session.add(con)
    session.flush()
    return con


def delete_connection(session: Session, p: Principal, connection_id: str) -> None:
    """Delete a visible connection. Its assets stay in the project, unlinked
    (``connection_id`` set to null); raises ``NotFound`` as :func:`get_connection`."""
    con = get_connection(session, p, connection_id)
    session.execute(
        update(Asset)
        .where(Asset.project_id == con.project_id, Asset.connection_id == con.id)
        .values(connection_id=None)
    )
    session.delete(con)
    session.flush()


def list_connections(
    session: Session,
    p: Principal,
    *,
    project_id: str | None,
    bucket: str | None,
    cursor: str | None,
    page_size: int,
) -> tuple[list[Connection], str | None]:
    """A keyset page (by creation) of the connections ``p`` sees, optionally only those of
    project ``project_id`` or bucket ``bucket`` (id or name). Raises ``NotFound`` for a
    project or bucket the caller cannot see, ``Invalid`` for a bad cursor."""
    p.require_unscoped()
    conds: list[ColumnElement[bool]] = [
        Connection.project_id.in_(select(Project.id).where(visible_projects(p)))
    ]
    if project_id is not None:
        conds.append(Connection.project_id == get_project(session, p, project_id).id)
    if bucket is not None:
        conds.append(Connection.bucket_id == find_bucket(session, p, bucket).id)
    stmt = select(Connection).where(*conds)
    return keyset_page(
        session, stmt, [Connection.created_at, Connection.id], cursor, page_size, tag="cons"
    )


def connection_json(con: Connection) -> dict[str, Any]:
    """The spec's ``Connection``."""
    return {
        "id": con.id,
        "project_id": con.project_id,
        "bucket_id": con.bucket_id,
        "selected_folders": list(con.selected_folders),
        "include": list(con.include),
        "exclude": list(con.exclude),
        "last_checked": iso(con.last_checked) if con.last_checked else None,
        "number_of_assets": con.number_of_assets,
        "created_at": iso(con.created_at),
    }
