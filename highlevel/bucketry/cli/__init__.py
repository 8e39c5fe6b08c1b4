"""The ``bucketry`` command line: ls, cp, sync, rm, du (or usage), buckets, ops, projects,
assets and connections.

Remote locations are ``bkt://BUCKET[/KEY]`` URIs (:mod:`bucketry.uri`); anything else is a local
path. The server and token come from ``--url``/``--token``, else ``BUCKETRY_URL``/
``BUCKETRY_TOKEN``, else the config file. Errors print one line on stderr and exit with 1; usage
errors exit with 2. ``--json`` prints machine-readable output where a command has some.
``cp`` and ``sync`` live in :mod:`.copying`, ``buckets`` in :mod:`.buckets`, ``ops`` (and the
server-side operation behind ``cp -r`` between buckets and ``rm -r``) in :mod:`.operations`,
``projects``/``assets``/``connections`` in :mod:`.projects`,
shared helpers in :mod:`.common`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._version import __version__
from ..uri import format_uri
from .buckets import add_buckets_parser, cmd_buckets
from .common import (
    UsageError,
    _client,
    _message,
    _print_json,
    _remote,
    _size,
    _when,
)
from .copying import cmd_cp, cmd_sync
from .operations import add_ops_parser, delete_prefix
from .projects import add_projects_parsers

if TYPE_CHECKING:
    from ..types import BlobInfo

__all__ = ["UsageError", "build_parser", "main"]

# ---------------------------------------------------------------------------- commands


def cmd_ls(args: argparse.Namespace) -> int:
    """``bucketry ls``: buckets, or the blobs and folders under a prefix. Returns the exit code."""
    client = _client(args)
    if args.target is None:
        buckets = list(client.buckets.list())
        if args.json:
            _print_json([b.to_dict() for b in buckets])
            return 0
        for b in buckets:
            if args.long:
                print(f"{b.id}  {_when(b.created_at)}  {b.owner:<12} {b.name}")
            else:
                print(b.name)
        return 0
    uri = _remote(args.target)
    bucket = client.bucket(uri.bucket)
    order_by = _SORTS[args.sort] if args.sort else None
    entries = bucket.list(
        uri.key,
        recursive=args.recursive,
        order_by=order_by,
        order="desc" if args.reverse else None,
    )
    if args.json:
        _print_json([e.to_dict() for e in entries])
        return 0
    for e in entries:
        print(_ls_line(e, args.long))
    return 0


#: ``ls --sort`` choices -> the listing's ``order_by``.
_SORTS: dict[str, Literal["name", "size", "created_at"]] = {
    "name": "name",
    "size": "size",
    "time": "created_at",
}


def _ls_line(e: BlobInfo, long: bool) -> str:
    """One ``ls`` line: the key, or with ``-l`` the exact size, the size in human units, the
    blob count (folders), the time (a blob's last change, a folder's latest blob) and the key;
    ``-`` where the server gave no figure (folders of imported buckets)."""
    if not long:
        return e.key
    known = not e.is_dir or e.count is not None
    exact = str(e.size) if known else "-"
    human = _size(e.size) if known else "-"
    count = "-" if e.count is None else f"{e.count}{'' if e.complete else '+'}"
    return f"{exact:>14}  {human:>7}  {count:>8}  {_when(e.modified_at)}  {e.key}"


def cmd_rm(args: argparse.Namespace) -> int:
    """``bucketry rm``: one blob, or a prefix with ``-r``. Returns the exit code."""
    uri = _remote(args.target)
    if not uri.key:
        raise UsageError(
            "refusing to delete a whole bucket; use: bucketry buckets delete NAME --force"
        )
    if args.recursive:  # one server-side DELETE_PREFIX operation
        prefix = uri.key if uri.is_prefix else uri.key + "/"
        return delete_prefix(_client(args), format_uri(uri.bucket, prefix), args)
    if args.no_wait:
        raise UsageError("--no-wait applies to rm -r (one server-side operation)")
    bucket = _client(args).bucket(uri.bucket)
    if uri.is_prefix:
        raise UsageError(f"{args.target} is a prefix (use -r)")
    if args.dry_run:
        count = bucket.rm(uri.key, dry_run=True)
    else:
        bucket.blob(uri.key).delete()
        count = 1
    if args.json:
        _print_json({"deleted": count, "dry_run": args.dry_run})
    elif args.dry_run:
        print(f"would delete {count} blob(s) (dry run: nothing changed)")
    else:
        print(f"deleted {count} blob(s)")
    return 0


def cmd_du(args: argparse.Namespace) -> int:
    """``bucketry du``: space used by a bucket, a prefix or all of yours. Returns the exit code."""
    client = _client(args)
    if args.target is None:
        usage = client.usage()
        if args.json:
            _print_json(usage)
            return 0
        for b in usage.buckets:
            print(f"{b.bytes:>14}  {_size(b.bytes):>7}  {b.objects:>9} objects  {b.name}")
        print(f"{usage.bytes:>14}  {_size(usage.bytes):>7}  {usage.objects:>9} objects  (total)")
        return 0
    uri = _remote(args.target)
    bucket = client.bucket(uri.bucket)
    if uri.key:  # below a prefix: summed from the listing
        size = objects = 0
        for info in bucket.list(uri.key, recursive=True):
            size += info.size
            objects += 1
        data: dict[str, Any] = {
            "bucket": uri.bucket,
            "prefix": uri.key,
            "bytes": size,
            "objects": objects,
        }
    else:
        data = bucket.usage().to_dict()
    if args.json:
        _print_json(data)
    else:
        print(f"{_size(int(data['bytes']))}\t{data['objects']} objects\t{args.target}")
    return 0


# ---------------------------------------------------------------------------- parser


def _common() -> argparse.ArgumentParser:
    """Options accepted before or after the command (``SUPPRESS`` keeps one from erasing the
    other)."""
    common = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--url", default=s, help="server URL (default: $BUCKETRY_URL or config)")
    common.add_argument("--token", default=s, help="API token (default: $BUCKETRY_TOKEN or config)")
    common.add_argument("--no-progress", action="store_true", default=s, help="no progress bars")
    common.add_argument("--json", action="store_true", default=s, help="machine-readable output")
    return common


_Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    """The ``bucketry`` argument parser with every command."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="bucketry",
        description="Bucketry command line: work with buckets and blobs on a Bucketry server.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    _add_ls(add)
    _add_cp(add)
    _add_sync(add)
    _add_rm_and_du(add)
    add_buckets_parser(sub, common, cmd_buckets)
    add_ops_parser(sub, common)
    add_projects_parsers(sub, common)
    return parser


