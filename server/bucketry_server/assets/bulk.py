"""Bulk mutations of a project's assets, each reporting every item on its own.

Work is done in batches of at most :data:`BATCH` items, one transaction each, so a large
request never holds one huge transaction and a failed item never undoes the others. Results
are ``{index, ok, id, external_id, error}`` where ``error`` is a problem (status, code, detail).
Duplicates are reported per item (never silently dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.principals import Principal
from ..db import Database
from ..errors import Conflict, DomainError, Invalid, NotFound
from ..models import Asset, AssetMeta
from ..problems import problem_body, status_of
from ..projects.service import get_project, touch
from ..timeutil import utcnow
from . import states
from .contents import check_content
from .rows import meta_rows, ordered_id
from .service import apply_changes, label_types

BATCH = 1000
Result = dict[str, Any]


def ok(index: int, asset_id: str | None, external_id: str | None) -> Result:
    """A successful item's result."""
    return {"index": index, "ok": True, "id": asset_id, "external_id": external_id, "error": None}


def failed(
    index: int, error: DomainError, asset_id: str | None = None, external_id: str | None = None
) -> Result:
    """A failed item's result carrying ``error`` as a problem."""
    problem = problem_body(status_of(error), error.code, error.detail)
    return {
        "index": index,
        "ok": False,
        "id": asset_id,
        "external_id": external_id,
        "error": problem,
    }


def summary(results: list[Result]) -> dict[str, Any]:
    """The spec's ``BulkResult``."""
    good = sum(1 for r in results if r["ok"])
    return {"results": results, "succeeded": good, "failed": len(results) - good}


def _batches(
    db: Database, items: Sequence[Any], work: Callable[[Session, int, Sequence[Any]], list[Result]]
) -> list[Result]:
    results: list[Result] = []
    for start in range(0, len(items), BATCH):
        with db.session() as s:
            results.extend(work(s, start, items[start : start + BATCH]))
    return results


def _new_row(
    session: Session,
    p: Principal,
    project_id: str,
    item: dict[str, Any],
    readable: dict[str, bool],
    now: Any,
) -> dict[str, Any]:
    content = item.get("content")
    if content is None and item.get("json_content") is None:
        raise Invalid("missing_content", "give content (a URL or bkt://bucket/key) or json_content")
    asset_id = ordered_id("ast")
    external_id = item.get("external_id")
    if content is not None:
        content = check_content(session, p, content, readable)
        if external_id is None and content.startswith("bkt://"):
            external_id = content.split("/", 3)[3]
    status = item.get("status") or "TODO"
    states.check_direct(status, set())
    return {
        "id": asset_id,
        "project_id": project_id,
        "content": content or "",
        "json_content": item.get("json_content"),
        "external_id": external_id or asset_id,
        "json_metadata": item.get("json_metadata") or {},
        "status": status,
        "priority": item.get("priority") or 0,
        "consensus_mark": None,
        "honeypot_mark": None,
        "is_honeypot": bool(item.get("is_honeypot")),
        "is_used_for_consensus": bool(item.get("is_used_for_consensus")),
        "to_be_labeled_by": list(item.get("to_be_labeled_by") or []),
        "skipped": False,
        "latest_label_id": None,
        "connection_id": item.get("connection_id"),
        "source_key": item.get("source_key"),
        "created_at": now,
        "updated_at": now,
    }


def _taken(session: Session, project_id: str, external_ids: list[str]) -> set[str]:
    if not external_ids:
        return set()
    return set(
        session.scalars(
            select(Asset.external_id).where(
                Asset.project_id == project_id, Asset.external_id.in_(external_ids)
            )
        )
    )


