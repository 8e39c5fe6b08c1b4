"""The FastAPI application: wiring of settings, database, object store, middleware and routes.

The contract is ``openapi.yaml``: FastAPI's own schema generation is switched off and the file is
served verbatim, so clients and tests always see the one source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from . import __version__, logredact, maintenance, spooling
from .backends.managed.objects import settle_discards
from .backends.managed.rolling import RollingHashes
from .buckets.thumbnails import Thumbnails
from .config import Settings
from .db import Database, database_locked, migrate
from .errors import DomainError, Invalid
from .leader import Leadership, may_run_operation_workers
from .middleware import (
    BodyTimeoutMiddleware,
    HeaderLimitMiddleware,
    JsonBodyLimitMiddleware,
    JsonTextMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from .operations.engine import Engine
from .operations.wakeup import wake_address
from .problems import problem_response, status_of
from .routes import ROUTERS
from .routes.deps import State, get_principal
from .routes.unserved import load_spec, served_operations, unserved_router
from .security import Signer, load_server_key, private_dir
from .state import AppState
from .storage import open_store
from .writegate import RETRY_AFTER_SECONDS

log = logging.getLogger("bucketry_server")
API_PREFIX = "/api/v1"


def spec_path() -> Path:
    """``openapi.yaml`` beside the package in a source checkout, or packaged in the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "openapi.yaml", here / "openapi.yaml"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("openapi.yaml not found next to bucketry_server")


def build_state(settings: Settings) -> AppState:
    private_dir(settings.data_dir)  # 0700: blobs and database are nobody else's to read
    spooling.configure(settings.spool_max_bytes, private_dir(settings.data_dir / "spool"))
    db = Database(settings.effective_database_url)
    if settings.start_migrate:  # off in the processes of ``serve``: migrated before them
        migrate(db.engine)
    store = open_store(settings.effective_storage)
    thumbnails = Thumbnails(settings.preview_max_pixels, settings.preview_concurrency)
    signer = Signer(load_server_key(settings.data_dir))
    state = AppState(settings, db, store, signer, thumbnails, RollingHashes(store))
    state.leadership = Leadership(settings.data_dir)
    return state


