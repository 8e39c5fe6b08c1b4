"""The reusable contract of :class:`bucketry_server.backends.remote.client.ObjectClient`.

Every provider client (boto3 for S3/S3-compatible, Azure, GCS, server folders) must pass it.
Use it by subclassing :class:`ObjectClientContract` in a test module and defining one fixture,
``factory``, returning a :class:`ClientFactory` for the provider under test (usually built on a
session fixture that started the emulator)::

    class TestMyProvider(ObjectClientContract):
        @pytest.fixture
        def factory(self, my_emulator) -> ClientFactory:
            return MyFactory(my_emulator)

Each test works under its own random key prefix, so tests share one provider bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

import httpx
import pytest

from bucketry_server.backends.base import WriteSpec
from bucketry_server.backends.remote.backend import RemoteBackend
from bucketry_server.backends.remote.client import (
    ObjectClient,
    ObjectInfo,
    ProviderConditionFailed,
    ProviderNotFound,
    ProviderVersionChanged,
    WriteCondition,
)
from bucketry_server.errors import PreconditionFailed
from bucketry_server.models import Bucket
from tests.support.live_server import LiveServer

MiB = 1024 * 1024
#: A dead endpoint must be reported within this many seconds.
PROBE_BOUND = 20.0


class ClientFactory(Protocol):
    """How the contract gets clients of the provider under test."""

    def good(self) -> ObjectClient:
        """A client of an existing bucket with read/write credentials."""
        ...

    def wrong_secret(self) -> ObjectClient | None:
        """A client of the same bucket with a wrong secret (None: the provider has none)."""
        ...

    def missing_bucket(self) -> ObjectClient:
        """A client of a bucket that does not exist."""
        ...

    def dead_endpoint(self) -> ObjectClient | None:
        """A client whose endpoint does not answer (None: the provider has no endpoint)."""
        ...


def _put(
    client: ObjectClient, key: str, data: bytes, content_type: str = "text/plain"
) -> ObjectInfo:
    return client.write(key, iter([data]), content_type=content_type, metadata={}, size=len(data))


def _get(
    client: ObjectClient, key: str, start: int = 0, end: int | None = None, etag: str | None = None
) -> bytes:
    return b"".join(client.read(key, start, end, etag=etag))


class _Refused(Exception):
    """What a part's byte source raises when the server refuses the part mid-stream."""


def _pieces(data: bytes, piece: int = 256 * 1024) -> Iterator[bytes]:
    for i in range(0, len(data), piece):
        yield data[i : i + piece]


def _all_keys(client: ObjectClient, prefix: str, limit: int) -> list[str]:
    keys: list[str] = []
    after: str | None = None
    while True:
        page = client.list_page(prefix, after, limit)
        assert len(page) <= limit
        keys += [o.key for o in page]
        if len(page) < limit:
            return keys
        after = page[-1].key


def _remote(server: LiveServer, factory: ClientFactory, prefix: str) -> RemoteBackend:
    """The remote backend of an imported bucket over ``factory``'s client (allowed to write)."""
    bucket = Bucket(
        id=f"bkt_race{uuid.uuid4().hex[:12]}",
        name="race",
        provider="S3_COMPATIBLE",
        provider_bucket="b",
        prefix=prefix,
        version=1,
        status="AVAILABLE",
        actions=["READ", "WRITE"],
    )
    return RemoteBackend(server.state, bucket, factory.good)


async def _race(backend: RemoteBackend, key: str, spec: WriteSpec) -> list[Any]:
    """Two writes of ``key`` under ``spec`` whose bodies are held until both are streaming
    (so both passed the server's pre-check before either reached the provider)."""
    both = asyncio.Event()
    streaming: list[bytes] = []

    async def body(tag: bytes) -> AsyncIterator[bytes]:
        yield tag * 4096
        streaming.append(tag)
        if len(streaming) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 30)
        yield tag * 4096

    return await asyncio.gather(
        backend.write(key, body(b"a"), spec),
        backend.write(key, body(b"b"), spec),
        return_exceptions=True,
    )