def append_batch(
    session: Session, p: Principal, project_id: str, items: Sequence[dict[str, Any]], start: int = 0
) -> list[Result]:
    """Insert one batch of new assets (``AssetInput`` dicts; ``connection_id``/``source_key``
    also accepted for connections) in ``session``; per-item results, indexes from ``start``.

    Each item is checked (content or json_content, content scheme, ``bkt://`` readable,
    status allowed for an asset without labels); an external id used earlier in the request or
    already in the project fails that item with 409 ``duplicate_external_id``."""
    now = utcnow()
    readable: dict[str, bool] = {}
    results: dict[int, Result] = {}
    rows: dict[int, dict[str, Any]] = {}
    for offset, item in enumerate(items):
        index = start + offset
        try:
            rows[index] = _new_row(session, p, project_id, item, readable, now)
        except DomainError as exc:
            results[index] = failed(index, exc, external_id=item.get("external_id"))
    for attempt in range(2):
        taken = _taken(session, project_id, [r["external_id"] for r in rows.values()])
        seen: set[str] = set()
        for index, row in list(rows.items()):
            ext = row["external_id"]
            if ext in taken or ext in seen:
                where = "in this project" if ext in taken else "earlier in this request"
                error = Conflict(
                    "duplicate_external_id", f"external id {ext!r} is already used {where}"
                )
                results[index] = failed(index, error, external_id=ext)
                del rows[index]
            seen.add(ext)
        try:
            with session.begin_nested():
                if rows:
                    session.connection().execute(
                        cast(Table, Asset.__table__).insert(), list(rows.values())
                    )
                    meta = [
                        m
                        for r in rows.values()
                        for m in meta_rows(project_id, r["id"], r["json_metadata"])
                    ]
                    if meta:
                        session.connection().execute(
                            cast(Table, AssetMeta.__table__).insert(), meta
                        )
            break
        except IntegrityError:
            if attempt == 1:  # a concurrent writer keeps taking the same ids: report the rest
                for index, row in rows.items():
                    error = Conflict("duplicate_external_id", "external id taken concurrently")
                    results[index] = failed(index, error, external_id=row["external_id"])
                rows = {}
    for index, row in rows.items():
        results[index] = ok(index, row["id"], row["external_id"])
    return [results[i] for i in sorted(results)]


def append_assets(
    db: Database, p: Principal, project_id: str, items: Sequence[dict[str, Any]]
) -> list[Result]:
    """Append many assets to a visible project, batch by batch (see :func:`append_batch`).
    Raises ``NotFound`` for a project the caller cannot see."""
    with db.session() as s:
        get_project(s, p, project_id)

    def work(s: Session, start: int, chunk: Sequence[Any]) -> list[Result]:
        out = append_batch(s, p, project_id, chunk, start)
        if any(r["ok"] for r in out):
            project = get_project(s, p, project_id)
            touch(project)
        return out

    return _batches(db, items, work)


def _find(
    session: Session, project_id: str, ids: list[str], exts: list[str]
) -> tuple[dict[str, Asset], dict[str, Asset]]:
    conds = []
    if ids:
        conds.append(Asset.id.in_(ids))
    if exts:
        conds.append(Asset.external_id.in_(exts))
    if not conds:
        return {}, {}
    found = session.scalars(select(Asset).where(Asset.project_id == project_id, or_(*conds))).all()
    return {a.id: a for a in found}, {a.external_id: a for a in found}


def _update_one(
    session: Session, p: Principal, index: int, asset: Asset, item: dict[str, Any]
) -> Result:
    """Apply one update item to ``asset`` in a savepoint; its result."""
    skip = ("asset_id", "external_id", "new_external_id")
    changes = {k: v for k, v in item.items() if v is not None and k not in skip}
    if item.get("new_external_id"):
        changes["external_id"] = item["new_external_id"]
    try:
        with session.begin_nested():
            apply_changes(session, p, asset, changes)
            session.flush()
        return ok(index, asset.id, asset.external_id)
    except DomainError as exc:
        session.refresh(asset)
        return failed(index, exc, asset.id, asset.external_id)
    except IntegrityError:
        session.refresh(asset)
        error = Conflict("external_id_taken", "the new external id is taken in this project")
        return failed(index, error, asset.id, asset.external_id)


def update_batch(
    session: Session, p: Principal, project_id: str, items: Sequence[dict[str, Any]], start: int = 0
) -> list[Result]:
    """Apply one batch of ``AssetUpdateItem`` dicts; per-item results from ``start``. An item
    whose ``asset_id`` and ``external_id`` disagree, or that names no asset of the project, is
    a 404 item."""
    by_id, by_ext = _find(
        session,
        project_id,
        [i["asset_id"] for i in items if i.get("asset_id")],
        [i["external_id"] for i in items if i.get("external_id")],
    )
    out = []
    for offset, item in enumerate(items):
        index = start + offset
        asset_id, ext = item.get("asset_id"), item.get("external_id")
        asset = by_id.get(asset_id or "") or by_ext.get(ext or "")
        if asset is None or (asset_id and ext and asset.external_id != ext):
            error = NotFound(
                "not_found", f"asset {asset_id or ext or '(unnamed)'!r} not found in this project"
            )
            out.append(failed(index, error, asset_id, ext))
            continue
        out.append(_update_one(session, p, index, asset, item))
    return out


