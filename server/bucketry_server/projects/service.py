"""Project service: plain values in, domain errors out, no request needed.

Visibility: a project is seen and changed by its owner, the members of its organization and
administrators; anyone else gets 404 (its existence is not leaked). Bucket-scoped credentials
(temporary or persistent) reach buckets only, never projects (403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, true
from sqlalchemy.orm import Session

from ..accounts.access import resolve_org
from ..accounts.principals import Principal
from ..errors import not_found
from ..ids import new_id
from ..models import Asset, Org, Project, User
from ..pagination import keyset_page
from ..timeutil import iso, utcnow

INPUT_TYPES = ("IMAGE", "TEXT", "PDF", "VIDEO", "AUDIO", "GEOSPATIAL", "LLM", "OTHER")


def visible_projects(p: Principal) -> ColumnElement[bool]:
    """SQL condition: projects ``p`` may see (own, their orgs', everything for an admin)."""
    if p.is_admin:
        return true()
    return or_(Project.owner_id == p.user_id, Project.org_id.in_(sorted(p.org_ids)))


def can_see_project(p: Principal, project: Project) -> bool:
    """Whether ``p`` (a personal token) may see and change ``project``."""
    return p.is_admin or project.owner_id == p.user_id or project.org_id in p.org_ids


def get_project(session: Session, p: Principal, project_id: str) -> Project:
    """The project ``project_id`` if ``p`` may see it. Raises ``Unauthenticated`` without a user,
    ``Forbidden`` for bucket-scoped credentials and ``NotFound`` for an unknown or foreign id."""
    p.require_unscoped()
    project = session.get(Project, project_id)
    if project is None or not can_see_project(p, project):
        raise not_found(f"project {project_id!r}")
    return project


def create_project(
    session: Session,
    p: Principal,
    *,
    title: str,
    description: str | None = None,
    input_type: str = "IMAGE",
    json_interface: dict[str, Any] | None = None,
    org: str | None = None,
) -> Project:
    """Create a project owned by ``p``, in organization ``org`` (a slug; defaults to the
    request's ``X-Organization``). Raises ``Forbidden`` if ``p`` is not a member of the org or
    uses scoped credentials."""
    user_id = p.require_unscoped()
    slug = org or p.org_slug
    org_id = resolve_org(session, p, slug).id if slug else None
    now = utcnow()
    project = Project(
        id=new_id("prj"),
        title=title,
        description=description,
        input_type=input_type,
        json_interface=json_interface,
        owner_id=user_id,
        org_id=org_id,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    session.flush()
    return project


def update_project(
    session: Session, p: Principal, project_id: str, changes: dict[str, Any]
) -> Project:
    """Apply ``changes`` (title, description, json_interface) to a visible project; raises
    ``NotFound`` as :func:`get_project`."""
    project = get_project(session, p, project_id)
    for name in ("title", "description", "json_interface"):
        if name in changes:
            setattr(project, name, changes[name])
    project.updated_at = utcnow()
    session.flush()
    return project


def delete_project(session: Session, p: Principal, project_id: str) -> None:
    """Delete a visible project with its assets and labels (database cascade); raises
    ``NotFound`` as :func:`get_project`."""
    project = get_project(session, p, project_id)
    session.execute(delete(Project).where(Project.id == project.id))


def list_projects(
    session: Session,
    p: Principal,
    *,
    search: str | None,
    org: str | None,
    cursor: str | None,
    page_size: int,
) -> tuple[list[Project], str | None]:
    """A keyset page (by creation) of the projects ``p`` sees, optionally only those of org
    ``org`` (slug; 403 if not a member) or whose title/description contains ``search``
    (case-insensitive). Raises ``Invalid`` for a bad cursor."""
    p.require_unscoped()
    stmt = select(Project).where(visible_projects(p))
    slug = org or p.org_slug
    if slug:
        stmt = stmt.where(Project.org_id == resolve_org(session, p, slug).id)
    if search:
        pattern = (
            "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        stmt = stmt.where(
            or_(
                func.lower(Project.title).like(pattern, escape="\\"),
                func.lower(func.coalesce(Project.description, "")).like(pattern, escape="\\"),
            )
        )
    return keyset_page(
        session, stmt, [Project.created_at, Project.id], cursor, page_size, tag="projects"
    )


def asset_counts(session: Session, project_ids: list[str]) -> dict[str, int]:
    """Number of assets of each project in ``project_ids`` (one grouped query)."""
    if not project_ids:
        return {}
    rows = session.execute(
        select(Asset.project_id, func.count())
        .where(Asset.project_id.in_(project_ids))
        .group_by(Asset.project_id)
    ).all()
    return {pid: int(n) for pid, n in rows}


def project_json(
    session: Session, project: Project, number_of_assets: int | None = None
) -> dict[str, Any]:
    """The spec's ``Project`` for ``project``; counts its assets unless given."""
    if number_of_assets is None:
        number_of_assets = asset_counts(session, [project.id]).get(project.id, 0)
    owner = session.get(User, project.owner_id)
    org = session.get(Org, project.org_id) if project.org_id else None
    return {
        "id": project.id,
        "title": project.title,
        "description": project.description,
        "input_type": project.input_type,
        "json_interface": project.json_interface,
        "owner": owner.name if owner else project.owner_id,
        "org": org.slug if org else None,
        "number_of_assets": number_of_assets,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }


def touch(project: Project, now: datetime | None = None) -> None:
    """Mark ``project`` as changed now (its assets changed)."""
    project.updated_at = now or utcnow()