def _add_ls(add: _Add) -> None:
    p = add("ls", cmd_ls, "list buckets, or the blobs and folders under bkt://BUCKET/PREFIX")
    p.add_argument("target", nargs="?", metavar="bkt://BUCKET[/PREFIX]")
    p.add_argument("-r", "--recursive", action="store_true", help="list every key below the prefix")
    p.add_argument(
        "-l",
        "--long",
        action="store_true",
        help="a table: size (exact and human), blob count of folders, time, key",
    )
    p.add_argument(
        "--sort",
        choices=sorted(_SORTS),
        help="order by name, size or time (folders by their total size / latest blob)",
    )
    p.add_argument("--reverse", action="store_true", help="reverse the order")


def _add_cp(add: _Add) -> None:
    p = add(
        "cp", cmd_cp, "copy files to, from or between buckets (bkt:// to bkt:// copies server-side)"
    )
    p.add_argument("src", metavar="SRC", help="a path, a bkt:// URI, or - for stdin")
    p.add_argument("dst", metavar="DST", help="a path, a bkt:// URI, or - for stdout")
    p.add_argument("-r", "--recursive", action="store_true", help="copy folders / prefixes")
    p.add_argument(
        "--decompress",
        action="store_true",
        help="downloads: extract NAME.zip into NAME/ (safely); SRC may be a path inside a zip "
        "blob (bkt://B/out.zip/logs/stdout.txt)",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="bkt:// to bkt:// with -r: print the operation id, do not wait for it",
    )


def _add_sync(add: _Add) -> None:
    p = add("sync", cmd_sync, "make DST mirror SRC (one local folder, one bkt:// prefix)")
    p.add_argument("src", metavar="SRC")
    p.add_argument("dst", metavar="DST")
    p.add_argument("--delete", action="store_true", help="delete files that are not in SRC")
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.add_argument(
        "--update", action="store_true", help="never overwrite a destination file that is newer"
    )
    p.add_argument("--compare", choices=["mtime+size", "size", "checksum"], default="mtime+size")
    p.add_argument(
        "--include", action="append", metavar="GLOB", help="only paths matching (repeatable)"
    )
    p.add_argument(
        "--exclude", action="append", metavar="GLOB", help="skip paths matching (repeatable)"
    )
    p.add_argument("--save-plan", metavar="FILE", help="write the plan as JSON")
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="list operations (-vv: skips too)"
    )


def _add_rm_and_du(add: _Add) -> None:
    p = add("rm", cmd_rm, "delete a blob, or everything under a prefix with -r")
    p.add_argument("target", metavar="bkt://BUCKET/KEY")
    p.add_argument(
        "-r", "--recursive", action="store_true", help="delete every key under the prefix"
    )
    p.add_argument("--dry-run", action="store_true", help="count what would be deleted")
    p.add_argument(
        "--no-wait", action="store_true", help="with -r: print the operation id, do not wait"
    )
    p = add(
        "du", cmd_du, "space used by a bucket (computed by the server), a prefix, or all of yours"
    )
    p.add_argument("target", nargs="?", metavar="bkt://BUCKET[/PREFIX]")
    p = add("usage", cmd_du, "space used by all your buckets, or one bucket or prefix (= du)")
    p.add_argument("target", nargs="?", metavar="bkt://BUCKET[/PREFIX]")


def _fail(message: str, code: int) -> int:
    print(f"bucketry: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv``; returns the exit code (0 ok, 1 an error, printed on one line
    naming what failed, 2 a usage error, 130 Ctrl-C)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    for name in ("url", "token"):
        if not hasattr(args, name):
            setattr(args, name, None)
    for name in ("no_progress", "json"):
        if not hasattr(args, name):
            setattr(args, name, False)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        code: int = args.func(args)
        return code
    except UsageError as exc:
        parser_for = f"{parser.prog} {args.command}"
        print(f"{parser_for}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # e.g. `bucketry ls -r bkt://b | head`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the final flush
        except OSError:
            pass
        return 0
    except Exception as exc:  # one line, never a traceback
        if os.environ.get("BUCKETRY_DEBUG"):
            raise
        return _fail(_message(exc), 1)


if __name__ == "__main__":
    raise SystemExit(main())
