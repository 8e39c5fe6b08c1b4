"""Run the real server in-process on 127.0.0.1 (a uvicorn thread) for integration tests."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from bucketry_server.app import create_app
from bucketry_server.config import Settings
from bucketry_server.protocol import BoundedHttpToolsProtocol
from bucketry_server.state import AppState


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str  # root, e.g. http://127.0.0.1:PORT
    settings: Settings
    server: uvicorn.Server

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    @property
    def state(self) -> AppState:
        state: AppState = self.server.config.app.state.bucketry  # type: ignore[attr-defined]
        return state


#: A PostgreSQL server to run every live server on instead of SQLite: the URL of a database
#: there (any; each live server gets a fresh database of its own next to it).
POSTGRES_ENV = "BUCKETRY_TEST_POSTGRES"


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty database on the server of ``admin_url``; drop it afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bkt_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def live_server(data_dir: Path, **settings_overrides: object) -> Iterator[LiveServer]:
    with ExitStack() as stack:
        postgres = os.environ.get(POSTGRES_ENV)
        if postgres and "database_url" not in settings_overrides:
            settings_overrides["database_url"] = stack.enter_context(
                fresh_postgres_database(postgres)
            )
        yield stack.enter_context(_live_server(data_dir, **settings_overrides))


@contextmanager
def _live_server(data_dir: Path, **settings_overrides: object) -> Iterator[LiveServer]:
    port = free_port()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, log_level="warning")
    settings.allowed_networks = ["127.0.0.0/8"]  # emulators of imported buckets on loopback
    for k, v in settings_overrides.items():
        setattr(settings, k, v)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        http=BoundedHttpToolsProtocol,  # as bucketry-server serve runs it
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bucketry-test-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url, settings, server)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