def _operation_engine(state: AppState) -> Engine:
    """The engine of this process. On SQLite only the leading worker process runs operations
    (one writer; another takes over when it exits) and the others wake it through the data
    folder's wake-up socket; on PostgreSQL every process runs them (chunks are claimed with
    SKIP LOCKED) and wakes its own."""
    url = state.settings.effective_database_url
    sqlite = url.startswith("sqlite")
    address = wake_address(state.settings.data_dir) if sqlite else None
    return Engine(
        state,
        leads=lambda: may_run_operation_workers(url, state.leadership),
        wake_address=address,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    spec_bytes = spec_path().read_bytes()
    logredact.install()  # signed-URL tokens never reach the access log

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.bucketry = state
        if settings.start_sweep:  # off in the processes of ``serve``: swept before them
            await maintenance.sweep_at_start(state)
        janitor = asyncio.create_task(maintenance.run_periodically(state))
        purge_wake = maintenance.PurgeWake(settings.data_dir)
        state.wake_purge = purge_wake
        purger = asyncio.create_task(maintenance.run_purger(state, purge_wake))
        engine = _operation_engine(state)
        app.state.operations = engine
        state.wake_operations = engine.wake
        try:  # a start that fails still stops the tasks and closes the sockets
            await engine.start()
            yield
        finally:
            await engine.stop()
            purger.cancel()  # a batch in its worker thread commits; its files: the next sweep
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            purge_wake.close()
            await settle_discards(state)
            janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await janitor
            if state.leadership is not None:
                state.leadership.release()
            await state.rolling.close()
            await state.store.close()
            state.db.dispose()

    app = FastAPI(
        title="Bucketry",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )

    @app.get(API_PREFIX + "/openapi.yaml", include_in_schema=False)
    def system_openapi() -> Response:
        return Response(spec_bytes, media_type="application/yaml")

    unserved = unserved_router(spec_bytes, served_operations(ROUTERS))
    for router in [*ROUTERS, unserved]:
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(reject_unknown_query)])

    _install_error_handlers(app, allowed_methods_table(spec_bytes))
    app.state.anonymous_operations = anonymous_operations(spec_bytes)
    app.state.query_parameters = query_parameters(spec_bytes)
    app.state.tokenless_operations = tokenless_operations(spec_bytes)
    app.add_middleware(JsonTextMiddleware)  # inside the limit: reads bounded bodies only
    app.add_middleware(JsonBodyLimitMiddleware, limit=settings.max_json_bytes)
    app.add_middleware(BodyTimeoutMiddleware, seconds=settings.body_idle_seconds)
    app.add_middleware(UnhandledErrorMiddleware)  # a 500 keeps the connection alive
    app.add_middleware(HeaderLimitMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


def tokenless_operations(spec_bytes: bytes) -> frozenset[str]:
    """Operations that take no bearer token at all (``security: [{}]``)."""
    spec = load_spec(spec_bytes)
    return frozenset(
        op["operationId"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("security") == [{}]
    )


def anonymous_operations(spec_bytes: bytes) -> frozenset[str]:
    """Operation ids whose ``security`` admits no credentials; all others demand a token
    before anything else is looked at (so a missing token is a 401, never a 404 or 422)."""
    spec = load_spec(spec_bytes)
    default = spec.get("security", [])
    return frozenset(
        op["operationId"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if isinstance(op, dict)
        and "operationId" in op
        and any(req == {} for req in op.get("security", default))
    )


def query_parameters(spec_bytes: bytes) -> dict[str, frozenset[str]]:
    """Operation id -> the query parameter names the contract defines for it."""
    spec = load_spec(spec_bytes)
    shared = spec["components"]["parameters"]

    def resolve(param: dict[str, Any]) -> dict[str, Any]:
        ref = param.get("$ref")
        return shared[ref.rsplit("/", 1)[1]] if ref else param

    table: dict[str, frozenset[str]] = {}
    for item in spec["paths"].values():
        common = [resolve(p) for p in item.get("parameters", [])]
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                params = common + [resolve(p) for p in op.get("parameters", [])]
                table[op["operationId"]] = frozenset(
                    p["name"] for p in params if p["in"] == "query"
                )
    return table


async def reject_unknown_query(request: Request, state: State) -> None:
    """A misspelt parameter (``?prefx=``) must not silently widen a listing or a delete.
    Credentials are checked first (a missing or bad token stays a 401), except on the
    token-less routes (signed URLs, health), which ignore ``Authorization``. A coroutine: it
    runs on the event loop, not in a worker thread, for every request."""
    op_id = getattr(request.scope.get("endpoint"), "__name__", "")
    allowed: frozenset[str] | None = request.app.state.query_parameters.get(op_id)
    if allowed is None:
        return
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        if op_id not in request.app.state.tokenless_operations:
            await get_principal(request, state)
        raise Invalid(
            "unknown_parameter",
            f"unknown query parameter(s): {', '.join(unknown)[:200]}; "
            f"expected some of: {', '.join(sorted(allowed)) or 'none'}",
        )


def allowed_methods_table(spec_bytes: bytes) -> list[tuple[re.Pattern[str], str]]:
    """(path regex, ``Allow`` value) per spec path: FastAPI registers one route per method, so
    its own 405s would list only the first route's method."""
    spec = load_spec(spec_bytes)
    table = []
    for template, item in spec["paths"].items():
        methods = sorted(
            m.upper() for m in item if m in ("get", "put", "post", "delete", "patch", "head")
        )
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(API_PREFIX + template))
        table.append((re.compile(f"^{pattern}$"), ", ".join(methods)))
    return table


def _install_error_handlers(app: FastAPI, allow_table: list[tuple[re.Pattern[str], str]]) -> None:
    @app.exception_handler(DomainError)
    async def _problem(request: Request, exc: DomainError) -> Response:
        return problem_response(
            status_of(exc),
            exc.code,
            exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            instance=request.url.path,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors: list[dict[str, Any]] = [
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        in_body = any(e["loc"] and e["loc"][0] == "body" for e in errors)
        status = 422 if in_body else 400
        detail = "invalid request"
        if errors:
            where = ".".join(errors[0]["loc"])
            detail = f"{where}: {errors[0]['msg']}" if where else str(errors[0]["msg"])
        return problem_response(
            status, "validation_error", detail, errors=errors, instance=request.url.path
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            for pattern, allow in allow_table:
                if pattern.match(request.url.path):
                    headers["Allow"] = allow
                    break
        return problem_response(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=headers,
            instance=request.url.path,
        )

    @app.exception_handler(OperationalError)
    async def _locked(request: Request, exc: OperationalError) -> Response:
        # SQLite's lock stayed taken past the busy timeout: the request was fine, the server
        # busy (503, like the write gate's own timeout); any other database error is a 500.
        if not database_locked(exc):
            raise exc
        log.warning("database locked past the busy timeout on %s", request.method)
        return problem_response(
            503,
            "busy",
            "the database is busy: another writer held its lock too long; retry later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            instance=request.url.path,
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client hung up mid-body (an interrupted upload): the write protocol has already
        # discarded the partial object; nobody will read this answer.
        path = logredact.redact(request.url.path)
        log.info("client disconnected during %s %s", request.method, path)
        return problem_response(400, "client_disconnected", "the request body was cut short")
