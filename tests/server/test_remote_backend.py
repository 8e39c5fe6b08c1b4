"""The remote backend over a scripted in-memory ObjectClient: actions gate writes, probes are
bounded, cached and never raise, listings skip folders with one seek."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import SimpleNamespace

import pytest

from bucketry_server.backends.base import ListQuery, WriteSpec
from bucketry_server.backends.remote import cache, probing
from bucketry_server.backends.remote.backend import RemoteBackend
from bucketry_server.backends.remote.client import ObjectInfo, ProbeResult, ProviderConfig
from bucketry_server.backends.remote.config import provider_config
from bucketry_server.backends.remote.listing import start_after_for
from bucketry_server.config import Settings
from bucketry_server.errors import Forbidden, Invalid
from bucketry_server.models import Bucket
from tests.support.live_server import LiveServer


class MemoryClient:
    """Objects in a dict; counts list calls; a scripted probe."""

    reserved_prefix: str | None = None

    def __init__(self, probe: ProbeResult | None = None, hang: threading.Event | None = None):
        self.objects: dict[str, bytes] = {}
        self.probe_result = probe or ProbeResult("AVAILABLE", ("READ", "WRITE"))
        self.probes = 0
        self.list_calls = 0
        self.hang = hang

    def probe(self) -> ProbeResult:
        self.probes += 1
        if self.hang is not None:
            self.hang.wait(30)
        return self.probe_result

    def list_page(self, prefix: str, start_after: str | None, limit: int) -> list[ObjectInfo]:
        self.list_calls += 1
        keys = sorted(
            k
            for k in self.objects
            if k.startswith(prefix) and (start_after is None or k > start_after)
        )
        return [
            ObjectInfo(k, len(self.objects[k]), str(hash(self.objects[k]))) for k in keys[:limit]
        ]

    def head(self, key: str) -> ObjectInfo | None:
        data = self.objects.get(key)
        return None if data is None else ObjectInfo(key, len(data), str(hash(data)))

    def read(
        self, key: str, start: int = 0, end: int | None = None, *, etag: str | None = None
    ) -> Iterator[bytes]:
        data = self.objects[key]
        yield data[start : None if end is None else end + 1]

    def write(
        self,
        key: str,
        chunks: Iterator[bytes],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        size: int | None = None,
    ) -> ObjectInfo:
        self.objects[key] = b"".join(chunks)
        info = self.head(key)
        assert info is not None
        return info

    def delete(self, keys: Sequence[str]) -> list[str]:
        return [k for k in keys if self.objects.pop(k, None) is not None]

    def copy(self, source_key: str, key: str) -> ObjectInfo:
        self.objects[key] = self.objects[source_key]
        info = self.head(key)
        assert info is not None
        return info

    def presign(self, key: str, method: str, expires_in: int) -> str | None:
        return None

    def close(self) -> None:
        pass


_n = iter(range(10**6))


def _backend(server: LiveServer, client: MemoryClient, prefix: str = "") -> RemoteBackend:
    bucket = Bucket(
        id=f"bkt_mem{next(_n)}",
        name="mem",
        provider="S3_COMPATIBLE",
        provider_bucket="b",
        prefix=prefix,
        version=1,
        status="CHECKING",
        actions=[],
    )
    return RemoteBackend(server.state, bucket, lambda: client)  # type: ignore[arg-type,return-value]


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


def test_read_only_credentials_refuse_writes_naming_write(server: LiveServer) -> None:
    client = MemoryClient(ProbeResult("AVAILABLE", ("READ",)))
    backend = _backend(server, client)
    assert asyncio.run(backend.probe()).actions == ["READ"]
    with pytest.raises(Forbidden) as info:
        asyncio.run(backend.write("k", _chunks(b"x"), WriteSpec("text/plain", {})))
    assert info.value.code == "missing_action" and "WRITE" in (info.value.detail or "")
    assert client.objects == {}


def test_probe_is_cached_and_bounded_and_never_raises(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = MemoryClient()
    backend = _backend(server, client)
    first = asyncio.run(backend.probe())
    second = asyncio.run(backend.probe())
    assert client.probes == 1 and first == second and first.checked_at is not None
    cache.forget(server.state, backend.bucket_id)
    asyncio.run(backend.probe())
    assert client.probes == 2

    release = threading.Event()
    hanging = _backend(server, MemoryClient(hang=release))
    monkeypatch.setattr(probing, "PROBE_BOUND", 0.3)
    t0 = time.monotonic()
    result = asyncio.run(hanging.probe())
    release.set()
    assert result.status == "UNREACHABLE" and time.monotonic() - t0 < 5

    class Broken(MemoryClient):
        def probe(self) -> ProbeResult:
            raise RuntimeError("client bug")

    assert asyncio.run(_backend(server, Broken()).probe()).status == "UNREACHABLE"


def test_listing_skips_a_folder_with_one_seek(server: LiveServer) -> None:
    client = MemoryClient()
    for i in range(5000):
        client.objects[f"root/big/{i:05d}"] = b"x"
    client.objects["root/a.txt"] = b"a"
    client.objects["root/big0"] = b"after the folder"
    client.objects["root/zz/1"] = b"z"
    backend = _backend(server, client, prefix="root/")
    import json

    names = ListQuery(delimiter="/", page_size=100, folder_sums=False)  # as /content asks
    body = json.loads(asyncio.run(backend.list_blobs(names)))
    assert [b["key"] for b in body["results"]] == ["a.txt", "big0"]
    assert body["prefixes"] == ["big/", "zz/"] and "folders" not in body
    seeks = client.list_calls
    assert seeks <= 6  # not one call per key of big/
    # With the folders' sums: big/'s 5000 keys and zz/'s one, listed 1000 per call in one pass.
    body = json.loads(asyncio.run(backend.list_blobs(ListQuery(delimiter="/", page_size=100))))
    assert [(f["prefix"], f["count"], f["complete"]) for f in body["folders"]] == [
        ("big/", 5000, True),
        ("zz/", 1, True),
    ]
    assert client.list_calls - 2 * seeks <= 6, (seeks, client.list_calls)  # 5003 keys / 1000


def test_keys_between_the_seek_point_and_the_next_folder_do_not_end_the_listing(
    server: LiveServer,
) -> None:
    client = MemoryClient()
    for i in range(3):  # inside big/, above the padded seek point "big/" + U+10FFFF * 4
        client.objects["root/big/" + "\U0010ffff" * 5 + str(i)] = b"x"
    client.objects["root/big/1"] = b"x"
    client.objects["root/big0"] = b"next"
    backend = _backend(server, client, prefix="root/")
    import json

    seen: list[str] = []
    cursor = None
    while True:
        q = ListQuery(delimiter="/", page_size=1, cursor=cursor)
        body = json.loads(asyncio.run(backend.list_blobs(q)))
        seen += body["prefixes"] + [b["key"] for b in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["big/", "big0"]


def test_sorted_listings_hold_one_page_of_objects(server: LiveServer) -> None:
    """Size, time and descending name orders scan the whole range but keep only one page (plus
    the entry proving a next page) of listed objects alive, besides the batch being read."""
    import gc
    import json
    import weakref

    from bucketry_server.backends.scan import MAX_BATCH

    client = MemoryClient()
    for i in range(6000):
        client.objects[f"root/k{(i * 7919) % 6000:05d}"] = b"x" * (i % 13)
    alive = most = 0
    listed = client.list_page

    def freed() -> None:
        nonlocal alive
        alive -= 1

    def counted(prefix: str, start_after: str | None, limit: int) -> list[ObjectInfo]:
        nonlocal alive, most
        infos = listed(prefix, start_after, limit)
        for info in infos:
            weakref.finalize(info, freed)
        alive += len(infos)
        most = max(most, alive)
        return infos

    client.list_page = counted  # type: ignore[method-assign]
    backend = _backend(server, client, prefix="root/")
    gc.disable()  # objects die by reference counting alone, or they were kept
    try:
        for q in (
            ListQuery(order_by="size", page_size=10),
            ListQuery(order_by="created_at", descending=True, page_size=10),
            ListQuery(descending=True, page_size=10),
        ):
            most = 0
            body = json.loads(asyncio.run(backend.list_blobs(q)))
            assert len(body["results"]) == 10 and body["next_cursor"]
            # the batch just read, the one before it (until replaced) and the page
            assert most <= 2 * MAX_BATCH + 11, (q, most)
    finally:
        gc.enable()
    first = json.loads(asyncio.run(backend.list_blobs(ListQuery(order_by="size", page_size=10))))
    sizes = [(b["size"], b["key"]) for b in first["results"]]
    assert sizes == sorted(sizes) and {s for s, _ in sizes} == {0}
    with pytest.raises(Invalid):  # with a glob, folders sort by name only, as in managed buckets
        asyncio.run(backend.list_blobs(ListQuery(order_by="size", delimiter="/", glob="k*")))
    by_size = ListQuery(order_by="size", delimiter="/", page_size=10)
    same = json.loads(asyncio.run(backend.list_blobs(by_size)))["results"]
    assert [b["key"] for b in same] == [b["key"] for b in first["results"]]


def test_copy_from_elsewhere_is_refused(server: LiveServer) -> None:
    client = MemoryClient(ProbeResult("AVAILABLE", ("READ", "WRITE")))
    a, b = _backend(server, client), _backend(server, client)
    asyncio.run(a.probe())
    asyncio.run(a.write("src", _chunks(b"data"), WriteSpec("text/plain", {})))
    src = asyncio.run(a.stat("src"))
    assert src is not None
    assert asyncio.run(a.copy(src, "dst", if_none_match=None)).size == 4
    managed_like = type("Row", (), {"key": "src", "size": 4, "etag": "e"})()
    with pytest.raises(Invalid) as info:
        asyncio.run(a.copy(managed_like, "dst2", if_none_match=None))  # type: ignore[arg-type]
    assert info.value.code == "cross_provider_copy"
    del b


@pytest.mark.parametrize(
    ("pos", "after", "at_least"),
    [
        (None, None, None),
        (["gt", "a/b"], "a/b", None),
        (["ge", "a0"], "a/" + "\U0010ffff" * 4, "a0"),
        (["ge", "a\x00"], "a", "a\x00"),
        (["ge", "a\ue000"], "a\ud7ff" + "\U0010ffff" * 4, "a\ue000"),
    ],
)
def test_start_after_for_positions(
    pos: list[str] | None, after: str | None, at_least: str | None
) -> None:
    assert start_after_for(pos) == (after, at_least)
    if after is not None and at_least is not None:
        assert after < at_least


def test_provider_config_never_shows_the_secret() -> None:
    config = ProviderConfig("AWS_S3", "b", credentials={"secret_access_key": "TOPSECRET"})
    assert "TOPSECRET" not in repr(config)


@pytest.mark.parametrize(("workers", "lookahead"), [(1, True), (2, False), (8, False)])
def test_listing_lookahead_only_with_a_single_worker(workers: int, lookahead: bool) -> None:
    """A write through another worker process could not clear this process's kept listing
    rows: the lookahead is on only when the server runs one worker."""
    state = SimpleNamespace(settings=Settings(workers=workers), keys=None)
    bucket = Bucket(id="bkt_w", name="w", provider="AWS_S3", provider_bucket="b", version=1)
    assert provider_config(state, bucket).lookahead is lookahead  # type: ignore[arg-type]
