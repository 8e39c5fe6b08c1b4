"""Helpers shared by the command modules: the client from the options, URI parsing, output."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..uri import BucketURI, is_bucket_uri, parse_uri

if TYPE_CHECKING:
    from ..client import Client
    from ..transfer.report import TransferReport

__all__ = ["BucketURI", "is_bucket_uri"]


class UsageError(Exception):
    """Bad arguments found after parsing (exit code 2)."""


# ---------------------------------------------------------------------------- helpers


def _client(args: argparse.Namespace) -> Client:
    from ..client import Client

    progress = False if getattr(args, "no_progress", False) else None
    return Client(
        url=getattr(args, "url", None), token=getattr(args, "token", None), progress=progress
    )


def _remote(text: str, what: str = "location") -> BucketURI:
    if not is_bucket_uri(text):
        raise UsageError(f"{what} must be a bkt://BUCKET[/KEY] URI, not {text!r}")
    try:
        return parse_uri(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def _print_json(data: Any) -> None:
    print(json.dumps(data, default=_default, ensure_ascii=False, indent=2))


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}T"  # pragma: no cover


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-" * 19


def _report(report: TransferReport) -> str:
    """A transfer report as one line of text."""
    return report.summary()


def _report_failed(report: TransferReport) -> bool:
    """Whether a file of the transfer failed (exit code 1)."""
    return not report.ok


def _message(exc: BaseException) -> str:
    from ..errors import ApiError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, ApiError) and exc.request_id and exc.request_id not in text:
        text += f" (request id {exc.request_id})"
    if isinstance(exc, ApiError) and exc.code == "bucket_not_empty":
        text += " — add --force to delete its blobs too"
    if isinstance(exc, OSError) and not isinstance(exc, ApiError) and exc.filename and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    return text
