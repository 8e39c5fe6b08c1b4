"""``client.operations`` and the ``ops``/``cp -r``/``rm -r`` commands against the session's
real server (small data): a prefix copied between buckets and waited on, a failure surfacing as
``OperationFailed`` with the server's code, cancel, list filters and pages, delete dry runs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bucketry import (
    Bucket,
    Client,
    ConflictError,
    Operation,
    OperationCancelledError,
    OperationFailed,
    ProgressAdvance,
    ProgressEvent,
    ProgressFinish,
    ProgressStart,
)
from bucketry.cli import main
from tests.support.live_server import LiveServer

Hook = Callable[[str], Awaitable[None]]


def _fill(bucket: Bucket, keys: dict[str, bytes]) -> None:
    for key, data in keys.items():
        bucket.blob(key).write_bytes(data)


def _tree(n: int, prefix: str = "x/") -> dict[str, bytes]:
    return {f"{prefix}{i:02d}.txt": f"blob {i};".encode() * (i + 1) for i in range(n)}


@pytest.fixture
def other(client: Client, unique: str) -> Iterator[Bucket]:
    b = client.buckets.create(f"sdk-{unique}-dst")
    yield b
    b.delete(force=True)


@contextmanager
def check_hook(srv: LiveServer, fn: Hook) -> Iterator[None]:
    """Run ``fn`` at every cancel check of ``srv``'s operation workers (in the server's event
    loop) while the block runs."""
    engine = srv.server.config.app.state.operations  # type: ignore[attr-defined]
    engine.check_hook = fn
    try:
        yield
    finally:
        engine.check_hook = None


def _keys(bucket: Bucket, prefix: str = "") -> list[str]:
    return [info.key for info in bucket.list(prefix, recursive=True)]


def test_copy_a_prefix_between_buckets_and_wait(
    client: Client, bucket: Bucket, other: Bucket
) -> None:
    tree = _tree(5)
    _fill(bucket, {**tree, "outside.txt": b"not copied"})
    op = client.operations.copy(f"bkt://{bucket.name}/x/", (other, "y/"))
    assert op.kind == "COPY" and op.status in ("PENDING", "RUNNING", "SUCCEEDED")
    events: list[ProgressEvent] = []
    assert op.wait(timeout=30, progress=events.append) is op
    assert op.status == "SUCCEEDED" and op.finished_at is not None
    size = sum(map(len, tree.values()))
    assert events[0] == ProgressStart("copy", op.id, size, "B")  # sized by the server's totals
    assert sum(e.amount for e in events if isinstance(e, ProgressAdvance)) == size
    assert events[-1] == ProgressFinish("copy", op.id)
    assert op.result == {"copied": 5, "skipped": 0, "bytes": sum(map(len, tree.values()))}
    assert (op.progress.done, op.progress.bytes_done) == (5, sum(map(len, tree.values())))
    assert _keys(other) == [k.replace("x/", "y/", 1) for k in sorted(tree)]
    assert other.blob("y/03.txt").read_bytes() == tree["x/03.txt"]
    assert client.operations.get(op.id).params["destination"] == f"bkt://{other.ref}/y/"

    # overwrite=False skips what is there; a Blob copied to a prefix keeps its name
    again = client.operations.copy(bucket.blob("x/00.txt"), (other, "y/"), overwrite=False)
    assert again.wait(timeout=30).result == {"copied": 0, "skipped": 1, "bytes": 0}


def test_a_failure_surfaces_as_operation_failed_with_the_code(
    server: LiveServer, client: Client, bucket: Bucket, other: Bucket
) -> None:
    """The source blob vanishes after the operation was accepted (checked) and before a
    worker copies it: the operation ends FAILED and ``wait`` raises the server's problem."""
    bucket.blob("gone.txt").write_bytes(b"soon deleted")
    gate = threading.Event()

    async def hold(operation_id: str) -> None:  # keeps the worker at its first check
        while not gate.is_set():
            await asyncio.sleep(0.02)

    with check_hook(server, hold):
        op = client.operations.copy(bucket.blob("gone.txt"), (other, "copy.txt"))
        bucket.blob("gone.txt").delete()
        gate.set()
        with pytest.raises(OperationFailed) as info:
            op.wait(timeout=30)
    err = info.value
    assert (err.code, err.status_code) == ("not_found", 404), err.problem
    assert "gone.txt" in (err.detail or "") and op.id in str(err)
    assert op.status == "FAILED" and op.error is not None and op.error["code"] == "not_found"
    assert op.result is None and _keys(other) == []


