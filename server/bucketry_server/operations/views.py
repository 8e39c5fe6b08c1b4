"""The JSON of an operation (``Operation`` in the contract)."""

from __future__ import annotations

from typing import Any

from ..models import Operation
from ..problems import problem_body
from ..timeutil import iso
from .url_import import safe_url


def public_params(params: dict[str, Any]) -> dict[str, Any]:
    """The recorded parameters a client sees: a kind's internal ones (``_…``) left out, and a
    ``url`` without user information, query and fragment (rows recorded before IMPORT_URL
    sealed its URL kept it whole)."""
    shown = {k: v for k, v in params.items() if not k.startswith("_")}
    if isinstance(shown.get("url"), str):
        shown["url"] = safe_url(shown["url"])
    return shown


def operation_json(op: Operation) -> dict[str, Any]:
    """``Operation``: status, progress (items and bytes, totals once known), error as a
    problem, kind-specific result, times."""
    error = None
    if op.error_code is not None:
        error = problem_body(
            op.error_status or 500,
            op.error_code,
            op.error_detail,
            instance=f"/api/v1/operations/{op.id}",
        )
        error["request_id"] = None
    return {
        "id": op.id,
        "kind": op.kind,
        "status": op.status,
        "params": public_params(dict(op.params or {})),
        "progress": {
            "done": op.items_done,
            "total": op.items_total,
            "bytes_done": op.bytes_done,
            "bytes_total": op.bytes_total,
        },
        "error": error,
        "result": op.result,
        "cancel_requested": op.cancel_requested,
        "created_at": iso(op.created_at),
        "started_at": iso(op.started_at),
        "finished_at": iso(op.finished_at),
    }
