"""``bucketry projects list|create``, ``bucketry assets ls|count`` (every asset filter as an
option) and ``bucketry connections create|list|diff|sync [--dry-run]``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from .common import UsageError, _client, _print_json, _when

__all__ = ["add_projects_parsers"]

#: ``assets ls|count`` options: (flag, filter, kind, help). ``list`` options repeat.
FILTER_OPTIONS: list[tuple[str, str, str, str]] = [
    ("--asset-id", "asset_id_in", "list", "only this asset id (repeatable)"),
    ("--external-id", "external_id_in", "list", "only this exact external id (repeatable)"),
    ("--external-id-contains", "external_id_contains", "str", "external ids containing TEXT"),
    ("--status", "status_in", "upper-list", "only this status (repeatable): TODO, ONGOING..."),
    ("--metadata-where", "metadata_where", "json", 'JSON: {"k": "v"}, {"k": [a, b]}, [lo, hi]'),
    ("--skipped", "skipped", "bool", "true: only skipped assets; false: only the others"),
    ("--honeypot", "is_honeypot", "bool", "true: only honeypots; false: only the others"),
    ("--consensus-mark-gt", "consensus_mark_gt", "float", "consensus mark above"),
    ("--consensus-mark-lt", "consensus_mark_lt", "float", "consensus mark below"),
    ("--honeypot-mark-gt", "honeypot_mark_gt", "float", "honeypot mark above"),
    ("--honeypot-mark-lt", "honeypot_mark_lt", "float", "honeypot mark below"),
    ("--updated-after", "updated_at_gte", "str", "updated at or after (ISO 8601)"),
    ("--updated-before", "updated_at_lte", "str", "updated at or before (ISO 8601)"),
    ("--label-type", "label_type_in", "upper-list", "has a label of this type (repeatable)"),
    ("--label-author", "label_author_in", "list", "has a label by this user (repeatable)"),
    ("--label-consensus-mark-gt", "label_consensus_mark_gt", "float", "a label's mark above"),
    ("--label-consensus-mark-lt", "label_consensus_mark_lt", "float", "a label's mark below"),
    ("--label-honeypot-mark-gt", "label_honeypot_mark_gt", "float", "a label's mark above"),
    ("--label-honeypot-mark-lt", "label_honeypot_mark_lt", "float", "a label's mark below"),
    ("--label-created-at", "label_created_at", "str", "has a label created that day"),
    ("--label-created-after", "label_created_at_gt", "str", "has a label created after"),
    ("--label-created-before", "label_created_at_lt", "str", "has a label created before"),
    ("--category-search", "label_category_search", "str", '"JOB.CAT.count > 0 AND ..."'),
]


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    """The SDK filters of the parsed options (raises ``UsageError`` for bad JSON)."""
    out: dict[str, Any] = {}
    for _, name, kind, _ in FILTER_OPTIONS:
        value = getattr(args, name, None)
        if value is None:
            continue
        if kind == "json":
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise UsageError(f"--metadata-where is not JSON: {exc}") from None
            if not isinstance(value, dict):
                raise UsageError("--metadata-where must be a JSON object")
        out[name] = value
    return out


def cmd_projects_list(args: argparse.Namespace) -> int:
    """``bucketry projects list [--search TEXT]``."""
    projects = list(_client(args).projects.list(search=args.search))
    if args.json:
        _print_json([p.to_dict() for p in projects])
        return 0
    for p in projects:
        print(
            f"{p.id}  {_when(p.created_at)}  {p.input_type:<10} {p.number_of_assets:>9}  {p.title}"
        )
    return 0


def cmd_projects_create(args: argparse.Namespace) -> int:
    """``bucketry projects create TITLE [--input-type T] [--description D] [--org O]``."""
    project = _client(args).projects.create(
        args.title, description=args.description, input_type=args.input_type, org=args.org
    )
    if args.json:
        _print_json(project.to_dict())
    else:
        print(project.id)
    return 0


def cmd_assets_ls(args: argparse.Namespace) -> int:
    """``bucketry assets ls PROJECT [filters] [--fields a,b] [--limit N]``."""
    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    assets = _client(args).projects(args.project).assets
    listed = assets.list(fields=fields, first=args.limit, **_filters(args))
    if args.json:
        _print_json([a.to_dict() for a in listed])
        return 0
    for a in listed:
        data = a.to_dict()
        if fields:
            print("\t".join(_cell(data.get(f)) for f in fields))
        else:
            print(f"{a.id}  {data.get('status', ''):<10} {data.get('external_id', '')}")
    return 0


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def cmd_assets_count(args: argparse.Namespace) -> int:
    """``bucketry assets count PROJECT [filters]``: prints the number."""
    count = _client(args).projects(args.project).assets.count(**_filters(args))
    if args.json:
        _print_json({"count": count})
    else:
        print(count)
    return 0


def cmd_connections_create(args: argparse.Namespace) -> int:
    """``bucketry connections create PROJECT BUCKET [--folder F] [--include G] [--exclude G]``."""
    connection = (
        _client(args)
        .projects(args.project)
        .connect(
            args.bucket,
            selected_folders=args.folder,
            include=args.include,
            exclude=args.exclude,
        )
    )
    if args.json:
        _print_json(connection.to_dict())
    else:
        print(connection.id)
    return 0


def cmd_connections_list(args: argparse.Namespace) -> int:
    """``bucketry connections list [--project P] [--bucket B]``."""
    from ..resources.connections import ConnectionsRepo

    repo = ConnectionsRepo(_client(args), project_id=args.project)
    connections = list(repo.list(bucket=args.bucket))
    if args.json:
        _print_json([c.to_dict() for c in connections])
        return 0
    for c in connections:
        when = _when(c.last_checked)
        print(f"{c.id}  {c.project_id}  {c.bucket_id}  {c.number_of_assets:>9}  {when}")
    return 0


def cmd_connections_diff(args: argparse.Namespace) -> int:
    """``bucketry connections diff ID``: the plan of a sync, changing nothing."""
    plan = _client(args).connections.get(args.id).diff()
    if args.json:
        _print_json(plan.__dict__)
        return 0
    for item in plan.to_add:
        print(f"+ {item.get('key')}")
    for item in plan.to_remove:
        print(f"- {item.get('external_id')}")
    print(plan.summary())
    return 0


def cmd_connections_sync(args: argparse.Namespace) -> int:
    """``bucketry connections sync ID [--dry-run] [--delete]``: prints the plan and what was
    done (a dry run changes nothing)."""
    connection = _client(args).connections.get(args.id)
    outcome = connection.sync(
        dry_run=args.dry_run, delete_extraneous_files=args.delete, wait=not args.no_wait
    )
    if args.json:
        data = dict(outcome.__dict__)
        data["plan"] = outcome.plan.__dict__
        data["operation"] = outcome.operation.id if outcome.operation is not None else None
        _print_json(data)
        return 0
    if args.no_wait and outcome.operation is not None:
        print(outcome.operation.id)
        return 0
    if args.verbose:
        for item in outcome.plan.to_add:
            print(f"+ {item.get('key')}")
        for item in outcome.plan.to_remove:
            print(f"- {item.get('external_id')}")
    print(outcome.summary())
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    action: Callable[[argparse.Namespace], int] | None = getattr(args, "action_func", None)
    if action is None:
        raise UsageError(f"choose an action of {args.command} (see --help)")
    return action(args)


def _group(sub: Any, common: argparse.ArgumentParser, name: str, text: str) -> Any:
    p = sub.add_parser(name, parents=[common], help=text, description=text)
    p.set_defaults(func=_dispatch)
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    def add(action: str, run: Callable[[argparse.Namespace], int], help: str) -> Any:
        a = actions.add_parser(action, parents=[common], help=help, description=help)
        a.set_defaults(action_func=run)
        return a

    return add


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", metavar="PROJECT", help="project id (prj_…)")
    for flag, name, kind, text in FILTER_OPTIONS:
        if kind in ("list", "upper-list"):
            cast = str.upper if kind == "upper-list" else str
            p.add_argument(flag, dest=name, action="append", type=cast, help=text)
        elif kind == "float":
            p.add_argument(flag, dest=name, type=float, help=text)
        elif kind == "bool":
            p.add_argument(flag, dest=name, type=_bool, metavar="true|false", help=text)
        else:
            p.add_argument(flag, dest=name, help=text)


def add_projects_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``projects``, ``assets`` and ``connections`` to the top-level subparsers."""
    from ..resources.projects import INPUT_TYPES

    add = _group(sub, common, "projects", "list and create labelling projects")
    a = add("list", cmd_projects_list, "the projects you can see")
    a.add_argument("--search", help="title or description containing TEXT")
    a = add("create", cmd_projects_create, "create a project; prints its id")
    a.add_argument("title", metavar="TITLE")
    a.add_argument("--input-type", type=str.upper, choices=INPUT_TYPES, default="IMAGE")
    a.add_argument("--description")
    a.add_argument("--org", help="an organization of yours")

    add = _group(sub, common, "assets", "query a project's assets with filters")
    a = add("ls", cmd_assets_ls, "list the matching assets (id, status, external id)")
    _add_filters(a)
    a.add_argument("--fields", help="comma-separated fields to print (labels.author...)")
    a.add_argument("--limit", type=int, help="at most N assets")
    a = add("count", cmd_assets_count, "count the matching assets")
    _add_filters(a)

    add = _group(sub, common, "connections", "connect buckets to projects and synchronise them")
    a = add("create", cmd_connections_create, "connect BUCKET to PROJECT; prints its id")
    a.add_argument("project", metavar="PROJECT")
    a.add_argument("bucket", metavar="BUCKET", help="bucket name or id")
    a.add_argument("--folder", action="append", help="a folder to synchronise (repeatable)")
    a.add_argument("--include", action="append", metavar="GLOB", help="keys matching (repeatable)")
    a.add_argument("--exclude", action="append", metavar="GLOB", help="keys to drop (repeatable)")
    a = add("list", cmd_connections_list, "the connections you can see")
    a.add_argument("--project")
    a.add_argument("--bucket")
    a = add("diff", cmd_connections_diff, "what a sync would add and remove (changes nothing)")
    a.add_argument("id", metavar="ID")
    a = add("sync", cmd_connections_sync, "add assets for new files (--delete: drop gone ones)")
    a.add_argument("id", metavar="ID")
    a.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    a.add_argument("--delete", action="store_true", help="delete assets whose files are gone")
    a.add_argument("--no-wait", action="store_true", help="print the operation id if it is one")
    a.add_argument("-v", "--verbose", action="store_true", help="list the planned changes")