def test_cancel_stops_a_running_copy_mid_way(
    imports_server: LiveServer, imports_users: dict[str, str], imports_root: Path, unique: str
) -> None:
    """Managed to an imported FILESYSTEM bucket (streamed blob by blob, a cancel check
    before each): cancelled after two blobs, the copy ends CANCELLED within about a second,
    some blobs copied, each of them whole."""
    folder = imports_root / f"ops-{unique}"
    folder.mkdir()
    tree = _tree(30)
    with Client(imports_server.url, token=imports_users["admin"], progress=False) as admin:
        source = admin.buckets.create(f"ops-src-{unique}")
        target = admin.buckets.import_external(
            provider="FILESYSTEM", provider_bucket_name=str(folder), name=f"ops-fs-{unique}"
        )
        try:
            _fill(source, tree)

            async def slow(operation_id: str) -> None:  # >= 0.1 s per blob: 3 s in all
                await asyncio.sleep(0.1)

            with check_hook(imports_server, slow):
                op = admin.operations.copy((source, "x/"), (target, "x/"))
                deadline = time.monotonic() + 20
                while op.refresh().progress.done < 2:
                    assert time.monotonic() < deadline and not op.done, op
                    time.sleep(0.05)
                asked = time.monotonic()
                assert op.cancel() is op and op.cancel_requested
                with pytest.raises(OperationCancelledError) as info:
                    op.wait(timeout=10, poll=0.05)
                took = time.monotonic() - asked
            with pytest.raises(ConflictError):
                op.cancel()  # it has ended
        finally:
            source.delete(force=True)
            target.delete()
    assert info.value.operation_id == op.id and op.status == "CANCELLED" and op.result is None
    assert took < 3, took
    copied = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    assert 2 <= len(copied) < len(tree), sorted(copied)  # stopped mid-way
    assert all(tree[key] == data for key, data in copied.items())  # whole blobs, no temp file


def test_delete_prefix_dry_run_then_for_real(client: Client, bucket: Bucket) -> None:
    tree = _tree(4, "tmp/")
    _fill(bucket, {**tree, "tmpfile": b"kept", "keep/a": b"kept"})
    size = sum(map(len, tree.values()))
    dry = client.operations.delete((bucket, "tmp/"), dry_run=True).wait(timeout=30)
    assert dry.result == {"dry_run": True, "matched": 4, "deleted": 0, "bytes": size}
    assert len(_keys(bucket)) == 6  # nothing changed
    real = client.operations.delete(f"bkt://{bucket.name}/tmp/").wait(timeout=30)
    assert real.result == {"dry_run": False, "matched": 4, "deleted": 4, "bytes": size}
    assert _keys(bucket) == ["keep/a", "tmpfile"]


@pytest.fixture
def solo(server: LiveServer, unique: str) -> Iterator[Client]:
    """A client of a user of its own (no organization): its operations are exactly this
    test's."""
    from bucketry_server.accounts.users import create_user

    _, token = create_user(server.state.db, f"solo-{unique}")
    with Client(url=server.url, token=token, progress=False) as c:
        yield c


def test_list_filters_by_status_and_kind_in_pages(solo: Client, unique: str) -> None:
    b = solo.buckets.create(f"ops-{unique}")
    try:
        _fill(b, _tree(3))
        copies = [
            solo.operations.copy(f"bkt://{b.name}/x/", f"bkt://{b.name}/c{i}/") for i in range(3)
        ]
        dry = solo.operations.delete(f"bkt://{b.name}/x/", dry_run=True)
        ended: list[Operation] = [op.wait(timeout=30) for op in [*copies, dry]]
        assert all(op.status == "SUCCEEDED" for op in ended)

        requests: list[httpx.Request] = []
        solo.http.event_hooks["request"].append(requests.append)
        listed = list(solo.operations.list(kind="copy", page_size=2))
        assert [op.id for op in listed] == [op.id for op in reversed(copies)]  # newest first
        assert len(requests) == 2 and all("kind=COPY" in str(r.url) for r in requests)
        assert all(op.kind == "COPY" and op.status == "SUCCEEDED" for op in listed)

        assert [op.id for op in solo.operations.list(kind="DELETE_PREFIX")] == [dry.id]
        assert len(list(solo.operations.list(status="SUCCEEDED"))) == 4
        assert list(solo.operations.list(status="running")) == []
        assert [op.id for op in solo.operations.list(first=1)] == [dry.id]
    finally:
        b.delete(force=True)


