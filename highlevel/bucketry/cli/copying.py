"""``cp`` and ``sync``: transfers between local paths (or stdin/stdout) and buckets."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..uri import BucketURI, format_uri, is_bucket_uri
from .common import (
    UsageError,
    _client,
    _message,
    _print_json,
    _remote,
    _report,
    _report_failed,
    _size,
)
from .operations import copy_prefix

if TYPE_CHECKING:
    from ..client import Client


def cmd_cp(args: argparse.Namespace) -> int:
    """``bucketry cp SRC DST``: upload, download or copy server-side; ``-`` as SRC reads
    stdin, as DST writes stdout. Returns the exit code (1 when a file failed)."""
    src_remote, dst_remote = is_bucket_uri(args.src), is_bucket_uri(args.dst)
    if args.no_wait and not (src_remote and dst_remote and args.recursive):
        raise UsageError("--no-wait applies to -r copies between buckets (one operation)")
    if args.src == "-" or args.dst == "-":
        return _copy_stdio(args)
    if not src_remote and not dst_remote:
        raise UsageError(
            "one of SRC and DST must be a bkt:// URI (use your shell's cp for local copies)"
        )
    client = _client(args)
    if src_remote and dst_remote:
        return _copy_remote(client, _remote(args.src), _remote(args.dst), args)
    if dst_remote:
        src = Path(args.src)
        dst = _remote(args.dst)
        bucket = client.bucket(dst.bucket)
        if src.is_dir():
            if not args.recursive:
                raise UsageError(f"{src} is a folder (use -r)")
            prefix = dst.key if dst.is_prefix else dst.key + "/"
            report = bucket.upload(src, prefix)
        elif src.exists():
            key = dst.child(src.name).key if dst.is_prefix else dst.key
            report = bucket.upload(src, key)
        else:
            raise FileNotFoundError(f"no such file or folder: {src}")
    else:
        uri = _remote(args.src)
        bucket = client.bucket(uri.bucket)
        target = Path(args.dst)
        if args.recursive:
            prefix = uri.key if uri.is_prefix else uri.key + "/"
            report = bucket.download(prefix, target, decompress=args.decompress)
        else:
            if uri.is_prefix:
                raise UsageError(f"{args.src} is a prefix (use -r)")
            if target.is_dir() or args.dst.endswith(("/", os.sep)):
                target = target / uri.key.rsplit("/", 1)[-1]
            report = bucket.download(uri.key, target, decompress=args.decompress)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(_report(report))
    return 1 if _report_failed(report) else 0


def _copy_stdio(args: argparse.Namespace) -> int:
    """``cp bkt://B/KEY -`` writes the blob to stdout; ``cp - bkt://B/KEY`` stores stdin."""
    if args.src == "-" and args.dst == "-":
        raise UsageError("one of SRC and DST must be a bkt:// URI")
    if args.recursive:
        raise UsageError("'-' (stdin/stdout) copies one blob; drop -r")
    uri = _remote(args.dst if args.src == "-" else args.src)
    if uri.is_prefix or not uri.key:
        raise UsageError(f"{uri} is not a blob key ('-' copies exactly one blob)")
    blob = _client(args).bucket(uri.bucket).blob(uri.key)
    if args.dst == "-":
        with blob.open("rb") as reader:
            shutil.copyfileobj(reader, sys.stdout.buffer, 1024 * 1024)
        sys.stdout.buffer.flush()
        return 0
    with blob.open("wb") as writer:
        shutil.copyfileobj(sys.stdin.buffer, writer, 1024 * 1024)
    info = writer.info
    size = info.size if info is not None else 0
    if args.json:
        _print_json({"key": uri.key, "bucket": uri.bucket, "size": size})
    else:
        print(f"uploaded stdin to {uri} ({_size(size)})")
    return 0


def _copy_remote(client: Client, src: BucketURI, dst: BucketURI, args: argparse.Namespace) -> int:
    """Server-side copies (no bytes through this machine): ``-r`` copies the prefix with one
    COPY operation (:func:`.operations.copy_prefix`), else the one blob directly."""
    if args.recursive:
        src_prefix = src.key if src.is_prefix else src.key + "/"
        dst_prefix = dst.key if dst.is_prefix else dst.key + "/"
        return copy_prefix(
            client, format_uri(src.bucket, src_prefix), format_uri(dst.bucket, dst_prefix), args
        )
    if src.is_prefix:
        raise UsageError(f"{src} is a prefix (use -r)")
    source = client.bucket(src.bucket)
    target = client.bucket(dst.bucket)
    key = dst.child(src.key.rsplit("/", 1)[-1]).key if dst.is_prefix else dst.key
    pairs = [(src.key, key)]
    failures = 0
    for src_key, dst_key in pairs:
        try:
            source.blob(src_key).copy_to(target, dst_key)
        except Exception as exc:
            failures += 1
            print(f"bucketry: error: {_message(exc)}", file=sys.stderr)  # names both blobs
            continue
        if not args.json:
            print(f"copied bkt://{src.bucket}/{src_key} -> bkt://{dst.bucket}/{dst_key}")
    if args.json:
        _print_json({"copied": len(pairs) - failures, "failed": failures})
    return 1 if failures else 0


def cmd_sync(args: argparse.Namespace) -> int:
    """``bucketry sync SRC DST``: make DST mirror SRC (``--update`` keeps newer
    destination files). Returns the exit code (1 when an operation failed)."""
    src_remote, dst_remote = is_bucket_uri(args.src), is_bucket_uri(args.dst)
    if src_remote == dst_remote:
        raise UsageError("sync needs one local folder and one bkt:// URI")
    if dst_remote:
        local, uri, direction = Path(args.src), _remote(args.dst), "upload"
    else:
        local, uri, direction = Path(args.dst), _remote(args.src), "download"
    client = _client(args)
    plan = client.bucket(uri.bucket).sync(
        local,
        uri.key,
        direction=direction,  # type: ignore[arg-type]
        delete=args.delete,
        compare=args.compare,
        update=args.update,
        dry_run=args.dry_run,
        include=args.include or None,
        exclude=args.exclude or None,
    )
    if args.save_plan:
        plan.save(args.save_plan)
    if args.json:
        _print_json(plan.to_dict())
    else:
        if args.verbose:
            for op in plan:
                if op.action != "skip" or args.verbose > 1:
                    print(f"{op.action:<8} {op.key}  ({op.reason})")
        print(plan.summary())
        if plan.results is not None and not plan.results.ok:
            print(plan.results.summary(), file=sys.stderr)
    return 0 if plan.results is None or plan.results.ok else 1
