"""``bucketry buckets ACTION``: create, delete, list, info, and the imported-bucket commands
(import, status, content). Provider credentials come from ``--credentials-file`` (preferred)
and/or ``--credential KEY=VALUE``; they are never printed, not even in an error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..uri import is_bucket_uri
from .common import UsageError, _client, _print_json, _size, _when

if TYPE_CHECKING:
    from ..resources.buckets import Bucket
    from ..resources.imported import ContentEntry

__all__ = ["add_buckets_parser", "cmd_buckets"]

CREDENTIALS_HELP = (
    "Credentials: prefer --credentials-file (a JSON object of field: string, or - for stdin); "
    "a --credential value on the command line is visible to other users in the process list "
    "and stays in your shell history. Secrets are never printed."
)


def _name(text: str) -> str:
    return text[len("bkt://") :].rstrip("/") if is_bucket_uri(text) else text


def _list(args: argparse.Namespace) -> int:
    client = _client(args)
    found: list[Bucket] = list(
        client.buckets.list(imported=args.imported, provider=args.provider, status=args.status)
    )
    if args.json:
        _print_json([b.to_dict() for b in found])
        return 0
    for b in found:
        print(f"{b.id}  {_when(b.created_at)}  {b.owner:<12} {b.name}")
    return 0


def _create(args: argparse.Namespace) -> int:
    bucket = _client(args).buckets.create(
        _name(args.name), description=args.description, org=args.org, public=args.public
    )
    if args.json:
        _print_json(bucket.to_dict())
    else:
        print(f"created bucket {bucket.name} ({bucket.id})")
    return 0


def _info(args: argparse.Namespace) -> int:
    info = _client(args).buckets.get(_name(args.name)).to_dict()
    if args.json:
        _print_json(info)
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    name = _name(args.name)
    result = _client(args).bucket(name).delete(force=args.force, dry_run=args.dry_run)
    if args.json:
        _print_json(result)
    else:
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} bucket {name}" + _details(result))
    return 0


def _details(result: dict[str, Any]) -> str:
    parts = [
        f"{k}={v}" for k, v in result.items() if k in ("deleted_blobs", "blobs", "bytes", "objects")
    ]
    return f" ({', '.join(parts)})" if parts else ""


# ---------------------------------------------------------------------------- imported buckets
def read_credentials(file: str | None, pairs: list[str] | None) -> dict[str, str] | None:
    """The credentials of ``--credentials-file`` (a JSON object of strings; ``-``: stdin)
    updated with each ``--credential KEY=VALUE``; ``None`` when neither is given. Raises
    ``UsageError`` naming the file or the key, never showing a value."""
    if file is None and not pairs:
        return None
    found: dict[str, str] = {}
    if file is not None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read --credentials-file {file}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise UsageError(f"--credentials-file {file} is not valid JSON") from None
        if not isinstance(data, dict):
            raise UsageError(f"--credentials-file {file} must hold a JSON object")
        for key, value in data.items():
            if not isinstance(value, str):
                raise UsageError(f"--credentials-file {file}: {key!r} must be a string")
            found[key] = value
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError("--credential expects KEY=VALUE (the value is not shown here)")
        found[key.strip()] = value
    return found


def _import(args: argparse.Namespace) -> int:
    credentials = read_credentials(args.credentials_file, args.credential)
    bucket = _client(args).buckets.import_external(
        provider=args.provider,
        provider_bucket_name=args.provider_bucket_name,
        credentials=credentials,
        name=args.name,
        prefix=args.prefix,
        endpoint_url=args.endpoint_url,
        region=args.region,
        description=args.description,
        org=args.org,
        manifests=args.manifest,
    )
    del credentials
    if args.json:
        _print_json(bucket.to_dict())
    else:
        print(
            f"imported bucket {bucket.name} ({bucket.id}) from "
            f"{bucket.provider}:{bucket.provider_bucket_name}"
        )
    return 0


def _status(args: argparse.Namespace) -> int:
    bucket = _client(args).bucket(_name(args.name))
    report = bucket.status()
    if args.json:
        data = report.to_dict()
        data["actions"] = bucket.actions()
        _print_json(data)
        return 0
    line = f"{report.status}  (checked {_when(report.checked_at)})"
    if report.detail:
        line += f"  {report.detail}"
    print(line)
    print(f"actions: {', '.join(bucket.actions()) or 'none'}")
    return 0


def _content_line(e: ContentEntry) -> str:
    if e.is_dir:
        return f"{'DIR':>10}  {'':19}  {e.key}"
    size = _size(e.size) if e.size is not None else "-"
    return f"{size:>10}  {_when(e.modified_at)}  {e.key}"


def _content(args: argparse.Namespace) -> int:
    bucket = _client(args).bucket(_name(args.name))
    entries = bucket.content(
        args.prefix, page_size=args.page_size, manifest_path=args.manifest_path
    )
    if args.json:
        _print_json([e.to_dict() for e in entries])
        return 0
    for e in entries:
        print(_content_line(e))
    return 0


# ---------------------------------------------------------------------------- parser
def cmd_buckets(args: argparse.Namespace) -> int:
    """Run the chosen ``buckets`` action."""
    action: Callable[[argparse.Namespace], int] | None = getattr(args, "action_func", None)
    if action is None:
        raise UsageError("choose an action: create, delete, list, info, import, status or content")
    return action(args)


def add_buckets_parser(
    sub: Any, common: argparse.ArgumentParser, func: Callable[[argparse.Namespace], int]
) -> None:
    """Add ``buckets`` and its actions to the top-level subparsers ``sub``."""
    text = "create, delete, list, describe, import and check buckets"
    p = sub.add_parser("buckets", parents=[common], help=text, description=text)
    p.set_defaults(func=func)
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    def add(name: str, run: Callable[[argparse.Namespace], int], help: str, **kw: Any) -> Any:
        a = actions.add_parser(name, parents=[common], help=help, description=help, **kw)
        a.set_defaults(action_func=run)
        return a

    a = add("create", _create, "create a managed bucket")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--description", help="a description")
    a.add_argument("--org", help="owning organization")
    a.add_argument("--public", action="store_true", help="allow anonymous reads")

    a = add("delete", _delete, "delete a bucket")
    a.add_argument("name", metavar="NAME")
    a.add_argument(
        "--force",
        action="store_true",
        help="also delete the blobs (the server purges them after answering)",
    )
    a.add_argument("--dry-run", action="store_true", help="only report")

    a = add("list", _list, "list the buckets you can see")
    a.add_argument("--imported", action="store_true", default=None, help="only imported ones")
    a.add_argument("--provider", help="only this provider (AWS_S3, S3_COMPATIBLE, ...)")
    a.add_argument("--status", help="only this status (AVAILABLE, FORBIDDEN, ...)")

    a = add("info", _info, "describe a bucket")
    a.add_argument("name", metavar="NAME")

    _add_import(add)

    a = add("status", _status, "ask the provider whether a bucket is available, and what for")
    a.add_argument("name", metavar="NAME")

    a = add("content", _content, "browse one folder level of a bucket (files and folders)")
    a.add_argument("name", metavar="NAME")
    a.add_argument("prefix", nargs="?", default="", metavar="PREFIX", help="folder to browse")
    a.add_argument("--page-size", type=int, default=100, help="entries per request (1-1000)")
    a.add_argument("--manifest-path", help="browse this manifest file instead of the listing")


def _add_import(add: Callable[..., Any]) -> None:
    a = add(
        "import",
        _import,
        "register an external provider bucket (S3, S3-compatible, Azure, GCS, server folder)",
        epilog=CREDENTIALS_HELP,
    )
    a.add_argument(
        "provider",
        metavar="PROVIDER",
        help="AWS_S3, S3_COMPATIBLE, AZURE_BLOB, GCS or FILESYSTEM (case-insensitive)",
    )
    a.add_argument(
        "provider_bucket_name",
        metavar="PROVIDER_BUCKET_NAME",
        help="the provider's bucket, container or folder",
    )
    a.add_argument("--name", help="the Bucketry name (default: PROVIDER_BUCKET_NAME)")
    a.add_argument("--prefix", help="only keys under this prefix")
    a.add_argument("--endpoint-url", help="S3-compatible or emulator endpoint")
    a.add_argument("--region", help="provider region")
    a.add_argument("--description", help="a description")
    a.add_argument("--org", help="owning organization")
    a.add_argument(
        "--manifest", action="append", metavar="KEY", help="a manifest file key (repeatable)"
    )
    a.add_argument(
        "--credentials-file",
        metavar="JSON",
        help="a JSON file of credential fields (- for stdin); preferred over --credential",
    )
    a.add_argument(
        "--credential",
        action="append",
        metavar="KEY=VALUE",
        help="one credential field (repeatable; visible in the process list: prefer a file)",
    )
