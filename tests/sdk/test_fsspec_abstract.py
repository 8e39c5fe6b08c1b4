"""fsspec's own abstract test suite (``fsspec.tests.abstract``: copy, get, put, open, pipe)
run against ``bkt://`` on the live test server, wired like s3fs's derived tests: ``fs`` is the
filesystem, ``fs_path`` a fresh bucket per test, paths join with ``/``, and empty folders do
not exist (keys imply folders, as in every object store)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import fsspec.tests.abstract as abstract
import pytest

from bucketry.fsspec import BucketryFileSystem
from tests.support.live_server import LiveServer


class BktFixtures(abstract.AbstractFixtures):
    @pytest.fixture
    def fs(self, server: LiveServer, users: dict[str, str]) -> BucketryFileSystem:
        return BucketryFileSystem(url=server.url, token=users["alice"], skip_instance_cache=True)

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return lambda *parts: "/".join(parts)

    @pytest.fixture
    def fs_path(self, fs: BucketryFileSystem, unique: str) -> Iterator[str]:
        name = f"fsspec-abstract-{unique}"
        fs.mkdir(name)  # creates the bucket, as s3fs does
        yield name
        fs.client.bucket(name).delete(force=True)

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return False


class TestBktCopy(abstract.AbstractCopyTests, BktFixtures):
    pass


class TestBktGet(abstract.AbstractGetTests, BktFixtures):
    pass


class TestBktPut(abstract.AbstractPutTests, BktFixtures):
    pass


class TestBktOpen(abstract.AbstractOpenTests, BktFixtures):
    pass


class TestBktPipe(abstract.AbstractPipeTests, BktFixtures):
    pass
