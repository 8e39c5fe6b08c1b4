"""The operation engine under failure and concurrency (issue 10): a dead worker's chunk is re-run
from its checkpoint, attempts run out into FAILED, two engines on one database share the chunks
of one operation without running one twice (on PostgreSQL: the SKIP LOCKED path), the per-owner
bound, errors recorded as problems, access re-checked when a chunk runs.

The server runs no workers of its own (``operation_workers=0``): each test drives engines and
claims by hand on the server's event loop, so every step is deterministic.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.operations import copying, queue, service
from bucketry_server.operations import engine as engine_module
from bucketry_server.operations.engine import Engine, RunningContext
from bucketry_server.operations.kinds import ChunkRange, get_kind
from bucketry_server.operations.leases import Claim, LeaseConfig, claim_chunk, claim_planner
from bucketry_server.writegate import GateBusy
from tests.server.imported_helpers import auth, put
from tests.support.live_server import LiveServer, live_server

T = TypeVar("T")
LEASE = 1.0


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    with live_server(
        tmp_path_factory.mktemp("engine-data"),
        operation_workers=0,
        operation_lease_seconds=LEASE,
        operation_heartbeat_seconds=0.1,
        operation_max_attempts=2,
        operation_owner_concurrency=2,
        operation_chunk_items=3,
    ) as srv:
        tokens = {}
        for name in ("ada", "bo"):
            _, tokens[name] = create_user(srv.state.db, name)
        yield srv, tokens


def _app_engine(srv: LiveServer) -> Engine:
    engine: Engine = srv.server.config.app.state.operations  # type: ignore[attr-defined]
    return engine


def on_loop(srv: LiveServer, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run ``coro`` on the server's event loop (where the store and engine live)."""
    loop = _app_engine(srv).loop
    assert loop is not None
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


def _cfg(srv: LiveServer) -> LeaseConfig:
    return LeaseConfig(LEASE, 2, 2)


def _copy_op(srv: LiveServer, token: str, bucket: str, n: int, **extra: Any) -> str:
    h = auth(token)
    assert httpx.post(f"{srv.api}/buckets", json={"name": bucket}, headers=h).status_code == 201
    for i in range(n):
        assert put(srv.api, token, bucket, f"src/{i:02d}", b"x" * (i + 1)).status_code == 201
    body = {"kind": "COPY", "source": f"bkt://{bucket}/src/", "destination": f"bkt://{bucket}/dst/"}
    r = httpx.post(f"{srv.api}/operations", json={**body, **extra}, headers=h)
    assert r.status_code == 202, r.text
    op_id: str = r.json()["id"]
    return op_id