def update_assets(
    db: Database, p: Principal, project_id: str, items: Sequence[dict[str, Any]]
) -> list[Result]:
    """Update many assets named by ``asset_id`` or ``external_id`` (``new_external_id``
    renames), batch by batch; each item in its own savepoint so a failure leaves the others
    applied. Unknown assets are 404 items; a taken new external id 409 ``external_id_taken``;
    an illegal status 409 ``illegal_status``. Raises ``NotFound`` for an invisible project."""
    with db.session() as s:
        get_project(s, p, project_id)
    return _batches(db, items, lambda s, start, chunk: update_batch(s, p, project_id, chunk, start))


def _selection(asset_ids: Sequence[str], external_ids: Sequence[str]) -> list[tuple[str, str]]:
    return [("id", a) for a in asset_ids] + [("external_id", e) for e in external_ids]


def _target(action: str, asset: Asset, kinds: set[str]) -> str:
    """The status ``action`` gives ``asset`` (``DELETED`` for a deletion); raises as
    :mod:`.states` does."""
    if action == "review":
        return states.to_review(asset.status, kinds)
    if action == "queue":
        return states.to_queue(kinds)
    return "DELETED"


def _apply_targets(session: Session, targets: dict[str, list[str]]) -> None:
    now = utcnow()
    for status, ids in targets.items():
        if status == "DELETED":
            session.execute(delete(Asset).where(Asset.id.in_(ids)))
        else:
            stmt = update(Asset).where(Asset.id.in_(ids)).values(status=status, updated_at=now)
            session.execute(stmt)


def selection_batch(
    session: Session,
    project_id: str,
    chunk: Sequence[tuple[str, str]],
    action: str,
    start: int = 0,
) -> list[Result]:
    """Apply ``action`` to one batch of ``("id" | "external_id", value)`` names; per-item
    results from ``start`` (unknown: 404 ``not_found``; named twice: 409 ``duplicate_asset``;
    refused by the state machine: its error, the asset left alone)."""
    by_id, by_ext = _find(
        session,
        project_id,
        [v for k, v in chunk if k == "id"],
        [v for k, v in chunk if k == "external_id"],
    )
    kinds = label_types(session, list(by_id)) if action != "delete" else {}
    out: list[Result] = []
    targets: dict[str, list[str]] = {}
    done: set[str] = set()
    for offset, (kind, value) in enumerate(chunk):
        index = start + offset
        asset = by_id.get(value) if kind == "id" else by_ext.get(value)
        named = (value, None) if kind == "id" else (None, value)
        if asset is None:
            error: DomainError = NotFound("not_found", f"asset {value!r} not found in this project")
            out.append(failed(index, error, *named))
            continue
        if asset.id in done:
            error = Conflict("duplicate_asset", f"asset {value!r} named twice in this request")
            out.append(failed(index, error, *named))
            continue
        try:
            status = _target(action, asset, kinds.get(asset.id, set()))
        except DomainError as exc:
            out.append(failed(index, exc, asset.id, asset.external_id))
            continue
        done.add(asset.id)
        targets.setdefault(status, []).append(asset.id)
        out.append(ok(index, asset.id, asset.external_id))
    _apply_targets(session, targets)
    return out


def act_on_selection(
    db: Database,
    p: Principal,
    project_id: str,
    asset_ids: Sequence[str],
    external_ids: Sequence[str],
    action: str,
) -> list[Result]:
    """``delete``, ``review`` (add to review) or ``queue`` (send back to the queue) the assets
    named by id and external id (indexes: ids first, then external ids), batch by batch.
    Unknown assets are 404 items; assets without a submitted label are ``not_labeled`` items
    for ``review`` and are left alone (see :mod:`.states`). Raises ``NotFound`` for an
    invisible project."""
    with db.session() as s:
        get_project(s, p, project_id)

    def work(s: Session, start: int, chunk: Sequence[tuple[str, str]]) -> list[Result]:
        out = selection_batch(s, project_id, chunk, action, start)
        if any(r["ok"] for r in out):
            touch(get_project(s, p, project_id))
        return out

    return _batches(db, _selection(asset_ids, external_ids), work)