class ObjectClientContract:
    """The tests every ObjectClient passes; subclasses provide the ``factory`` fixture."""

    #: Whether the provider checks a write condition on its large-write paths too (S3
    #: CompleteMultipartUpload, Azure Put Block List, GCS resumable upload and compose).
    #: fake-gcs-server ignores ``ifGenerationMatch`` there (real GCS does not): its classes
    #: say False, and the test then shows the emulator ignoring it (the pre-check stands).
    conditions_on_large_writes = True

    @pytest.fixture
    def factory(self) -> ClientFactory:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def client(self, factory: ClientFactory) -> Iterator[ObjectClient]:
        c = factory.good()
        try:
            yield c
        finally:
            c.close()

    @pytest.fixture
    def p(self) -> str:
        """This test's own key prefix."""
        return f"contract-{uuid.uuid4().hex[:10]}/"

    def test_list_in_byte_order_with_pages_prefix_and_start_after(
        self, client: ObjectClient, p: str
    ) -> None:
        # No key has a character sorting below "/" beside a folder of the same stem ("a-b"
        # next to "a/"): SeaweedFS lists folder by folder there, not in byte order.
        names = ["b", "a/1", "a/2/x", "a0", "A", "a_b", "\u00e9t\u00e9", "z/\u4e2d"]
        for n in names:
            _put(client, p + n, n.encode())
        _put(client, p[:-1] + "-sibling", b"outside")
        expected = sorted((p + n for n in names), key=lambda k: k.encode())
        assert [o.key for o in client.list_page(p, None, 1000)] == expected
        for limit in (1, 2, 3):
            assert _all_keys(client, p, limit) == expected
        assert [o.key for o in client.list_page(p, p + "a/1x", 1000)] == expected[
            expected.index(p + "a/2/x") :
        ]  # start_after need not be a key
        assert [o.key for o in client.list_page(p + "a/", None, 1000)] == [p + "a/1", p + "a/2/x"]
        assert client.list_page(p + "nothing-here/", None, 10) == []
        first = client.list_page(p, None, 1)[0]
        assert first.size == len(first.key[len(p) :].encode()) and first.etag

    def test_head(self, client: ObjectClient, p: str) -> None:
        written = _put(client, p + "h.txt", b"hello", "text/plain")
        info = client.head(p + "h.txt")
        assert info is not None
        assert (info.key, info.size) == (p + "h.txt", 5)
        assert info.etag == written.etag
        assert client.head(p + "missing") is None

    def test_read_ranges_and_etag_pin(self, client: ObjectClient, p: str) -> None:
        data = bytes(range(256)) * 40
        first = _put(client, p + "r.bin", data)
        assert _get(client, p + "r.bin") == data
        assert _get(client, p + "r.bin", 10, 19) == data[10:20]
        assert _get(client, p + "r.bin", 5000) == data[5000:]
        assert _get(client, p + "r.bin", 0, 0) == data[:1]
        assert _get(client, p + "r.bin", etag=first.etag) == data
        time.sleep(0.01)
        _put(client, p + "r.bin", b"another version, another length")
        with pytest.raises(ProviderVersionChanged):
            _get(client, p + "r.bin", etag=first.etag)
        with pytest.raises(ProviderNotFound):
            _get(client, p + "missing.bin")

    def test_write_streamed_crosses_multipart(self, client: ObjectClient, p: str) -> None:
        block = os.urandom(MiB)
        count = 9  # > 8 MiB: above every provider's single-request threshold used here
        digest = hashlib.sha256(block * count).hexdigest()

        def chunks() -> Iterator[bytes]:
            for _ in range(count):
                yield block

        info = client.write(
            p + "big.bin", chunks(), content_type="application/octet-stream", metadata={}
        )
        assert info.size == count * MiB
        head = client.head(p + "big.bin")
        assert head is not None and head.size == count * MiB
        h = hashlib.sha256()
        for chunk in client.read(p + "big.bin"):
            h.update(chunk)
        assert h.hexdigest() == digest

    def test_overwrite_replaces(self, client: ObjectClient, p: str) -> None:
        _put(client, p + "o.txt", b"one")
        _put(client, p + "o.txt", b"second")
        assert _get(client, p + "o.txt") == b"second"
        assert [o.key for o in client.list_page(p, None, 10)] == [p + "o.txt"]

    def test_delete_returns_what_went(self, client: ObjectClient, p: str) -> None:
        _put(client, p + "d/1", b"1")
        _put(client, p + "d/2", b"2")
        assert sorted(client.delete([p + "d/1", p + "d/missing"])) == [p + "d/1"]
        assert client.head(p + "d/1") is None
        assert [o.key for o in client.list_page(p, None, 10)] == [p + "d/2"]
        assert client.delete([]) == []

    def test_copy(self, client: ObjectClient, p: str) -> None:
        _put(client, p + "src.txt", b"copied bytes")
        info = client.copy(p + "src.txt", p + "dst/copy.txt")
        assert info.key == p + "dst/copy.txt" and info.size == 12
        assert _get(client, p + "dst/copy.txt") == b"copied bytes"
        assert _get(client, p + "src.txt") == b"copied bytes"
        with pytest.raises(ProviderNotFound):
            client.copy(p + "no-such-source", p + "x")

    def test_multipart_parts_in_any_order_resent_then_completed(
        self, client: ObjectClient, p: str
    ) -> None:
        key = p + "multi/part.bin"
        one, two, tail = os.urandom(5 * MiB), os.urandom(5 * MiB), b"the tail"
        upload = client.start_multipart(key, content_type="application/x-test", metadata={"m": "v"})
        assert upload and len(upload) <= 1024
        second = client.write_part(key, upload, 2, _pieces(two), size=len(two))
        client.write_part(key, upload, 1, _pieces(os.urandom(5 * MiB)))  # replaced below
        first = client.write_part(key, upload, 1, _pieces(one), size=len(one))
        last = client.write_part(key, upload, 3, iter([tail]))
        assert (first.number, first.size, second.size, last.size) == (1, 5 * MiB, 5 * MiB, 8)
        assert client.head(key) is None  # nothing visible before the completion
        info = client.complete_multipart(
            key,
            upload,
            [first, second, last],
            content_type="application/x-test",
            metadata={"m": "v"},
        )
        assert info.size == 10 * MiB + 8
        assert (
            hashlib.sha256(_get(client, key)).digest() == hashlib.sha256(one + two + tail).digest()
        )
        head = client.head(key)
        alike = client.write(
            p + "alike.bin", iter([b"x"]), content_type="application/x-test", metadata={"m": "v"}
        )  # what a single write keeps of the attributes
        alike_head = client.head(alike.key)
        assert head is not None and alike_head is not None
        assert head.content_type == alike_head.content_type
        assert dict(head.metadata or {}) == dict(alike_head.metadata or {})
        assert [o.key for o in client.list_page(p, None, 10)] == [alike.key, key]

    def test_multipart_failed_part_keeps_the_acknowledged_one(
        self, client: ObjectClient, p: str
    ) -> None:
        key = p + "failed-part.bin"
        good = os.urandom(MiB)
        upload = client.start_multipart(key, content_type="application/octet-stream", metadata={})
        kept = client.write_part(key, upload, 1, _pieces(good), size=len(good))

        def broken() -> Iterator[bytes]:
            yield os.urandom(MiB - 10)
            raise _Refused("checksum mismatch, found before the last bytes")

        with pytest.raises(_Refused):
            client.write_part(key, upload, 1, broken(), size=MiB)
        info = client.complete_multipart(
            key, upload, [kept], content_type="application/octet-stream", metadata={}
        )
        assert info.size == MiB and _get(client, key) == good

    def test_multipart_abort_leaves_nothing(self, client: ObjectClient, p: str) -> None:
        key = p + "aborted.bin"
        _put(client, key, b"the version before")
        upload = client.start_multipart(key, content_type="text/plain", metadata={})
        client.write_part(key, upload, 1, iter([b"never visible"]))
        client.abort_multipart(key, upload)
        client.abort_multipart(key, upload)  # twice is fine
        assert _get(client, key) == b"the version before"
        assert [o.key for o in client.list_page(p, None, 10)] == [key]

    def test_presign_get(self, client: ObjectClient, p: str) -> None:
        _put(client, p + "signed.txt", b"signed content")
        url = client.presign(p + "signed.txt", "GET", 120)
        if url is None:
            pytest.skip("this provider cannot sign URLs")
        r = httpx.get(url, timeout=10)
        assert r.status_code == 200 and r.content == b"signed content"

    def test_probe_good(self, client: ObjectClient) -> None:
        result = client.probe()
        assert result.status == "AVAILABLE"
        assert "READ" in result.actions and "WRITE" in result.actions

    def test_probe_wrong_secret_is_forbidden(self, factory: ClientFactory) -> None:
        c = factory.wrong_secret()
        if c is None:
            pytest.skip("no secret to get wrong")
        try:
            result = c.probe()
        finally:
            c.close()
        assert result.status == "FORBIDDEN", result
        assert not result.actions

    def test_probe_missing_bucket(self, factory: ClientFactory) -> None:
        c = factory.missing_bucket()
        try:
            result = c.probe()
        finally:
            c.close()
        assert result.status == "NOT_FOUND", result

    def test_probe_dead_endpoint_in_bounded_time(self, factory: ClientFactory) -> None:
        c = factory.dead_endpoint()
        if c is None:
            pytest.skip("no endpoint")
        t0 = time.monotonic()
        try:
            result = c.probe()
        finally:
            c.close()
        assert result.status == "UNREACHABLE", result
        assert time.monotonic() - t0 < PROBE_BOUND

    def _one_wins(
        self, server: LiveServer, client: ObjectClient, results: list[Any], key: str
    ) -> None:
        won = [i for i, r in enumerate(results) if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert len(won) == 1, results
        assert len(lost) == 1 and isinstance(lost[0], PreconditionFailed), lost
        assert _get(client, key) == (b"ab"[won[0] : won[0] + 1]) * 8192

    def test_racing_create_only_writers_one_wins(
        self, server: LiveServer, factory: ClientFactory, client: ObjectClient, p: str
    ) -> None:
        """Two ``If-None-Match: *`` writes both pass the server's pre-check; the provider's
        own condition lets exactly one through, the other gets 412, the winner's bytes stay."""
        backend = _remote(server, factory, p)
        spec = WriteSpec("application/octet-stream", {}, if_none_match="*")
        results = asyncio.run(_race(backend, "race", spec))
        self._one_wins(server, client, results, p + "race")

    def test_racing_if_match_writers_one_wins(
        self, server: LiveServer, factory: ClientFactory, client: ObjectClient, p: str
    ) -> None:
        """Two writes ``If-Match`` the same version: one replaces it, the other gets 412
        (a folder re-checks the version before its rename; the race there is the server's
        own two writers, which the re-check catches)."""
        first = _put(client, p + "cas", b"old")
        backend = _remote(server, factory, p)
        spec = WriteSpec("application/octet-stream", {}, if_match=first.etag)
        results = asyncio.run(_race(backend, "cas", spec))
        self._one_wins(server, client, results, p + "cas")

    def test_conditions_hold_on_every_write_path(self, client: ObjectClient, p: str) -> None:
        """A create-only or stale-etag write is refused by the provider on the single-request,
        the large (multipart / staged / resumable) and the completion paths; nothing changes."""
        key = p + "taken"
        old = _put(client, key, b"old")
        absent, stale = WriteCondition(absent=True), WriteCondition(etag=old.etag + "0")
        for condition in (absent, stale):
            with pytest.raises(ProviderConditionFailed):
                client.write(
                    key, iter([b"x"]), content_type="t/t", metadata={}, condition=condition
                )
        big = os.urandom(9 * MiB)
        upload = client.start_multipart(key, content_type="t/t", metadata={})
        part = client.write_part(key, upload, 1, _pieces(big), size=len(big))
        if not self.conditions_on_large_writes:  # the emulator ignores it: last writer wins
            client.write(
                key,
                _pieces(big),
                content_type="t/t",
                metadata={},
                part_size=5 * MiB,
                condition=absent,
            )
            assert _get(client, key) == big
            client.abort_multipart(key, upload)
            return
        with pytest.raises(ProviderConditionFailed):
            client.write(
                key,
                _pieces(big),
                content_type="t/t",
                metadata={},
                part_size=5 * MiB,
                condition=absent,
            )
        with pytest.raises(ProviderConditionFailed):
            client.complete_multipart(
                key, upload, [part], content_type="t/t", metadata={}, condition=absent
            )
        assert _get(client, key) == b"old"
        current = client.head(key)
        assert current is not None
        done = client.complete_multipart(
            key,
            upload,
            [part],
            content_type="t/t",
            metadata={},
            condition=WriteCondition(etag=current.etag),
        )
        assert done.size == len(big) and _get(client, key) == big
