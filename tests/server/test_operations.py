"""Storage operations through the HTTP API (issue 10): lifecycle, COPY within and across
managed and imported (FILESYSTEM) buckets, DELETE_PREFIX dry run vs real, cancel, authz."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.operations.engine import Engine
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket, list_all, put
from tests.server.operation_helpers import s3_client
from tests.support.live_server import LiveServer, live_server
from tests.support.seaweed import SeaweedS3


@dataclass
class Ops:
    srv: LiveServer
    root: Path
    tokens: dict[str, str]

    @property
    def api(self) -> str:
        return self.srv.api

    @property
    def engine(self) -> Engine:
        engine: Engine = self.srv.server.config.app.state.operations  # type: ignore[attr-defined]
        return engine

    def start(self, who: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return httpx.post(
            f"{self.api}/operations", json=body, headers={**auth(self.tokens[who]), **headers}
        )

    def get(self, who: str, op_id: str) -> httpx.Response:
        return httpx.get(f"{self.api}/operations/{op_id}", headers=auth(self.tokens[who]))

    def wait(self, who: str, op_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body: dict[str, Any] = self.get(who, op_id).json()
            if body["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return body
            assert time.monotonic() < deadline, body
            time.sleep(0.05)

    def wait_running(self, who: str, op_id: str, timeout: float = 10) -> None:
        """Return once the operation is RUNNING (a worker has claimed it)."""
        deadline = time.monotonic() + timeout
        while self.get(who, op_id).json()["status"] != "RUNNING":
            assert time.monotonic() < deadline, f"operation {op_id} never ran"
            time.sleep(0.05)

    def bucket(self, who: str, name: str) -> None:
        r = httpx.post(f"{self.api}/buckets", json={"name": name}, headers=auth(self.tokens[who]))
        assert r.status_code == 201, r.text

    def fill(self, who: str, bucket: str, keys: dict[str, bytes]) -> None:
        for key, data in keys.items():
            assert put(self.api, self.tokens[who], bucket, key, data).status_code == 201

    def keys(self, who: str, bucket: str, prefix: str = "") -> list[str]:
        return list_all(self.api, self.tokens[who], bucket, prefix=prefix)[0]

    def read(self, who: str, bucket: str, key: str) -> bytes:
        r = httpx.get(
            f"{self.api}/buckets/{bucket}/blob", params={"key": key}, headers=auth(self.tokens[who])
        )
        assert r.status_code == 200, r.text
        return r.content


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ops]:
    root = tmp_path_factory.mktemp("ops-root")
    with live_server(
        tmp_path_factory.mktemp("ops-data"),
        filesystem_roots=[root],
        operation_chunk_items=4,  # small data, several chunks
        operation_heartbeat_seconds=0.2,
        operation_poll_seconds=0.5,
    ) as srv:
        tokens = {}
        for name, admin in (("root", True), ("ann", False), ("ben", False)):
            _, tokens[name] = create_user(srv.state.db, name, admin=admin)
        yield Ops(srv, root, tokens)


def _tree(n: int, prefix: str = "data/") -> dict[str, bytes]:
    return {f"{prefix}{i:03d}.bin": f"blob {i} ".encode() * (i + 1) for i in range(n)}


def test_copy_prefix_within_a_bucket_lifecycle(ops: Ops) -> None:
    ops.bucket("ann", "within")
    files = _tree(10)
    ops.fill("ann", "within", files)
    r = ops.start(
        "ann", {"kind": "COPY", "source": "bkt://within/data/", "destination": "bkt://within/copy/"}
    )
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["id"].startswith("op_") and created["status"] in ("PENDING", "RUNNING")
    assert created["params"] == {
        "source": "bkt://within/data/",
        "destination": "bkt://within/copy/",
        "overwrite": True,
    }
    done = ops.wait("ann", created["id"])
    assert done["status"] == "SUCCEEDED", done
    size = sum(len(v) for v in files.values())
    assert done["result"] == {"copied": 10, "skipped": 0, "bytes": size}
    assert done["progress"] == {"done": 10, "total": 10, "bytes_done": size, "bytes_total": size}
    assert done["started_at"] and done["finished_at"] and done["error"] is None
    assert ops.keys("ann", "within", "copy/") == [k.replace("data/", "copy/") for k in files]
    assert ops.read("ann", "within", "copy/007.bin") == files["data/007.bin"]
    heads = [
        httpx.head(
            f"{ops.api}/buckets/within/blob", params={"key": key}, headers=auth(ops.tokens["ann"])
        ).headers
        for key in ("data/007.bin", "copy/007.bin")
    ]
    for name in ("ETag", "X-Checksum-CRC32C"):  # a copy is the same version under a new key
        assert heads[0].get(name) and heads[0].get(name) == heads[1].get(name), name
    # overwrite=false skips what exists, copies the rest
    ops.fill("ann", "within", {"data/new.bin": b"new"})
    r = ops.start(
        "ann",
        {
            "kind": "COPY",
            "source": "bkt://within/data/",
            "destination": "bkt://within/copy/",
            "overwrite": False,
        },
    )
    again = ops.wait("ann", r.json()["id"])
    assert again["result"] == {"copied": 1, "skipped": 10, "bytes": 3}, again
    # listed newest first, filtered by kind and status, in cursor pages
    listed = httpx.get(
        f"{ops.api}/operations",
        params={"kind": "COPY", "status": "SUCCEEDED", "page_size": 1},
        headers=auth(ops.tokens["ann"]),
    ).json()
    assert [o["id"] for o in listed["results"]] == [again["id"]] and listed["next_cursor"]
    second = httpx.get(
        f"{ops.api}/operations",
        params={
            "kind": "COPY",
            "status": "SUCCEEDED",
            "page_size": 1,
            "cursor": listed["next_cursor"],
        },
        headers=auth(ops.tokens["ann"]),
    ).json()
    assert [o["id"] for o in second["results"]] == [done["id"]]
    none = httpx.get(
        f"{ops.api}/operations", params={"kind": "DELETE_PREFIX"}, headers=auth(ops.tokens["ann"])
    ).json()
    assert none == {"results": [], "next_cursor": None}


def test_copy_one_blob_to_a_folder_and_a_key(ops: Ops) -> None:
    ops.bucket("ann", "single")
    ops.fill("ann", "single", {"a/report.txt": b"report"})
    for dest, key in (("bkt://single/b/", "b/report.txt"), ("bkt://single/c.txt", "c.txt")):
        r = ops.start(
            "ann", {"kind": "COPY", "source": "bkt://single/a/report.txt", "destination": dest}
        )
        assert r.status_code == 202, r.text
        done = ops.wait("ann", r.json()["id"])
        assert done["result"] == {"copied": 1, "skipped": 0, "bytes": 6}, done
        assert ops.read("ann", "single", key) == b"report"


def test_copy_prefix_managed_to_folder_and_back(ops: Ops) -> None:
    folder = ops.root / "mirror"
    folder.mkdir()
    r = import_bucket(
        ops.api, ops.tokens["root"], {"provider": "FILESYSTEM", "provider_bucket": str(folder)}
    )
    assert r.status_code == 201, r.text
    ops.bucket("root", "origin")
    files = _tree(9, "set/")
    ops.fill("root", "origin", files)
    r = ops.start(
        "root", {"kind": "COPY", "source": "bkt://origin/set/", "destination": "bkt://mirror/in/"}
    )
    out = ops.wait("root", r.json()["id"])
    assert out["status"] == "SUCCEEDED" and out["result"]["copied"] == 9, out
    for key, data in files.items():
        assert (folder / "in" / key.removeprefix("set/")).read_bytes() == data
    r = ops.start(
        "root", {"kind": "COPY", "source": "bkt://mirror/in/", "destination": "bkt://origin/back/"}
    )
    back = ops.wait("root", r.json()["id"])
    assert back["result"] == out["result"], back
    assert ops.read("root", "origin", "back/004.bin") == files["set/004.bin"]


def test_delete_prefix_dry_run_then_real(ops: Ops) -> None:
    ops.bucket("ann", "trash")
    files = _tree(7, "logs/")
    ops.fill("ann", "trash", {**files, "keep/x.txt": b"x", "logs-not/y.txt": b"y"})
    size = sum(len(v) for v in files.values())
    r = ops.start("ann", {"kind": "DELETE_PREFIX", "source": "bkt://trash/logs/", "dry_run": True})
    dry = ops.wait("ann", r.json()["id"])
    assert dry["result"] == {"dry_run": True, "matched": 7, "deleted": 0, "bytes": size}, dry
    assert len(ops.keys("ann", "trash")) == 9
    r = ops.start("ann", {"kind": "DELETE_PREFIX", "source": "bkt://trash/logs/"})
    real = ops.wait("ann", r.json()["id"])
    assert real["result"] == {"dry_run": False, "matched": 7, "deleted": 7, "bytes": size}, real
    assert ops.keys("ann", "trash") == ["keep/x.txt", "logs-not/y.txt"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"kind": "COPY", "source": "s3://x/y", "destination": "bkt://checks/z"},
            400,
            "invalid_parameter",
        ),
        (
            {"kind": "COPY", "source": "bkt://checks/a/", "destination": "bkt://checks/b"},
            400,
            "invalid_parameter",
        ),
        (
            {"kind": "COPY", "source": "bkt://checks/a/", "destination": "bkt://checks/a/b/"},
            400,
            "overlapping_prefixes",
        ),
        (
            {"kind": "COPY", "source": "bkt://checks/missing", "destination": "bkt://checks/z"},
            404,
            "not_found",
        ),
        (
            {"kind": "COPY", "source": "bkt://nope/a/", "destination": "bkt://checks/z/"},
            404,
            "not_found",
        ),
        ({"kind": "DELETE_PREFIX", "source": "bkt://checks/"}, 400, "empty_prefix"),
        ({"kind": "DELETE_PREFIX", "source": "bkt://checks/a"}, 400, "invalid_parameter"),
        ({"kind": "CONNECTION_SYNC", "connection_id": "con_x"}, 404, "not_found"),
        ({"kind": "CONNECTION_SYNC"}, 400, "invalid_parameter"),
    ],
)
def test_bad_requests_store_nothing(ops: Ops, body: dict[str, Any], status: int, code: str) -> None:
    if "checks" not in [b["name"] for b in _buckets(ops, "ben")]:
        ops.bucket("ben", "checks")
    before = _count(ops, "ben")
    r = ops.start("ben", body)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert _count(ops, "ben") == before


def test_export_part_size_is_bounded_by_the_server_setting(ops: Ops) -> None:
    """A part is held in memory while it is sent (S3 buffers one, Azure stages blocks): a
    client may not make the server hold gigabytes per part (the spec's 5120 MiB is S3's
    limit, not the server's)."""
    if "checks" not in [b["name"] for b in _buckets(ops, "ben")]:
        ops.bucket("ben", "checks")
    before = _count(ops, "ben")
    body = {"kind": "EXPORT", "source": "bkt://checks/a/", "destination": "bkt://checks/z/"}
    # The spec's maximum, then just over the server's default limit (256 MiB).
    for part_mb in (5120, 257):
        r = ops.start("ben", {**body, "part_size_mb": part_mb})
        assert (r.status_code, r.json()["code"]) == (400, "invalid_parameter"), r.text
        assert r.json()["detail"].startswith("part_size_mb: "), r.text
        assert "BUCKETRY_EXPORT_MAX_PART_MB" in r.json()["detail"]
    assert _count(ops, "ben") == before


def _buckets(ops: Ops, who: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{ops.api}/buckets", headers=auth(ops.tokens[who]))
    results: list[dict[str, Any]] = r.json()["results"]
    return results


def _count(ops: Ops, who: str) -> int:
    r = httpx.get(f"{ops.api}/operations", headers=auth(ops.tokens[who]))
    return len(r.json()["results"])


def test_others_get_404_and_read_only_tokens_cannot_copy_in(ops: Ops) -> None:
    ops.bucket("ann", "private")
    ops.fill("ann", "private", {"k.txt": b"k"})
    r = ops.start(
        "ann",
        {"kind": "COPY", "source": "bkt://private/k.txt", "destination": "bkt://private/l.txt"},
    )
    op_id = r.json()["id"]
    ops.wait("ann", op_id)
    assert ops.get("ben", op_id).status_code == 404
    assert (
        httpx.post(
            f"{ops.api}/operations/{op_id}/cancel", headers=auth(ops.tokens["ben"])
        ).status_code
        == 404
    )
    assert op_id not in [
        o["id"]
        for o in httpx.get(f"{ops.api}/operations", headers=auth(ops.tokens["ben"])).json()[
            "results"
        ]
    ]
    # ben cannot even name ann's bucket; a read-only credential of ann's cannot write into it
    r = ops.start(
        "ben",
        {"kind": "COPY", "source": "bkt://private/k.txt", "destination": "bkt://private/m.txt"},
    )
    assert r.status_code == 404, r.text
    cred = httpx.post(
        f"{ops.api}/credentials",
        json={"name": "ro", "buckets": ["private"], "read_only": True},
        headers=auth(ops.tokens["ann"]),
    )
    assert cred.status_code == 201, cred.text
    ro = {"Authorization": f"Bearer {cred.json()['token']}"}
    r = httpx.post(
        f"{ops.api}/operations",
        json={
            "kind": "COPY",
            "source": "bkt://private/k.txt",
            "destination": "bkt://private/m.txt",
        },
        headers=ro,
    )
    assert r.status_code == 403, r.text
    assert httpx.get(f"{ops.api}/operations/{op_id}", headers=ro).status_code == 404  # not its own
    # cancelling a finished operation is a conflict
    r = httpx.post(f"{ops.api}/operations/{op_id}/cancel", headers=auth(ops.tokens["ann"]))
    assert (r.status_code, r.json()["code"]) == (409, "operation_finished")


def test_idempotency_key_replays_the_first_operation(ops: Ops) -> None:
    ops.bucket("ben", "idem")
    ops.fill("ben", "idem", {"a": b"a"})
    body = {"kind": "COPY", "source": "bkt://idem/a", "destination": "bkt://idem/b"}
    first = ops.start("ben", body, **{"Idempotency-Key": "k-1"})
    again = ops.start("ben", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other = ops.start("ben", {**body, "destination": "bkt://idem/c"}, **{"Idempotency-Key": "k-1"})
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")


@contextlib.contextmanager
def _stalling(sent: int) -> Iterator[str]:
    """A URL whose server sends headers and ``sent`` bytes of a 100 MB body, then nothing."""
    listener = socket.create_server(("127.0.0.1", 0))
    conns: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                conns.append(conn)
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + b"x" * sent)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/stalled.bin"
    finally:
        listener.close()
        for conn in conns:
            conn.close()


@pytest.fixture
def stalled_source() -> Iterator[str]:
    """A URL whose server sends headers and 1000 bytes of a 100 MB body, then nothing."""
    with _stalling(1000) as url:
        yield url


@pytest.fixture
def stalled_late_source() -> Iterator[str]:
    """A URL whose server sends headers and 10 MiB of a 100 MB body (a multipart upload's
    first part), then nothing."""
    with _stalling(10 * 1024 * 1024) as url:
        yield url


def test_cancel_stops_an_import_from_a_stalled_source(ops: Ops, stalled_source: str) -> None:
    """The import waits on a source that sends nothing more (it never reaches its next
    ``ctx.check()``): a cancel still ends it CANCELLED within about a second, no blob."""
    ops.bucket("ann", "stalled")
    body = {"kind": "IMPORT_URL", "url": stalled_source, "destination": "bkt://stalled/s.bin"}
    r = ops.start("ann", body)
    assert r.status_code == 202, r.text
    op_id = r.json()["id"]
    ops.wait_running("ann", op_id)
    time.sleep(0.5)  # reading the stalled body now
    c = httpx.post(f"{ops.api}/operations/{op_id}/cancel", headers=auth(ops.tokens["ann"]))
    assert c.status_code == 200, c.text
    asked = time.monotonic()
    assert ops.wait("ann", op_id, timeout=10)["status"] == "CANCELLED"
    assert time.monotonic() - asked < 2.5
    assert ops.keys("ann", "stalled") == []


@pytest.mark.parametrize("stop", ["cancel", "time_limit"])
def test_a_provider_write_fed_by_a_stalled_source_is_interrupted(
    ops: Ops, stalled_late_source: str, monkeypatch: pytest.MonkeyPatch, stop: str
) -> None:
    """An import into an imported FILESYSTEM bucket: the provider write runs in a worker
    thread that blocks reading the stalled body. A cancel, or the fetch's time limit, ends
    the body the thread reads, so its write is aborted: CANCELLED (or FAILED with 504
    ``source_too_slow``) within about a second, no object, no temporary file."""
    folder = ops.root / f"stallfs-{stop}"
    folder.mkdir()
    body = {"provider": "FILESYSTEM", "provider_bucket": str(folder)}
    r = import_bucket(ops.api, ops.tokens["root"], body)
    assert r.status_code == 201, r.text
    name = r.json()["name"]
    if stop == "time_limit":
        monkeypatch.setattr(ops.srv.state.settings, "import_url_max_seconds", 1.5)
    url = stalled_late_source
    body = {"kind": "IMPORT_URL", "url": url, "destination": f"bkt://{name}/s.bin"}
    r = ops.start("root", body)
    assert r.status_code == 202, r.text
    op_id = r.json()["id"]
    ops.wait_running("root", op_id)
    time.sleep(0.5)  # the provider thread waits on the stalled body now
    if stop == "cancel":
        c = httpx.post(f"{ops.api}/operations/{op_id}/cancel", headers=auth(ops.tokens["root"]))
        assert c.status_code == 200, c.text
    asked = time.monotonic()
    end = ops.wait("root", op_id, timeout=10)
    assert time.monotonic() - asked < 2.5, end
    if stop == "cancel":
        assert end["status"] == "CANCELLED", end
    else:
        assert end["status"] == "FAILED" and end["error"]["code"] == "source_too_slow", end
    deadline = time.monotonic() + 2
    while list(folder.rglob("*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(folder.rglob("*")) == []  # the write was aborted: not even a temporary file


def test_a_cancel_aborts_a_seaweedfs_upload_fed_by_a_stalled_source(
    ops: Ops, stalled_late_source: str, seaweed: SeaweedS3
) -> None:
    """The same into an imported SeaweedFS bucket (s3transfer reads the body in threads of
    its own): CANCELLED within about a second, no object, no pending multipart upload."""
    body = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": SEAWEED_BUCKET,
        "endpoint_url": seaweed.endpoint_url,
        "region": "us-east-1",
        "name": "sw-stall",
        "prefix": "ops-sw-stall/",
        "credentials": {
            "access_key_id": seaweed.access_key,
            "secret_access_key": seaweed.secret_key,
        },
    }
    r = import_bucket(ops.api, ops.tokens["ann"], body)
    assert r.status_code == 201 and r.json()["status"] == "AVAILABLE", r.text
    url = stalled_late_source
    r = ops.start("ann", {"kind": "IMPORT_URL", "url": url, "destination": "bkt://sw-stall/s.bin"})
    assert r.status_code == 202, r.text
    op_id = r.json()["id"]
    ops.wait_running("ann", op_id)
    time.sleep(1.0)  # the first part went up, the body stalls now
    c = httpx.post(f"{ops.api}/operations/{op_id}/cancel", headers=auth(ops.tokens["ann"]))
    assert c.status_code == 200, c.text
    asked = time.monotonic()
    end = ops.wait("ann", op_id, timeout=10)
    assert end["status"] == "CANCELLED" and time.monotonic() - asked < 2.5, end
    client = s3_client(seaweed)
    deadline = time.monotonic() + 3
    while True:
        pending = client.list_multipart_uploads(Bucket=SEAWEED_BUCKET, Prefix="ops-sw-stall/")
        if not pending.get("Uploads") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not pending.get("Uploads"), pending
    assert ops.keys("ann", "sw-stall") == []


def test_org_members_see_but_only_owners_and_org_owners_cancel(
    ops: Ops, stalled_source: str
) -> None:
    """An operation started in an organization: every member sees it, another member's
    cancel is 403 (it stays RUNNING), an owner of the organization may cancel it."""
    db = ops.srv.state.db
    tokens = {n: create_user(db, n, org="crew-ops")[1] for n in ("oscar", "mia", "max")}
    h = {n: {**auth(t), "X-Organization": "crew-ops"} for n, t in tokens.items()}
    r = httpx.post(f"{ops.api}/buckets", json={"name": "mia-in"}, headers=auth(tokens["mia"]))
    assert r.status_code == 201, r.text
    body = {"kind": "IMPORT_URL", "url": stalled_source, "destination": "bkt://mia-in/s.bin"}
    r = httpx.post(f"{ops.api}/operations", json=body, headers=h["mia"])
    assert r.status_code == 202, r.text
    op_id = r.json()["id"]
    seen = httpx.get(f"{ops.api}/operations/{op_id}", headers=auth(tokens["max"]))
    assert seen.status_code == 200 and seen.json()["id"] == op_id, seen.text
    refused = httpx.post(f"{ops.api}/operations/{op_id}/cancel", headers=auth(tokens["max"]))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden", refused.text
    assert "owner" in refused.json()["detail"]
    time.sleep(0.5)
    status = httpx.get(f"{ops.api}/operations/{op_id}", headers=auth(tokens["mia"])).json()
    assert status["status"] in ("PENDING", "RUNNING") and not status["cancel_requested"], status
    done = httpx.post(f"{ops.api}/operations/{op_id}/cancel", headers=auth(tokens["oscar"]))
    assert done.status_code == 200, done.text
    deadline = time.monotonic() + 10
    while True:
        end = httpx.get(f"{ops.api}/operations/{op_id}", headers=auth(tokens["mia"])).json()
        if end["status"] == "CANCELLED" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert end["status"] == "CANCELLED", end


def test_cancel_stops_a_streamed_copy_within_a_second(ops: Ops) -> None:
    folder = ops.root / "slow"
    folder.mkdir()
    r = import_bucket(
        ops.api, ops.tokens["root"], {"provider": "FILESYSTEM", "provider_bucket": str(folder)}
    )
    assert r.status_code == 201, r.text
    ops.bucket("root", "big")
    ops.fill("root", "big", {"huge.bin": b"\x01" * (6 * 1024 * 1024)})

    async def throttle(operation_id: str) -> None:
        await asyncio.sleep(0.3)  # the test hook: ~0.3 s per MiB moved

    ops.engine.check_hook = throttle
    try:
        r = ops.start(
            "root",
            {"kind": "COPY", "source": "bkt://big/huge.bin", "destination": "bkt://slow/huge.bin"},
        )
        op_id = r.json()["id"]
        deadline = time.monotonic() + 10
        while ops.get("root", op_id).json()["progress"]["bytes_done"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        asked = time.monotonic()
        c = httpx.post(f"{ops.api}/operations/{op_id}/cancel", headers=auth(ops.tokens["root"]))
        assert c.status_code == 200, c.text
        assert c.json()["cancel_requested"] is True
        end = ops.wait("root", op_id, timeout=5)
        took = time.monotonic() - asked
    finally:
        ops.engine.check_hook = None
    assert end["status"] == "CANCELLED" and took < 1.0, (end, took)
    assert end["result"] is None and end["finished_at"]
    assert list(folder.rglob("*")) == []  # no half-written blob, not even a temp file


def test_copy_and_delete_on_seaweedfs(ops: Ops, seaweed: SeaweedS3) -> None:
    """Managed -> S3 (streamed), S3 -> S3 in one provider bucket (the provider copies), then a
    recursive delete there, dry and real."""
    for name in ("sw-ops-a", "sw-ops-b"):
        body = {
            "provider": "S3_COMPATIBLE",
            "provider_bucket": SEAWEED_BUCKET,
            "endpoint_url": seaweed.endpoint_url,
            "region": "us-east-1",
            "name": name,
            "prefix": f"ops-{name}/",
            "credentials": {
                "access_key_id": seaweed.access_key,
                "secret_access_key": seaweed.secret_key,
            },
        }
        r = import_bucket(ops.api, ops.tokens["ann"], body)
        assert r.status_code == 201 and r.json()["status"] == "AVAILABLE", r.text
    ops.bucket("ann", "sw-src")
    files = _tree(6, "p/")
    ops.fill("ann", "sw-src", files)
    size = sum(len(v) for v in files.values())
    r = ops.start(
        "ann", {"kind": "COPY", "source": "bkt://sw-src/p/", "destination": "bkt://sw-ops-a/q/"}
    )
    out = ops.wait("ann", r.json()["id"])
    assert out["result"] == {"copied": 6, "skipped": 0, "bytes": size}, out
    r = ops.start(
        "ann", {"kind": "COPY", "source": "bkt://sw-ops-a/q/", "destination": "bkt://sw-ops-b/r/"}
    )
    across = ops.wait("ann", r.json()["id"])
    assert across["result"] == out["result"], across["error"]
    assert ops.read("ann", "sw-ops-b", "r/003.bin") == files["p/003.bin"]
    r = ops.start("ann", {"kind": "DELETE_PREFIX", "source": "bkt://sw-ops-b/r/", "dry_run": True})
    dry = ops.wait("ann", r.json()["id"])
    assert dry["result"] == {"dry_run": True, "matched": 6, "deleted": 0, "bytes": size}, dry
    r = ops.start("ann", {"kind": "DELETE_PREFIX", "source": "bkt://sw-ops-b/r/"})
    real = ops.wait("ann", r.json()["id"])
    assert real["result"] == {"dry_run": False, "matched": 6, "deleted": 6, "bytes": size}, real
    assert ops.keys("ann", "sw-ops-b", "r/") == []
    assert len(ops.keys("ann", "sw-ops-a", "q/")) == 6
    # the blob copy route takes the same provider-side path (it used the target's prefix
    # for the source key, so a copy between two imports of one provider bucket was a 404)
    r = httpx.post(
        f"{ops.api}/buckets/sw-ops-b/blob/copy",
        json={"source_bucket": "sw-ops-a", "source_key": "q/001.bin", "key": "one.bin"},
        headers=auth(ops.tokens["ann"]),
    )
    assert r.status_code == 201, r.text
    assert ops.read("ann", "sw-ops-b", "one.bin") == files["p/001.bin"]
