"""``ops`` (list, get, wait, cancel server-side operations) and the operation behind
``cp -r bkt://… bkt://…`` and ``rm -r bkt://…``: one server-side operation each, waited on
with a progress bar (``--no-wait`` prints its id and returns at once)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from .common import UsageError, _client, _print_json, _size, _when

#: ``ops list`` filters (any case on the command line).
STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
KINDS = ["COPY", "IMPORT_URL", "EXPORT", "DELETE_PREFIX", "CONNECTION_SYNC"]

if TYPE_CHECKING:
    from ..client import Client
    from ..resources.operations import Operation


def _progress_cell(op: Operation) -> str:
    p = op.progress
    items = f"{p.done}/{p.total}" if p.total is not None else f"{p.done}/?"
    return f"{items} {_size(p.bytes_done)}"


def _shown_url(url: object) -> str | None:
    """A URL to import without its user info, query and fragment (they may hold secrets)."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _what(op: Operation) -> str:
    params = op.params
    source, target = (
        params.get("source") or _shown_url(params.get("url")),
        params.get("destination"),
    )
    if source and target:
        return f"{source} -> {target}"
    return str(source or target or params.get("connection_id") or "")


def describe(op: Operation) -> str:
    """One line about how an operation ended (or stands): counts, bytes, and its id."""
    result = op.result or {}
    tail = f"(operation {op.id})"
    if op.status != "SUCCEEDED":
        return f"{op.kind} {op.status.lower()} {_progress_cell(op)}: {_what(op)} {tail}"
    if op.kind == "COPY":
        return (
            f"copied {result.get('copied', 0)} blob(s) ({_size(int(result.get('bytes', 0)))}), "
            f"skipped {result.get('skipped', 0)}: {_what(op)} {tail}"
        )
    if op.kind == "DELETE_PREFIX":
        size = _size(int(result.get("bytes", 0)))
        if result.get("dry_run"):
            matched = result.get("matched", 0)
            return f"would delete {matched} blob(s) ({size}) (dry run: nothing changed) {tail}"
        return f"deleted {result.get('deleted', 0)} blob(s) ({size}) {tail}"
    return f"{op.kind} succeeded: {_what(op)} {result} {tail}"


def finish(op: Operation, args: argparse.Namespace) -> int:
    """Wait for ``op`` (unless ``--no-wait``: print its id) and print how it ended; Ctrl-C
    stops waiting, not the operation (the hint says how to cancel it). Returns the exit code;
    a failed or cancelled operation raises (one line on stderr, exit 1)."""
    if getattr(args, "no_wait", False):
        if args.json:
            _print_json({"operation": op.id, "status": op.status})
        else:
            print(op.id)
        return 0
    try:
        op.wait(timeout=getattr(args, "timeout", None))
    except KeyboardInterrupt:
        print(
            f"stopped waiting; operation {op.id} goes on (bucketry ops cancel {op.id})",
            file=sys.stderr,
        )
        raise
    if args.json:
        _print_json({"operation": op.id, "status": op.status, **(op.result or {})})
    else:
        print(describe(op))
    return 0


def copy_prefix(client: Client, src: str, dst: str, args: argparse.Namespace) -> int:
    """``cp -r bkt://A/X/ bkt://B/Y/``: one server-side COPY operation of the prefix."""
    op = client.operations.copy(src, dst)
    return finish(op, args)


def delete_prefix(client: Client, prefix: str, args: argparse.Namespace) -> int:
    """``rm -r bkt://B/X/``: one DELETE_PREFIX operation (``--dry-run`` only counts)."""
    return finish(client.operations.delete(prefix, dry_run=args.dry_run), args)


# ---------------------------------------------------------------------------- ops actions


def _list(args: argparse.Namespace) -> int:
    ops = list(_client(args).operations.list(status=args.status, kind=args.kind, first=args.limit))
    if args.json:
        _print_json([op.to_dict() for op in ops])
        return 0
    for op in ops:
        print(
            f"{op.id}  {_when(op.created_at)}  {op.kind:<13} {op.status:<9} "
            f"{_progress_cell(op):<16} {_what(op)}"
        )
    return 0


def _get(args: argparse.Namespace) -> int:
    op = _client(args).operations.get(args.id)
    if args.json:
        _print_json(op.to_dict())
        return 0
    print(describe(op))
    if op.error:
        print(f"error: {op.error.get('code')}: {op.error.get('detail')}")
    return 0


def _wait(args: argparse.Namespace) -> int:
    return finish(_client(args).operations.get(args.id), args)


def _cancel(args: argparse.Namespace) -> int:
    op = _client(args).operations.get(args.id).cancel()
    if args.json:
        _print_json(op.to_dict())
    else:
        print(f"{op.id} {op.status}" + (" (cancel requested)" if not op.done else ""))
    return 0


def cmd_ops(args: argparse.Namespace) -> int:
    """Run the chosen ``ops`` action."""
    action: Callable[[argparse.Namespace], int] | None = getattr(args, "action_func", None)
    if action is None:
        raise UsageError("choose an action: list, get, wait or cancel")
    return action(args)


def add_ops_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``ops`` and its actions to the top-level subparsers ``sub``."""
    text = "list, show, wait for and cancel server-side operations (copies, deletes...)"
    p = sub.add_parser("ops", parents=[common], help=text, description=text)
    p.set_defaults(func=cmd_ops)
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    def add(name: str, run: Callable[[argparse.Namespace], int], help: str) -> Any:
        a = actions.add_parser(name, parents=[common], help=help, description=help)
        a.set_defaults(action_func=run)
        return a

    a = add("list", _list, "your operations, newest first")
    a.add_argument("--status", type=str.upper, choices=STATUSES, help="only this status")
    a.add_argument("--kind", type=str.upper, choices=KINDS, help="only this kind")
    a.add_argument("--limit", type=int, default=50, help="show at most N (default 50)")

    a = add("get", _get, "one operation: status, progress, result or error")
    a.add_argument("id", metavar="ID")

    a = add("wait", _wait, "wait for an operation to end (exit 1 if it failed or was cancelled)")
    a.add_argument("id", metavar="ID")
    a.add_argument("--timeout", type=float, help="give up after SECONDS (exit 1)")

    a = add("cancel", _cancel, "ask an operation to stop")
    a.add_argument("id", metavar="ID")
