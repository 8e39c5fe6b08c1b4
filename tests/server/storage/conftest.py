"""Fixtures: the same behavioural tests run against LocalStore and S3Store (on SeaweedFS)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bucketry_server.storage import LocalStore, ObjectStore, S3Store
from tests.conftest import SEAWEED_BUCKET as BUCKET
from tests.support.seaweed import SeaweedS3


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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
