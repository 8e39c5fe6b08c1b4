"""One asset and its labels: read, update, label, list labels (no request needed).

Every function checks the asset's project with :func:`projects.service.get_project`, so an
asset of a project the caller cannot see is 404 like an unknown id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.principals import Principal
from ..errors import Conflict, not_found
from ..models import Asset, Label, Project, User
from ..pagination import decode_cursor, encode_cursor
from ..projects.service import can_see_project
from ..timeutil import utcnow
from . import states
from .contents import check_content
from .rows import ordered_id, replace_categories, replace_meta
from .views import LABEL_FIELDS, asset_json, label_json, load_latest

#: Fields of ``AssetUpdate`` that are plain column assignments.
PLAIN = (
    "json_content",
    "priority",
    "consensus_mark",
    "honeypot_mark",
    "is_honeypot",
    "is_used_for_consensus",
    "to_be_labeled_by",
    "skipped",
)


def get_asset(session: Session, p: Principal, asset_id: str, *, lock: bool = False) -> Asset:
    """The asset ``asset_id`` if ``p`` sees its project, else ``NotFound``; ``lock`` takes a
    row lock (PostgreSQL) for a read-modify-write."""
    stmt = select(Asset).where(Asset.id == asset_id)
    asset = session.scalar(stmt.with_for_update() if lock else stmt)
    p.require_unscoped()
    project = session.get(Project, asset.project_id) if asset is not None else None
    if asset is None or project is None or not can_see_project(p, project):
        raise not_found(f"asset {asset_id!r}")
    return asset


def label_types(session: Session, asset_ids: list[str]) -> dict[str, set[str]]:
    """The label types each asset of ``asset_ids`` has (one query)."""
    out: dict[str, set[str]] = {a: set() for a in asset_ids}
    if asset_ids:
        rows = session.execute(
            select(Label.asset_id, Label.label_type).where(Label.asset_id.in_(asset_ids)).distinct()
        ).all()
        for asset_id, kind in rows:
            out[asset_id].add(kind)
    return out


def asset_view(session: Session, asset: Asset) -> dict[str, Any]:
    """The spec's full ``Asset`` with its latest label."""
    latest = load_latest(
        session, [asset.latest_label_id] if asset.latest_label_id else [], LABEL_FIELDS
    )
    return asset_json(asset, latest=latest)


def apply_changes(session: Session, p: Principal, asset: Asset, changes: dict[str, Any]) -> None:
    """Apply ``AssetUpdate`` fields to ``asset`` (content checked as on append, a new
    ``external_id`` unique in the project, ``status`` by the state machine). Raises
    ``Invalid``/``NotFound`` for bad content, ``Conflict`` (``external_id_taken``,
    ``illegal_status``)."""
    if "content" in changes:
        asset.content = check_content(session, p, changes["content"])
    new_external = changes.get("external_id")
    if new_external is not None and new_external != asset.external_id:
        taken = session.scalar(
            select(Asset.id).where(
                Asset.project_id == asset.project_id, Asset.external_id == new_external
            )
        )
        if taken is not None:
            raise Conflict(
                "external_id_taken", f"external id {new_external!r} is taken in this project"
            )
        asset.external_id = new_external
    if changes.get("status") is not None and changes["status"] != asset.status:
        kinds = label_types(session, [asset.id])[asset.id]
        asset.status = states.check_direct(changes["status"], kinds)
    for name in PLAIN:
        if name in changes and (
            changes[name] is not None or name in ("json_content", "consensus_mark", "honeypot_mark")
        ):
            setattr(asset, name, changes[name])
    if changes.get("json_metadata") is not None:
        asset.json_metadata = changes["json_metadata"]
        replace_meta(session, asset.project_id, asset.id, asset.json_metadata)
    asset.updated_at = utcnow()


def update_asset(session: Session, p: Principal, asset_id: str, changes: dict[str, Any]) -> Asset:
    """Partially update one asset (see :func:`apply_changes`); raises as it does, and
    ``NotFound`` for an asset the caller cannot see."""
    asset = get_asset(session, p, asset_id, lock=True)
    apply_changes(session, p, asset, changes)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent rename took the external id first
        raise Conflict("external_id_taken", "the new external id is taken in this project") from exc
    return asset


def create_label(
    session: Session,
    p: Principal,
    asset_id: str,
    *,
    json_response: dict[str, Any],
    label_type: str = "DEFAULT",
    seconds_to_label: float | None = None,
    consensus_mark: float | None = None,
    honeypot_mark: float | None = None,
) -> tuple[Label, str]:
    """Add a label by the caller to a visible asset: it becomes the asset's latest label (its
    categories feed ``label_category_search``) and moves the status (:mod:`.states`).
    Returns the label and its author's name. Raises ``NotFound``, or ``Conflict``
    (``not_labeled``) for a REVIEW label on an asset not labelled yet."""
    user_id = p.require_unscoped()
    asset = get_asset(session, p, asset_id, lock=True)
    now = utcnow()
    asset.status = states.after_label(asset.status, label_type)
    label = Label(
        id=ordered_id("lbl"),
        asset_id=asset.id,
        author_id=user_id,
        label_type=label_type,
        json_response=json_response,
        consensus_mark=consensus_mark,
        honeypot_mark=honeypot_mark,
        seconds_to_label=seconds_to_label,
        created_at=now,
    )
    session.add(label)
    asset.latest_label_id = label.id
    asset.updated_at = now
    session.flush()
    replace_categories(session, asset.id, json_response)
    return label, p.user_name or user_id


def list_labels(
    session: Session,
    p: Principal,
    asset_id: str,
    *,
    label_type_in: list[str] | None,
    cursor: str | None,
    page_size: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """A keyset page of a visible asset's labels, oldest first, optionally of some types."""
    asset = get_asset(session, p, asset_id)
    after = decode_cursor(cursor, 1, "labels", [str])
    stmt = (
        select(Label, User.name)
        .join(User, User.id == Label.author_id)
        .where(Label.asset_id == asset.id)
    )
    if label_type_in:
        stmt = stmt.where(Label.label_type.in_(label_type_in))
    if after is not None:
        stmt = stmt.where(Label.id > after[0])
    rows = session.execute(stmt.order_by(Label.id).limit(page_size + 1)).all()
    nxt = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        nxt = encode_cursor([rows[-1][0].id], "labels")
    return [label_json(label, author) for label, author in rows], nxt