def _get(srv: LiveServer, token: str, op_id: str) -> dict[str, Any]:
    r = httpx.get(f"{srv.api}/operations/{op_id}", headers=auth(token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _plan(srv: LiveServer, engine: Engine) -> None:
    """Run the planner of the oldest unplanned operation."""
    assert on_loop(srv, engine.run_once("planner"))


def _drain(srv: LiveServer, engine: Engine, token: str, op_id: str) -> None:
    async def drain() -> None:
        while _get_status(srv, token, op_id) in ("PENDING", "RUNNING"):
            if not await engine.run_once():
                await asyncio.sleep(0.05)

    on_loop(srv, drain())


def _get_status(srv: LiveServer, token: str, op_id: str) -> str:
    from bucketry_server.models import Operation

    with srv.state.db.session() as s:
        op = s.get(Operation, op_id)
        assert op is not None
        return op.status


class Killed(Exception):
    """The simulated death of a worker."""


def test_dead_worker_chunk_resumes_from_its_checkpoint(
    eng: tuple[LiveServer, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, tokens = eng
    monkeypatch.setattr(copying, "GROUP", 1)  # one commit per blob: a checkpoint per blob
    engine = Engine(srv.state)
    op_id = _copy_op(srv, tokens["ada"], "resume", 9)
    _plan(srv, engine)
    db, cfg = srv.state.db, _cfg(srv)
    claim = claim_chunk(db, "doomed", cfg)
    assert claim is not None and claim.operation_id == op_id and claim.idx == 0
    checks = 0

    async def dies_on_the_third_key(_: str) -> None:
        nonlocal checks
        checks += 1
        if checks == 4:  # the page, groups 1 and 2 done, then death before group 3
            raise Killed

    ctx = RunningContext(srv.state, claim, dies_on_the_third_key)
    rng = ChunkRange(claim.range_after, claim.range_last)
    with pytest.raises(Killed):
        on_loop(srv, get_kind("COPY").run_chunk(ctx, rng))
    assert ctx.live.checkpoint == "src/01" and ctx.live.counts == {"copied": 2, "bytes": 3}
    assert queue.beat_chunk(db, "doomed", claim, ctx.live, cfg) == queue.OK
    # The other chunks run while chunk 0's worker still beats (on a slow machine they took
    # longer than one lease, and chunk 0 was taken over before the check below); then it dies.
    dead = threading.Event()

    def beating() -> None:
        while not dead.wait(LEASE / 5):
            queue.beat_chunk(db, "doomed", claim, ctx.live, cfg)

    beater = threading.Thread(target=beating)
    beater.start()
    try:
        while on_loop(srv, engine.run_once()):
            pass
    finally:
        dead.set()
        beater.join()
    assert _get_status(srv, tokens["ada"], op_id) == "RUNNING"  # chunk 0 is still leased
    time.sleep(LEASE + 0.2)
    _drain(srv, engine, tokens["ada"], op_id)
    done = _get(srv, tokens["ada"], op_id)
    assert done["status"] == "SUCCEEDED", done
    # exact: the re-run started after the checkpoint (a re-run from scratch would count 11)
    assert done["result"] == {"copied": 9, "skipped": 0, "bytes": sum(range(1, 10))}
    from bucketry_server.models import OperationChunk

    with db.session() as s:
        chunk = s.get(OperationChunk, (op_id, 0))
        assert chunk is not None and chunk.attempts == 2 and chunk.status == "DONE"


def test_attempts_exhausted_fail_the_operation(eng: tuple[LiveServer, dict[str, str]]) -> None:
    srv, tokens = eng
    engine = Engine(srv.state)
    op_id = _copy_op(srv, tokens["ada"], "exhaust", 2)
    _plan(srv, engine)
    db, cfg = srv.state.db, _cfg(srv)
    for worker in ("dead-1", "dead-2"):
        claim = claim_chunk(db, worker, cfg)
        assert claim is not None and claim.operation_id == op_id
        time.sleep(LEASE + 0.2)
    assert _get_status(srv, tokens["ada"], op_id) == "RUNNING"
    assert claim_chunk(db, "late", cfg) is None  # no attempt left
    assert queue.sweep(db, cfg) == 1
    failed = _get(srv, tokens["ada"], op_id)
    assert failed["status"] == "FAILED" and failed["finished_at"], failed
    assert failed["error"]["code"] == "worker_lost" and failed["error"]["status"] == 500
    assert "2 times" in failed["error"]["detail"]


class Recording(Engine):
    """An engine that records the chunks it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ran: list[tuple[str, int | None]] = []

    async def run_claim(self, worker: str, claim: Claim) -> None:
        self.ran.append((claim.operation_id, claim.idx))
        await super().run_claim(worker, claim)


def test_two_engines_share_one_operation(eng: tuple[LiveServer, dict[str, str]]) -> None:
    srv, tokens = eng
    op_id = _copy_op(srv, tokens["bo"], "shared", 12)
    one, two = Recording(srv.state), Recording(srv.state)

    async def slow(_: str) -> None:
        await asyncio.sleep(0.02)

    one.check_hook = two.check_hook = slow

    async def both() -> None:
        async def drain(engine: Engine) -> None:
            while _get_status(srv, tokens["bo"], op_id) in ("PENDING", "RUNNING"):
                if not await engine.run_once():
                    await asyncio.sleep(0.02)

        await asyncio.gather(drain(one), drain(two))

    on_loop(srv, both())
    done = _get(srv, tokens["bo"], op_id)
    assert done["result"] == {"copied": 12, "skipped": 0, "bytes": sum(range(1, 13))}, done
    chunks = [
        idx for ran in (one.ran, two.ran) for op, idx in ran if op == op_id and idx is not None
    ]
    assert sorted(chunks) == list(range(5))  # 4 ranges of 3 keys and the open tail, each once
    assert any(i is not None for _, i in one.ran) and any(i is not None for _, i in two.ran)


def test_per_owner_bound(eng: tuple[LiveServer, dict[str, str]]) -> None:
    srv, tokens = eng
    engine = Engine(srv.state)
    busy = _copy_op(srv, tokens["ada"], "bound-a", 9)
    _plan(srv, engine)
    other = _copy_op(srv, tokens["bo"], "bound-b", 1)
    _plan(srv, engine)
    db, cfg = srv.state.db, _cfg(srv)
    first, second = claim_chunk(db, "w1", cfg), claim_chunk(db, "w2", cfg)
    assert first and second and {first.operation_id, second.operation_id} == {busy}
    third = claim_chunk(db, "w3", cfg)  # ada is at her bound: bo's newer operation goes first
    assert third is not None and third.operation_id == other
    assert claim_chunk(db, "w4", cfg) is None
    later = _copy_op(srv, tokens["ada"], "bound-c", 1)
    assert claim_planner(db, "p1", cfg) is None  # planners count against the bound too
    for claim, worker in ((first, "w1"), (second, "w2"), (third, "w3")):
        queue.release(db, worker, claim, queue.Live())
    for op_id, who in ((busy, "ada"), (other, "bo"), (later, "ada")):
        _drain(srv, engine, tokens[who], op_id)
        assert _get(srv, tokens[who], op_id)["status"] == "SUCCEEDED"


def test_errors_become_problems_and_access_is_checked_again(
    eng: tuple[LiveServer, dict[str, str]],
) -> None:
    srv, tokens = eng
    engine = Engine(srv.state)
    h = auth(tokens["ada"])
    # the source blob goes between creation and run: the kind's NotFound is the problem
    op_id = _copy_op(srv, tokens["ada"], "errs", 1)
    httpx.delete(f"{srv.api}/buckets/errs/blob", params={"key": "src/00"}, headers=h)
    _drain(srv, engine, tokens["ada"], op_id)
    assert _get(srv, tokens["ada"], op_id)["status"] == "SUCCEEDED"  # a prefix: nothing left
    single = _single(srv, tokens["ada"], "errs", "one")
    httpx.delete(f"{srv.api}/buckets/errs/blob", params={"key": "one"}, headers=h)
    _drain(srv, engine, tokens["ada"], single)
    failed = _get(srv, tokens["ada"], single)
    assert failed["status"] == "FAILED" and failed["error"]["code"] == "not_found", failed
    assert failed["error"]["status"] == 404 and "one" in failed["error"]["detail"]

    # an unexpected exception: internal_error, no detail of it
    async def boom(_: str) -> None:
        raise RuntimeError("secret-looking text")

    engine.check_hook = boom
    crash = _single(srv, tokens["ada"], "errs", "two")
    _drain(srv, engine, tokens["ada"], crash)
    engine.check_hook = None
    error = _get(srv, tokens["ada"], crash)["error"]
    assert error["code"] == "internal_error" and "secret" not in error["detail"], error
    # a credential deleted after creation: the chunk refuses to run with the access it lost
    cred = httpx.post(
        f"{srv.api}/credentials", json={"name": "c", "buckets": ["errs"]}, headers=h
    ).json()
    revoked = _single(srv, cred["token"], "errs", "three")
    assert httpx.delete(f"{srv.api}/credentials/{cred['id']}", headers=h).status_code == 204
    _drain(srv, engine, tokens["ada"], revoked)
    error = _get(srv, tokens["ada"], revoked)["error"]
    assert (error["code"], error["status"]) == ("token_revoked", 401), error


def _single(srv: LiveServer, token: str, bucket: str, key: str) -> str:
    assert put(srv.api, token, bucket, key, b"data").status_code == 201
    r = httpx.post(
        f"{srv.api}/operations",
        json={
            "kind": "COPY",
            "source": f"bkt://{bucket}/{key}",
            "destination": f"bkt://{bucket}/c/",
        },
        headers=auth(token),
    )
    assert r.status_code == 202, r.text
    op_id: str = r.json()["id"]
    return op_id


def test_managed_copy_many_commits_together_and_refuses_existing_keys(
    eng: tuple[LiveServer, dict[str, str]],
) -> None:
    srv, tokens = eng
    from bucketry_server.backends.registry import backend_for
    from bucketry_server.models import Bucket

    h = auth(tokens["bo"])
    assert httpx.post(f"{srv.api}/buckets", json={"name": "many"}, headers=h).status_code == 201
    for key in ("a", "b", "taken"):
        assert put(srv.api, tokens["bo"], "many", key, key.encode() * 3).status_code == 201
    with srv.state.db.session() as s:
        bucket = s.query(Bucket).filter_by(name="many").one()
    backend = backend_for(srv.state, bucket)

    async def copy() -> list[Any]:
        a, b = await backend.stat("a"), await backend.stat("b")
        assert a is not None and b is not None
        return await backend.copy_many([(a, "c"), (b, "taken")], overwrite=False)

    copied = on_loop(srv, copy())
    assert copied[0] is not None and copied[0].key == "c" and copied[1] is None
    r = httpx.get(f"{srv.api}/buckets/many/blob", params={"key": "c"}, headers=h)
    assert r.content == b"aaa"
    r = httpx.get(f"{srv.api}/buckets/many/blob", params={"key": "taken"}, headers=h)
    assert r.content == b"takentakentaken"  # left alone


def test_active_operations_per_user_are_bounded(eng: tuple[LiveServer, dict[str, str]]) -> None:
    srv, tokens = eng
    h = auth(tokens["bo"])
    assert httpx.post(f"{srv.api}/buckets", json={"name": "lots"}, headers=h).status_code == 201
    assert put(srv.api, tokens["bo"], "lots", "k", b"k").status_code == 201
    body = {"kind": "COPY", "source": "bkt://lots/k", "destination": "bkt://lots/c/"}
    settings = srv.state.settings
    saved = settings.operation_max_active
    settings.operation_max_active = 2
    try:
        made = [httpx.post(f"{srv.api}/operations", json=body, headers=h) for _ in range(3)]
    finally:
        settings.operation_max_active = saved
    assert [r.status_code for r in made] == [202, 202, 429], [r.text for r in made]
    assert made[2].json()["code"] == "too_many_operations" and made[2].headers["Retry-After"]
    for r in made[:2]:  # nothing runs them here: a cancel ends them at once
        c = httpx.post(f"{srv.api}/operations/{r.json()['id']}/cancel", headers=h)
        assert c.status_code == 200 and c.json()["status"] == "CANCELLED", c.text


def test_active_bound_holds_when_requests_race(
    eng: tuple[LiveServer, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request of the same user creates its operation while this one is being
    validated (a kind's validation may wait on a provider): the bound is checked again when
    the row is inserted, so two racing requests cannot both pass a bound of one."""
    srv, tokens = eng
    h = auth(tokens["bo"])
    assert httpx.post(f"{srv.api}/buckets", json={"name": "racing"}, headers=h).status_code == 201
    assert put(srv.api, tokens["bo"], "racing", "k", b"k").status_code == 201
    body = {"kind": "COPY", "source": "bkt://racing/k", "destination": "bkt://racing/c/"}
    real = get_kind("COPY")
    raced: list[tuple[dict[str, Any], bool]] = []
    started: list[bool] = []

    async def racing_validate(state: Any, p: Any, fields: dict[str, Any]) -> dict[str, Any]:
        if not started:  # the other request, started and finished meanwhile
            started.append(True)
            raced.append(await service.create_operation(state, p, {"kind": "COPY", **fields}))
        validated: dict[str, Any] = await real.validate(state, p, fields)
        return validated

    monkeypatch.setattr(
        service, "get_kind", lambda name: dataclasses.replace(real, validate=racing_validate)
    )
    monkeypatch.setattr(srv.state.settings, "operation_max_active", 1)
    r = httpx.post(f"{srv.api}/operations", json=body, headers=h)
    assert raced and raced[0][1], (raced, r.status_code, r.text)
    assert r.status_code == 429 and r.json()["code"] == "too_many_operations", r.text
    listed = httpx.get(f"{srv.api}/operations", params={"status": "PENDING"}, headers=h)
    assert [op["id"] for op in listed.json()["results"]] == [raced[0][0]["id"]]
    c = httpx.post(f"{srv.api}/operations/{raced[0][0]['id']}/cancel", headers=h)
    assert c.status_code == 200, c.text


def test_single_and_keyed_adapters_run_through_the_engine(
    eng: tuple[LiveServer, dict[str, str]],
) -> None:
    """The wrappers other kind modules are wired with: a one-call kind's result becomes the
    operation's; a keyed kind gets each planned range's keys once and its counters summed."""
    from bucketry_server.accounts.principals import resolve_principal
    from bucketry_server.operations import kinds, service
    from bucketry_server.operations.adapters import keyed, single

    srv, tokens = eng
    engine = Engine(srv.state)
    h = auth(tokens["ada"])
    assert httpx.post(f"{srv.api}/buckets", json={"name": "adapt"}, headers=h).status_code == 201
    for i in range(7):
        assert put(srv.api, tokens["ada"], "adapt", f"in/{i}", b"x" * i).status_code == 201
    seen: list[list[str] | None] = []

    async def validate(state: Any, principal: Any, fields: dict[str, Any]) -> dict[str, Any]:
        assert "kind" not in fields
        return {"bucket": "adapt", **fields}

    async def once(ctx: Any) -> dict[str, Any]:
        return {"fetched": "yes", "size": 3}

    async def per_keys(ctx: Any, keys: Any) -> dict[str, Any]:
        seen.append(None if keys is None else list(keys))
        return {"handled": len(keys or []), "note": "ignored"}

    kinds.register(single("TEST_SINGLE", validate, once))
    kinds.register(keyed("TEST_KEYED", validate, per_keys, lambda p: ("adapt", p.get("prefix"))))
    with srv.state.db.session() as s:
        principal = resolve_principal(s, tokens["ada"])
    made = [
        on_loop(srv, service.create_operation(srv.state, principal, body))[0]["id"]
        for body in (
            {"kind": "TEST_SINGLE"},
            {"kind": "TEST_KEYED", "prefix": "in/"},
            {"kind": "TEST_KEYED"},
        )
    ]
    for op_id in made:
        _drain(srv, engine, tokens["ada"], op_id)
    results = [_get(srv, tokens["ada"], op_id)["result"] for op_id in made]
    assert results == [{"fetched": "yes", "size": 3}, {"handled": 7}, {"handled": 0}]
    ranges = [keys for keys in seen if keys is not None]
    assert sorted(k for keys in ranges for k in keys) == [f"in/{i}" for i in range(7)]
    assert len(ranges) == 3 and None in seen  # 3 + 3 + 1 keys; the single blob: keys=None


def test_kinds_get_only_the_fields_that_say_something(
    eng: tuple[LiveServer, dict[str, str]],
) -> None:
    """Clients send every default of ``OperationCreate`` (the generated client does); a kind
    that refuses parameters it does not take must see only the meaningful ones."""
    from bucketry_server.operations import kinds
    from bucketry_server.operations.adapters import single

    srv, tokens = eng
    got: list[dict[str, Any]] = []

    async def validate(state: Any, principal: Any, fields: dict[str, Any]) -> dict[str, Any]:
        got.append(dict(fields))
        return dict(fields)

    async def run(ctx: Any) -> dict[str, Any]:
        return {}

    real = kinds._KINDS.pop("CONNECTION_SYNC", None)  # a stand-in that records what it gets
    kinds.register(single("CONNECTION_SYNC", validate, run))
    try:
        body = {
            "kind": "CONNECTION_SYNC",
            "connection_id": "con_1",
            "source": None,
            "overwrite": True,
            "dry_run": False,
            "delete_extraneous_files": False,
        }
        for extra in ({}, {"delete_extraneous_files": True}):
            r = httpx.post(
                f"{srv.api}/operations", json={**body, **extra}, headers=auth(tokens["bo"])
            )
            assert r.status_code == 202, r.text
            op_id = r.json()["id"]
            c = httpx.post(f"{srv.api}/operations/{op_id}/cancel", headers=auth(tokens["bo"]))
            assert c.status_code == 200  # nothing runs here: ended at once
    finally:
        kinds._KINDS.pop("CONNECTION_SYNC")
        if real is not None:
            kinds.register(real)
    assert got == [
        {"connection_id": "con_1"},
        {"connection_id": "con_1", "delete_extraneous_files": True},
    ]


def test_a_wake_during_an_empty_claim_is_not_lost() -> None:
    """An operation created while an idle worker's claim is looking (its ``wake()`` lands
    after the claim's query found nothing) is looked for again at once, not after the idle
    poll: the worker must not clear that wake-up once the claim has returned."""
    from types import SimpleNamespace

    from bucketry_server.config import Settings

    engine = Engine(SimpleNamespace(settings=Settings()), workers=1)  # type: ignore[arg-type]
    claims: list[float] = []

    async def run_once(worker: str | None = None) -> bool:
        claims.append(time.monotonic())
        if len(claims) == 1:
            engine.wake()  # the operation is created now, just after this claim looked
        return False

    engine.run_once = run_once  # type: ignore[method-assign]

    async def watch() -> None:
        task = asyncio.create_task(engine._work("w", idle=30.0))
        deadline = time.monotonic() + 5
        while len(claims) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(watch())
    assert len(claims) >= 2, "the second claim waited for the idle poll (30 s)"
    assert claims[1] - claims[0] < 1.0


def test_a_busy_database_or_spool_delays_a_chunk_instead_of_failing_it(
    eng: tuple[LiveServer, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk refused for a shared resource that stays busy a while (503 ``busy``: the write
    gate's bounded wait, the spool budget) is given back and run again a moment later, from
    its checkpoint; the operation does not fail for it."""
    srv, tokens = eng
    monkeypatch.setattr(engine_module, "BUSY_RETRY_SECONDS", 0.05)
    engine = Engine(srv.state)
    op_id = _copy_op(srv, tokens["ada"], "busy", 4)
    refusals = 0

    async def busy_once(_: str) -> None:
        nonlocal refusals
        if refusals == 0:
            refusals += 1
            raise GateBusy("busy", "the database is busy", headers={"Retry-After": "5"})

    engine.check_hook = busy_once
    _drain(srv, engine, tokens["ada"], op_id)
    engine.check_hook = None
    done = _get(srv, tokens["ada"], op_id)
    assert refusals == 1
    assert done["status"] == "SUCCEEDED", done
    assert done["result"] == {"copied": 4, "skipped": 0, "bytes": sum(range(1, 5))}
