"""Start a throwaway Azurite blob service on loopback (the Azure Blob emulator).

``azurite-blob`` is installed by ``scripts/test`` (``prepare_emulators``: npm, pinned, into
``.emulators/azurite``) and found through ``$BUCKETRY_AZURITE_BIN`` or that folder. It runs on
127.0.0.1 with a free port, its workspace in a temp dir, telemetry off, and checks Shared Key
signatures of the well-known development account (a wrong key gets 403).
"""

from __future__ import annotations

import contextlib
import os
import shutil
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

__all__ = ["AZURITE_ACCOUNT", "AZURITE_KEY", "Azurite", "find_azurite", "start_azurite"]

ROOT = Path(__file__).resolve().parents[2]
# The documented, public development account of every Azure storage emulator (not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


class Azurite(NamedTuple):
    """Where the blob service listens (``endpoint_url`` is the bare ``http://127.0.0.1:port``)."""

    endpoint_url: str
    account_name: str
    account_key: str

    @property
    def connection_string(self) -> str:
        """A connection string for the development account on this service."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account_name};"
            f"AccountKey={self.account_key};"
            f"BlobEndpoint={self.endpoint_url}/{self.account_name};"
        )


def find_azurite() -> str | None:
    """``azurite-blob``: ``$BUCKETRY_AZURITE_BIN``, ``.emulators/azurite``, then ``PATH``."""
    explicit = os.environ.get("BUCKETRY_AZURITE_BIN")
    if explicit:
        return explicit
    local = ROOT / ".emulators" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which("azurite-blob")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint + "/", timeout=1).close()  # noqa: S310 - loopback
    except urllib.error.HTTPError:
        return True  # 400/403 for a bare request: the service is up
    except OSError:
        return False
    return True


@contextmanager
def start_azurite(tmpdir: Path, *, timeout: float = 30.0, attempts: int = 3) -> Iterator[Azurite]:
    """Run ``azurite-blob`` in ``tmpdir`` until the context exits; yield its endpoint.

    Retries with a fresh port if the process dies during start-up (a port raced away).
    Raises ``RuntimeError`` when the binary is missing or never answers.
    """
    binary = find_azurite()
    if binary is None:
        raise RuntimeError("azurite-blob not found: run scripts/test (prepare_emulators)")
    last_error = ""
    for attempt in range(attempts):
        port = _free_port()
        location = Path(tmpdir) / f"ws{attempt}"
        location.mkdir(parents=True)
        log = (Path(tmpdir) / f"azurite{attempt}.log").open("wb")
        # fmt: off
        cmd = [
            binary, "--blobHost", "127.0.0.1", "--blobPort", str(port),
            "--location", str(location), "--skipApiVersionCheck", "--disableTelemetry",
            "--loose", "--silent",
        ]
        # fmt: on
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                if _answers(endpoint):
                    yield Azurite(endpoint, AZURITE_ACCOUNT, AZURITE_KEY)
                    return
                time.sleep(0.05)
            last_error = (Path(tmpdir) / f"azurite{attempt}.log").read_text(errors="replace")
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            log.close()
    raise RuntimeError(f"Azurite did not start: {last_error[-2000:]}")
