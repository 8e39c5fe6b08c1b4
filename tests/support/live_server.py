"""Run the real server in-process on 127.0.0.1 (a uvicorn thread) for integration tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from bucketry_server.app import create_app
from bucketry_server.config import Settings
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


@contextmanager
def live_server(data_dir: Path, **settings_overrides: object) -> Iterator[LiveServer]:
    port = free_port()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, log_level="warning")
    for k, v in settings_overrides.items():
        setattr(settings, k, v)
    app = create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", http="httptools", lifespan="on"
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
