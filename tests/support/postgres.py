"""A throwaway PostgreSQL cluster on 127.0.0.1 for the PostgreSQL pass of the test suite.

Uses Debian's server binaries (package ``postgresql``, installed by ``scripts/test``). The
cluster lives in a temp folder, listens on loopback only and trades durability for speed
(``fsync=off``): it exists for one test session. PostgreSQL refuses to run as root, so under
root the cluster belongs to the ``postgres`` user the package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.live_server import free_port

USER = "bucketry"


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb``, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _runner() -> tuple[list[str], int | None]:
    """The command prefix that runs a program as the cluster's owner, and that owner's uid."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "running as root needs the 'postgres' user (package postgresql)"
        ) from None
    return ["runuser", "-u", "postgres", "--"], owner.pw_uid


@contextmanager
def start_postgres() -> Iterator[str]:
    """Start a cluster in a new temp folder (removed afterwards); yield a SQLAlchemy URL of its
    ``postgres`` database."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
    prefix, uid = _runner()
    # Under root the cluster's owner must reach the folder: /tmp is open to every user (a TMPDIR
    # of root's own might not be).
    workdir = Path(tempfile.mkdtemp(prefix="bucketry-pg-", dir="/tmp" if uid is not None else None))
    try:
        with _cluster(bin_dir, prefix, uid, workdir) as url:
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def _cluster(bin_dir: Path, prefix: list[str], uid: int | None, workdir: Path) -> Iterator[str]:
    data, sock, log = workdir / "data", workdir / "sock", workdir / "server.log"
    sock.mkdir(mode=0o700)
    # A random password (scram) rather than trust: other local users get no superuser.
    password = secrets.token_hex(16)
    pwfile = workdir / "pw"
    pwfile.write_text(password)
    if uid is not None:
        for path in (workdir, sock, pwfile):
            os.chown(path, uid, -1)
    subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER,
         "--auth=scram-sha-256", f"--pwfile={pwfile}",
         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    pwfile.unlink()
    port = free_port()
    options = (
        f"-h 127.0.0.1 -p {port} -k {sock} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=300"
    )
    pg_ctl = [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
