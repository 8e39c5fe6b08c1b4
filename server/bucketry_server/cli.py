"""The ``bucketry-server`` command line: serve the API and administer users and tokens."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bucketry_server import __version__

from .config import Settings
from .process_tuning import limit_malloc_arenas, tune_serving_process

if TYPE_CHECKING:
    from fastapi import FastAPI

#: Seconds an idle keep-alive connection stays open (uvicorn's default is 5). A client reuses a
#: pooled connection until its own idle expiry, measured from when it read the last response,
#: so a server that closes at the same age (httpx's pool, and so the SDK, expires at 5 s)
#: closes connections under requests already sent on them: the client sees the connection
#: drop (``ReadError``). The server's timeout must be the longer one; 75 s is above the common
#: clients' and proxies' idle timeouts (httpx 5 s, aiohttp 15 s, load balancers 60 s).
KEEP_ALIVE_SECONDS = 75


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="data folder (BUCKETRY_DATA_DIR, default ./.bucketry-data)")
    p.add_argument(
        "--database-url",
        help="SQLAlchemy URL (BUCKETRY_DATABASE_URL; default SQLite, or postgresql+psycopg://...)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bucketry-server",
        description="Bucketry reference server: serve the API and administer users and tokens.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP API")
    _common(serve)
    serve.add_argument("--host", help="bind address (BUCKETRY_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (BUCKETRY_PORT, default 8080)")
    serve.add_argument(
        "--storage",
        help="blob store: a folder or s3://bucket/prefix?endpoint_url=… "
        "(BUCKETRY_STORAGE, default DATA_DIR/blobs)",
    )
    serve.add_argument("--public-url", help="absolute base URL used in signed URLs")
    serve.add_argument("--log-level", help="uvicorn log level (default info)")
    serve.add_argument(
        "--allowed-networks",
        help="comma-separated CIDRs imported buckets may reach although private or loopback "
        "(BUCKETRY_ALLOWED_NETWORKS; none by default)",
    )
    serve.add_argument(
        "--filesystem-root",
        action="append",
        dest="filesystem_roots",
        help="a folder under which admins may register FILESYSTEM buckets (repeatable; "
        "BUCKETRY_FILESYSTEM_ROOTS, os.pathsep-separated; none by default)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes sharing the port (BUCKETRY_WORKERS, default: one per CPU)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        help="connections one worker process takes at most; beyond, 503 busy "
        "(BUCKETRY_MAX_CONNECTIONS, default 512; 0: no bound)",
    )
    serve.add_argument(
        "--remote-sort-limit",
        type=int,
        help="objects one page of an imported bucket may list when sorted by size, time or "
        "descending name (BUCKETRY_REMOTE_SORT_LIMIT, default 100000)",
    )

    cu = sub.add_parser("create-user", help="create a user and print a token for them")
    _common(cu)
    cu.add_argument("name")
    cu.add_argument("--org", help="organization slug to join (created if missing)")
    cu.add_argument("--admin", action="store_true", help="make the user an administrator")
    cu.add_argument("--email")

    rk = sub.add_parser(
        "rekey",
        help="re-encrypt imported buckets' stored credentials and pending IMPORT_URL operations' "
        "source URLs under the first key of the ring",
    )
    _common(rk)

    ct = sub.add_parser("create-token", help="print a new personal access token for a user")
    _common(ct)
    ct.add_argument("name", help="user name")
    ct.add_argument("--label", default="cli", help="token name")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        data_dir=args.data_dir,
        database_url=args.database_url,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        storage=getattr(args, "storage", None),
        public_url=getattr(args, "public_url", None),
        log_level=getattr(args, "log_level", None),
        allowed_networks=getattr(args, "allowed_networks", None),
        filesystem_roots=getattr(args, "filesystem_roots", None),
        remote_sort_limit=getattr(args, "remote_sort_limit", None),
        workers=getattr(args, "workers", None),
        max_connections=getattr(args, "max_connections", None),
    )


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from .db import Database, migrate
    from .security import private_dir

    private_dir(settings.data_dir)
    db = Database(settings.effective_database_url)
    migrate(db.engine)
    return db


def serve(settings: Settings) -> int:
    """``bucketry-server serve``: prepare the data folder (migrate the schema, create the
    admin on first start, sweep what interrupted writes left) in a child process, then serve
    the API with ``settings.effective_workers`` processes, which neither migrate nor sweep.
    The preparation runs apart so that the serving process (the workers' supervisor with
    ``--workers``) never holds the migration and sweep code (alembic, the whole app: about
    70 MiB). With more than one worker the settings reach them through ``BUCKETRY_*``
    variables; uvicorn restarts a worker that dies. Returns the exit status; raises
    ``ValueError`` for bad settings."""
    if settings.workers < 0:
        raise ValueError("--workers must be at least 1 (or 0: one per CPU)")
    if settings.max_connections < 0:
        raise ValueError("--max-connections must be at least 1 (or 0: no bound)")
    if settings.body_idle_seconds <= 0:  # every upload would time out at once
        raise ValueError("BUCKETRY_BODY_IDLE_SECONDS must be above 0")
    if settings.spool_max_bytes <= 0:  # every write to an S3 store would be refused
        raise ValueError("BUCKETRY_SPOOL_MAX_BYTES must be above 0")
    status = _prepare_apart(settings)
    if status != 0:
        return status
    import uvicorn

    from .protocol import BoundedHttpToolsProtocol

    settings.start_sweep = settings.start_migrate = False  # done by the preparation
    workers = settings.effective_workers
    print(
        f"Bucketry API on http://{settings.host}:{settings.port}/api/v1 ({workers} workers)",
        flush=True,
    )
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "http": BoundedHttpToolsProtocol,  # httptools with bounded request heads
        "loop": "uvloop",
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # uvicorn's count: connections and requests in progress; past it, 503 (see protocol)
        "limit_concurrency": settings.max_connections or None,
    }
    if workers == 1:
        from .app import create_app

        limit_malloc_arenas()
        app = create_app(settings)
        tune_serving_process()
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return 0
    os.environ.update(settings.to_env())
    uvicorn.run(
        "bucketry_server.cli:worker_app",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )
    return 0


def _prepare_apart(settings: Settings) -> int:
    """Run :func:`_prepare` in a fresh interpreter (settings passed as the workers get them:
    ``BUCKETRY_*`` variables) and wait for it; its exit status."""
    import subprocess

    code = "from bucketry_server.cli import _prepare_main; _prepare_main()"
    env = {**os.environ, **settings.to_env()}
    return subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode


def _prepare_main() -> None:
    """The child of :func:`_prepare_apart`: :func:`_prepare` with the settings of the
    environment; exits with status 2 on bad settings."""
    try:
        _prepare(Settings.from_env())
    except ValueError as exc:
        print(f"bucketry-server: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)


def _prepare(settings: Settings) -> None:
    """Before any server process starts (run apart by :func:`serve`): migrate the schema,
    create the admin on first start (printing its token) and sweep what interrupted writes
    left (once, before any worker writes: a worker sweeping while another one writes would
    take the other's uncommitted objects for orphans). Raises ``ValueError`` on bad
    settings."""
    from .accounts.users import ensure_admin

    db = _database(settings)
    secret = ensure_admin(db, settings.data_dir)
    db.dispose()
    if secret:
        print(f"Created user 'admin'. Token (also in {settings.data_dir / 'admin.token'}):")
        print(f"  {secret}", flush=True)
    _sweep_at_start(settings)


def worker_app() -> FastAPI:
    """The app of one ``serve --workers`` process (uvicorn's factory): settings from the
    ``BUCKETRY_*`` variables the parent set. On Linux the worker asks the kernel for a SIGTERM
    when its parent dies, so a killed server leaves no worker holding the port."""
    from .app import create_app

    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)
    limit_malloc_arenas()
    app = create_app()
    tune_serving_process()
    return app


def _sweep_at_start(settings: Settings) -> None:
    """The start-up sweep of :func:`_prepare` (the storage and catalogue of ``settings``)."""
    import asyncio

    from .app import build_state
    from .maintenance import sweep_at_start

    async def sweep() -> None:
        state = build_state(settings)
        try:
            await sweep_at_start(state)
        finally:
            await state.rolling.close()
            await state.store.close()
            state.db.dispose()

    asyncio.run(sweep())


def rekey_command(settings: Settings) -> int:
    """``bucketry-server rekey``: re-seal every imported bucket's credentials, and the sealed
    source URL of every pending IMPORT_URL operation, under the first key of the ring
    (``BUCKETRY_SECRET_KEYS`` or the data dir's key file, which must exist) and print the
    counts. Returns 0, or 1 if some value no key opens (the bucket or operation ids are
    printed; they are left unchanged), or 2 without a key ring."""
    from .buckets.rekey import rekey
    from .keyring import KEY_FILE, KeyRing, KeyRingError
    from .operations.rekeying import rekey_import_urls

    if not settings.secret_keys and not (settings.data_dir / KEY_FILE).exists():
        print(
            f"bucketry-server: error: no key ring (BUCKETRY_SECRET_KEYS or "
            f"{settings.data_dir / KEY_FILE})",
            file=sys.stderr,
        )
        return 2
    try:
        ring = KeyRing.load(settings.data_dir, settings.secret_keys)
    except (KeyRingError, OSError) as exc:
        print(f"bucketry-server: error: {exc}", file=sys.stderr)
        return 2
    db = _database(settings)
    try:
        report = rekey(db, ring)
        urls = rekey_import_urls(db, ring)
    finally:
        db.dispose()
    for what, done in (("", report), ("pending import URLs: ", urls)):
        print(
            f"{what}re-sealed {done.resealed}, already current {done.current}, "
            f"changed meanwhile {done.changed}, unreadable {len(done.unreadable)} "
            f"(first key {ring.primary_id!r})"
        )
    for bucket_id in report.unreadable:
        print(f"unreadable: {bucket_id} (left unchanged)")
    for op_id in urls.unreadable:
        print(f"unreadable import URL: {op_id} (left unchanged; it fails url_unreadable)")
    return 1 if report.unreadable or urls.unreadable else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = _settings(args)
        if args.command == "serve":
            return serve(settings)
        if args.command == "rekey":
            return rekey_command(settings)
        from .accounts.users import create_token, create_user

        db = _database(settings)
        try:
            if args.command == "create-user":
                _, secret = create_user(
                    db, args.name, org=args.org, admin=args.admin, email=args.email
                )
            else:
                secret = create_token(db, args.name, args.label)
        finally:
            db.dispose()
        print(secret)
        return 0
    except ValueError as exc:
        print(f"bucketry-server: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
