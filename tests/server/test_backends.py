"""The backend seam: providers resolved by module name, one write path for every write, and
imported buckets whose provider is not served yet keeping today's behaviour."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bucketry_server.backends import registry
from bucketry_server.backends.managed import backend as managed_backend
from bucketry_server.backends.managed.backend import ManagedBackend
from bucketry_server.backends.remote.backend import RemoteBackend
from bucketry_server.backends.unserved import UnservedBackend
from bucketry_server.errors import Invalid
from bucketry_server.models import Bucket
from tests.server.test_batch import make_tar
from tests.support.live_server import LiveServer


@pytest.fixture
def clean_registry() -> Iterator[None]:
    registry.opener_for.cache_clear()
    yield
    registry.opener_for.cache_clear()


def test_backend_for_resolves_a_provider_by_its_module_name(
    server: LiveServer, clean_registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = server.state
    managed = registry.backend_for(state, Bucket(id="bkt_1", provider="MANAGED"))
    assert isinstance(managed, ManagedBackend) and not managed.imported
    # A provider without a module is served by the unserved backend.
    # (TAPE_VAULT: a provider no module serves; AWS_S3, S3_COMPATIBLE, FILESYSTEM are live.)
    row = Bucket(id="bkt_2", provider="TAPE_VAULT", status="FORBIDDEN", actions=["READ"])
    unserved = registry.backend_for(state, row)
    assert isinstance(unserved, UnservedBackend) and unserved.imported
    assert unserved.status().status == "FORBIDDEN" and unserved.status().actions == ["READ"]
    with pytest.raises(Invalid) as exc:
        unserved.check_writable()
    assert exc.value.code == "not_managed" and "TAPE_VAULT" in str(exc.value.detail)
    for live in ("AWS_S3", "S3_COMPATIBLE", "FILESYSTEM"):
        backend = registry.backend_for(state, Bucket(id="bkt_3", provider=live, version=1))
        assert isinstance(backend, RemoteBackend) and backend.imported
    # Adding a provider is adding a module named after it: nothing else changes.
    sentinel = object()
    module = types.ModuleType("bucketry_server.backends.fake_store")
    module.open_backend = lambda state, bucket: sentinel  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bucketry_server.backends.fake_store", module)
    assert registry.backend_for(state, Bucket(id="bkt_3", provider="FAKE_STORE")) is sentinel
    assert registry.module_name("AZURE_BLOB") == "bucketry_server.backends.azure_blob"


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_write_goes_through_the_one_commit(
    server: LiveServer, users: dict[str, str], unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PUT, signed PUT, copy, multipart completion and a tar batch (in bulk) all commit with
    ``catalogue.commit_blobs``."""
    calls: list[list[str]] = []
    real = managed_backend.commit_blobs

    async def counting(state: Any, bucket_id: str, items: Any, **kwargs: Any) -> Any:
        calls.append([item.key for item in items])
        return await real(state, bucket_id, items, **kwargs)

    monkeypatch.setattr(managed_backend, "commit_blobs", counting)
    api, alice = server.api, _h(users["alice"])
    b = httpx.post(api + "/buckets", json={"name": f"seam-{unique}"}, headers=alice).json()["id"]
    blob = f"{api}/buckets/{b}/blob"
    assert httpx.put(blob, params={"key": "put"}, content=b"1", headers=alice).status_code == 201
    signed = httpx.post(
        f"{api}/buckets/{b}/signed-urls",
        json={"items": [{"key": "signed", "method": "PUT"}]},
        headers=alice,
    ).json()["results"][0]["url"]
    assert httpx.put(server.url + signed, content=b"2").status_code == 201
    copy = httpx.post(blob + "/copy", json={"source_key": "put", "key": "copy"}, headers=alice)
    assert copy.status_code == 201, copy.text
    upload = httpx.post(f"{api}/buckets/{b}/uploads", json={"key": "multi"}, headers=alice)
    uid = upload.json()["id"]
    part = httpx.put(f"{api}/buckets/{b}/uploads/{uid}/parts/1", content=b"3", headers=alice)
    done = httpx.post(
        f"{api}/buckets/{b}/uploads/{uid}/complete",
        json={"parts": [{"part_number": 1, "etag": part.json()["etag"]}]},
        headers=alice,
    )
    assert done.status_code == 201, done.text
    tar = make_tar([("t1", b"a"), ("t2", b"b")])
    batch = httpx.post(f"{api}/buckets/{b}/blobs/batch", content=tar, headers=alice)
    assert batch.status_code == 200 and batch.json()["stored"] == 2
    assert calls == [["put"], ["signed"], ["copy"], ["multi"], ["t1", "t2"]]


def test_unserved_provider_keeps_todays_behaviour(
    server: LiveServer, users: dict[str, str], unique: str
) -> None:
    api, alice = server.api, _h(users["alice"])
    b = httpx.post(api + "/buckets", json={"name": f"ext-{unique}"}, headers=alice).json()["id"]
    assert httpx.put(f"{api}/buckets/{b}/blob", params={"key": "k"}, content=b"x", headers=alice)
    with server.state.db.session() as s:  # through the ORM: the bucket caches hear of it
        row = s.get(Bucket, b)
        assert row is not None
        row.provider, row.status, row.actions = "TAPE_VAULT", "UNREACHABLE", ["READ"]
    body = httpx.get(f"{api}/buckets/{b}", headers=alice).json()
    assert body["imported"] is True and body["actions"] == ["READ"]
    assert httpx.get(f"{api}/buckets/{b}/status", headers=alice).json()["status"] == "UNREACHABLE"
    assert httpx.get(f"{api}/buckets/{b}/actions", headers=alice).json()["actions"] == ["READ"]
    refused = httpx.put(f"{api}/buckets/{b}/blob", params={"key": "n"}, content=b"y", headers=alice)
    assert refused.status_code == 400 and refused.json()["code"] == "not_managed"
    assert "TAPE_VAULT" in refused.json()["detail"]
    # Reads still come from the catalogue.
    assert httpx.get(f"{api}/buckets/{b}/blob", params={"key": "k"}, headers=alice).content == b"x"