# -- the command line ------------------------------------------------------------------------
@pytest.fixture
def env(server: LiveServer, users: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUCKETRY_URL", server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", users["alice"])
    monkeypatch.setenv("BUCKETRY_NO_PROGRESS", "1")
    monkeypatch.delenv("BUCKETRY_DEBUG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_cli_cp_r_is_one_operation_and_ops_list_shows_it(
    env: None,
    capsys: pytest.CaptureFixture[str],
    client: Client,
    bucket: Bucket,
    other: Bucket,
) -> None:
    _fill(bucket, _tree(3))
    before = {op.id for op in client.operations.list(kind="COPY")}
    src, dst = f"bkt://{bucket.name}/x", f"bkt://{other.name}/y/"
    code, out, err = run(capsys, "cp", "-r", src, dst)
    assert code == 0, err
    new = [op for op in client.operations.list(kind="COPY") if op.id not in before]
    assert len(new) == 1  # the whole prefix in one server-side operation
    op = new[0]
    assert op.params["source"] == f"bkt://{bucket.name}/x/" and op.status == "SUCCEEDED"
    assert "copied 3 blob(s)" in out and op.id in out and out.count("\n") == 1
    assert _keys(other) == ["y/00.txt", "y/01.txt", "y/02.txt"]

    code, out, _ = run(capsys, "ops", "list", "--kind", "copy", "--limit", "5")
    assert code == 0 and op.id in out and "SUCCEEDED" in out and f"{src}/ -> {dst}" in out
    code, out, _ = run(capsys, "ops", "get", op.id, "--json")
    assert code == 0 and json.loads(out)["result"]["copied"] == 3

    code, out, _ = run(capsys, "cp", "-r", "--no-wait", src + "/", f"bkt://{other.name}/z/")
    op_id = out.strip()
    assert code == 0 and op_id.startswith("op_") and out.count("\n") == 1
    code, out, _ = run(capsys, "ops", "wait", op_id, "--json")
    assert code == 0 and json.loads(out)["copied"] == 3 and json.loads(out)["status"] == "SUCCEEDED"

    for argv in (["cp", "--no-wait", src + "/00.txt", dst], ["cp", "-r", "--no-wait", ".", dst]):
        code, _, err = run(capsys, *argv)  # no operation to leave running: a usage error
        assert code == 2 and "--no-wait applies to -r copies between buckets" in err

    code, _, err = run(capsys, "ops", "cancel", op_id)  # ended: 409, one line, exit 1
    assert code == 1 and op_id in err and err.count("\n") == 1


def test_cli_rm_r_is_a_delete_prefix_operation_with_dry_run(
    env: None, capsys: pytest.CaptureFixture[str], client: Client, bucket: Bucket
) -> None:
    _fill(bucket, {**_tree(3, "logs/"), "logs.txt": b"kept"})
    code, out, _ = run(capsys, "rm", "-r", "--dry-run", f"bkt://{bucket.name}/logs")
    assert code == 0 and "would delete 3 blob(s)" in out and "dry run" in out
    assert len(_keys(bucket)) == 4
    code, out, _ = run(capsys, "rm", "-r", f"bkt://{bucket.name}/logs/", "--json")
    data = json.loads(out)
    assert code == 0 and (data["deleted"], data["dry_run"], data["status"]) == (
        3,
        False,
        "SUCCEEDED",
    )
    ops = list(client.operations.list(kind="DELETE_PREFIX", first=2))
    assert ops[0].id == data["operation"] and ops[1].result is not None
    assert _keys(bucket) == ["logs.txt"]


def test_cli_ops_wait_fails_with_the_server_code(
    env: None,
    server: LiveServer,
    capsys: pytest.CaptureFixture[str],
    client: Client,
    bucket: Bucket,
) -> None:
    bucket.blob("a.txt").write_bytes(b"a")
    gate = threading.Event()

    async def hold(operation_id: str) -> None:
        while not gate.is_set():
            await asyncio.sleep(0.02)

    code, _, err = run(
        capsys, "cp", "-r", "--no-wait", f"bkt://{bucket.name}/", f"bkt://{bucket.name}-nope/"
    )
    assert code == 1 and "-nope" in err  # no such destination: refused before it starts
    with check_hook(server, hold):
        op = client.operations.copy(bucket.blob("a.txt"), (bucket, "b.txt"))
        bucket.blob("a.txt").delete()
        gate.set()
        code, _, err = run(capsys, "ops", "wait", op.id)
    assert code == 1 and "not_found" in err and op.id in err and err.count("\n") == 1
