"""``client.operations`` against a mocked server: ``Operation.wait`` polling (backoff, cap,
timeout on a fake clock), its typed errors, progress events, and the request each method
sends (locations as URIs, Bucket, Blob or pairs; filters; part sizes)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

import bucketry.resources.operations as ops_module
from bucketry import (
    BadRequestError,
    Client,
    NotFoundError,
    OperationCancelledError,
    OperationFailed,
    OperationTimeoutError,
    ProgressAdvance,
    ProgressEvent,
    ProgressFail,
    ProgressFinish,
    ProgressStart,
)

API = "http://bucketry.test/api/v1"
OP = f"{API}/operations/op_1"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BUCKETRY_URL", "BUCKETRY_TOKEN", "BUCKETRY_ORG", "BUCKETRY_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUCKETRY_CONFIG", str(tmp_path / "none.toml"))


@pytest.fixture
def client() -> Client:
    return Client(url="http://bucketry.test", token="t", max_retries=0, progress=False)


class FakeClock:
    """Stands in for the ``time`` module of the operations resource: ``sleep`` only moves
    ``monotonic`` on and records how long it was asked to wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(ops_module, "time", fake)
    return fake


def _op(status: str = "RUNNING", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "op_1",
        "kind": "COPY",
        "status": status,
        "params": {"source": "bkt://a/x/", "destination": "bkt://b/y/", "overwrite": True},
        "progress": {"done": 0, "total": None, "bytes_done": 0, "bytes_total": None},
        "error": None,
        "result": None,
        "cancel_requested": False,
        "created_at": "2026-11-29T20:00:00Z",
        "started_at": None,
        "finished_at": None,
    }
    body.update(over)
    return body


def _progress(done: int, total: int | None, bytes_done: int, bytes_total: int | None) -> Any:
    return {"done": done, "total": total, "bytes_done": bytes_done, "bytes_total": bytes_total}


def _started(client: Client, httpx_mock: HTTPXMock, **over: Any) -> Any:
    httpx_mock.add_response(
        method="POST", url=f"{API}/operations", status_code=202, json=_op(**over)
    )
    return client.operations.copy("bkt://a/x/", "bkt://b/y/")


def test_wait_polls_with_a_growing_interval_until_it_succeeds(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock, status="PENDING")
    for status in ("PENDING", "RUNNING", "RUNNING", "RUNNING"):
        httpx_mock.add_response(method="GET", url=OP, json=_op(status))
    done = _op("SUCCEEDED", result={"copied": 3, "skipped": 0, "bytes": 30})
    httpx_mock.add_response(method="GET", url=OP, json=done)

    assert op.wait(poll=0.2) is op
    assert clock.sleeps == [0.2, 0.3, 0.45, 0.675, 1.0125]  # x1.5 after every poll
    assert len(httpx_mock.get_requests(method="GET")) == 5
    assert (
        op.status == "SUCCEEDED"
        and op.done
        and op.result == {"copied": 3, "skipped": 0, "bytes": 30}
    )


def test_wait_backoff_is_capped_by_max_poll(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock)
    for _ in range(7):
        httpx_mock.add_response(method="GET", url=OP, json=_op("RUNNING"))
    httpx_mock.add_response(method="GET", url=OP, json=_op("SUCCEEDED", result={}))
    op.wait(poll=1.0, max_poll=2.0)
    assert clock.sleeps == [1.0, 1.5, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]


def test_wait_times_out_with_a_timeout_error_and_never_sleeps_past_it(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock)
    httpx_mock.add_response(method="GET", url=OP, json=_op("RUNNING"), is_reusable=True)
    start = clock.now
    with pytest.raises(OperationTimeoutError) as info:
        op.wait(timeout=1.0, poll=0.2)
    assert isinstance(info.value, TimeoutError)
    assert info.value.operation_id == "op_1" and info.value.operation is op
    assert "op_1" in str(info.value) and "RUNNING" in str(info.value)
    assert clock.sleeps == [0.2, 0.3, 0.45, 0.05]  # the last one clipped to the deadline
    assert clock.now - start == pytest.approx(1.0)
    assert op.status == "RUNNING"  # the operation itself goes on: no cancel was sent
    assert httpx_mock.get_requests(method="POST") and len(httpx_mock.get_requests()) == 5


def test_wait_zero_timeout_raises_without_sleeping(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock)
    with pytest.raises(TimeoutError):
        op.wait(timeout=0)
    assert clock.sleeps == []


def test_failed_raises_operation_failed_with_the_problem(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock)
    problem = {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "code": "not_found",
        "detail": "source: blob 'x/a' not found",
    }
    httpx_mock.add_response(method="GET", url=OP, json=_op("FAILED", error=problem))
    with pytest.raises(OperationFailed) as info:
        op.wait()
    err = info.value
    assert (err.code, err.status_code, err.detail) == ("not_found", 404, problem["detail"])
    assert err.problem == problem and err.operation_id == "op_1" and err.operation is op
    assert "source: blob 'x/a' not found" in str(err) and "[not_found]" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is OperationFailed and again.problem == problem and str(again) == str(err)


def test_cancelled_raises_operation_cancelled(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock)
    httpx_mock.add_response(method="GET", url=OP, json=_op("CANCELLED", cancel_requested=True))
    with pytest.raises(OperationCancelledError) as info:
        op.wait()
    assert info.value.operation_id == "op_1" and "cancelled" in str(info.value)
    assert not isinstance(info.value, TimeoutError)


def test_progress_events_are_sized_by_the_totals_once_known(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock, status="PENDING")
    steps = [
        ("RUNNING", _progress(0, None, 0, None)),  # totals unknown: no start yet
        ("RUNNING", _progress(1, 4, 100, 400)),
        ("RUNNING", _progress(3, 4, 300, 400)),
        ("SUCCEEDED", _progress(4, 4, 400, 400)),
    ]
    for status, progress in steps:
        httpx_mock.add_response(method="GET", url=OP, json=_op(status, progress=progress))
    events: list[ProgressEvent] = []
    op.wait(progress=events.append)
    assert events[0] == ProgressStart("copy", "op_1", 400, "B")
    advances = [e.amount for e in events if isinstance(e, ProgressAdvance)]
    assert advances == [100, 200, 100]
    assert events[-1] == ProgressFinish("copy", "op_1")


def test_progress_in_items_without_byte_totals_and_failed_on_failure(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    op = _started(client, httpx_mock)
    httpx_mock.add_response(method="GET", url=OP, json=_op(progress=_progress(2, 5, 0, None)))
    problem = {"type": "about:blank", "title": "x", "status": 500, "code": "internal_error"}
    httpx_mock.add_response(method="GET", url=OP, json=_op("FAILED", error=problem))
    events: list[ProgressEvent] = []
    with pytest.raises(OperationFailed):
        op.wait(progress=events.append)
    assert events[0] == ProgressStart("copy", "op_1", 5, "item")
    assert events[1] == ProgressAdvance("copy", "op_1", 2, "item")
    assert isinstance(events[-1], ProgressFail) and events[-1].error == "FAILED"


def test_wait_rejects_a_bad_poll(client: Client, httpx_mock: HTTPXMock) -> None:
    op = _started(client, httpx_mock)
    with pytest.raises(ValueError, match="poll"):
        op.wait(poll=0)
    with pytest.raises(ValueError, match="max_poll"):
        op.wait(poll=2, max_poll=1)


def test_locations_as_uris_buckets_blobs_and_pairs(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{API}/operations", status_code=202, json=_op(), is_reusable=True
    )
    photos = client.bucket("photos")  # lazy: no request
    client.operations.copy(photos.blob("raw/a.png"), (photos, "copies/"), overwrite=False)
    client.operations.copy(("photos", "raw/"), photos, idempotency_key="k-1")
    client.operations.delete("bkt://photos/tmp/", dry_run=True)
    sent = [json.loads(r.content) for r in httpx_mock.get_requests()]
    assert sent[0] == {
        "kind": "COPY",
        "source": "bkt://photos/raw/a.png",
        "destination": "bkt://photos/copies/",
        "overwrite": False,
        "delete_extraneous_files": False,
        "dry_run": False,
    }
    assert (sent[1]["source"], sent[1]["destination"]) == ("bkt://photos/raw/", "bkt://photos")
    assert httpx_mock.get_requests()[1].headers["Idempotency-Key"] == "k-1"
    assert "Idempotency-Key" not in httpx_mock.get_requests()[0].headers
    assert sent[2]["kind"] == "DELETE_PREFIX" and sent[2]["source"] == "bkt://photos/tmp/"
    assert sent[2]["dry_run"] is True


@pytest.mark.parametrize("bad", ["photos/raw/", "s3://photos/raw/", ("a/b", "k"), 42])
def test_a_bad_location_is_refused_before_any_request(
    client: Client, httpx_mock: HTTPXMock, bad: Any
) -> None:
    with pytest.raises(ValueError, match="src"):
        client.operations.copy(bad, "bkt://b/")
    assert httpx_mock.get_requests() == []


def test_export_part_size_is_sent_in_mib_and_checked(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{API}/operations", status_code=202, json=_op())
    client.operations.export("bkt://a/x/", "bkt://s3-archive/x/", part_size=64 * 1024 * 1024)
    body = json.loads(httpx_mock.get_request().content)
    assert (body["kind"], body["destination"], body["part_size_mb"]) == (
        "EXPORT",
        "bkt://s3-archive/x/",
        64,
    )
    for bad in (4 * 1024 * 1024, 5 * 1024 * 1024 + 1, 6 * 1024**3):
        with pytest.raises(ValueError, match="part_size"):
            client.operations.export("bkt://a/x/", "s3-archive", part_size=bad)


def test_list_sends_filters_and_pages_lazily(client: Client, httpx_mock: HTTPXMock) -> None:
    page1 = {"results": [_op(), _op(id="op_2")], "next_cursor": "c2"}
    page2 = {"results": [_op(id="op_3")], "next_cursor": None}
    httpx_mock.add_response(
        url=f"{API}/operations?status=RUNNING&kind=DELETE_PREFIX&page_size=2", json=page1
    )
    httpx_mock.add_response(
        url=f"{API}/operations?status=RUNNING&kind=DELETE_PREFIX&page_size=2&cursor=c2",
        json=page2,
    )
    pager = client.operations.list(status="running", kind="delete", page_size=2)
    assert httpx_mock.get_requests() == []  # lazy
    assert [op.id for op in pager] == ["op_1", "op_2", "op_3"]
    with pytest.raises(ValueError, match="status"):
        client.operations.list(status="DONE")


def test_a_refused_start_names_the_kind_and_its_locations(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    """``POST /operations`` names no bucket in its URL: the error says what was asked."""
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/operations",
        status_code=404,
        json={
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "code": "not_found",
            "detail": "bucket not found",
        },
        headers={"X-Request-ID": "req_1"},
    )
    with pytest.raises(NotFoundError) as info:
        client.operations.copy("bkt://a/x/", "bkt://nope/y/")
    assert str(info.value).startswith("COPY bkt://a/x/ -> bkt://nope/y/: ")
    assert info.value.code == "not_found" and info.value.request_id == "req_1"
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/operations",
        status_code=400,
        json={
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "code": "invalid_parameter",
            "detail": "url: refused",
        },
    )
    with pytest.raises(BadRequestError) as bad:
        client.operations.import_url("http://10.0.0.1/x?token=s3cret", "bkt://a/k")
    assert str(bad.value).startswith("IMPORT_URL bkt://a/k: ") and "s3cret" not in str(bad.value)


def test_progress_true_draws_one_tqdm_bar_sized_by_the_byte_total(
    client: Client, httpx_mock: HTTPXMock, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars: list[FakeBar] = []

    class FakeBar:
        def __init__(self, **kw: Any) -> None:
            self.kw, self.n, self.closed = kw, 0, False
            bars.append(self)

        def update(self, amount: int) -> None:
            self.n += amount

        def close(self) -> None:
            self.closed = True

    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", FakeBar)
    op = _started(client, httpx_mock)
    for status, progress in [
        ("RUNNING", _progress(1, 3, 2048, 3072)),
        ("SUCCEEDED", _progress(3, 3, 3072, 3072)),
    ]:
        httpx_mock.add_response(method="GET", url=OP, json=_op(status, progress=progress))
    op.wait(progress=True)
    assert len(bars) == 1 and bars[0].kw["total"] == 3072 and bars[0].kw["unit"] == "B"
    assert bars[0].n == 3072 and bars[0].closed
    assert "copy op_1" in bars[0].kw["desc"]


def test_cli_ops_list_hides_the_secrets_of_an_import_url_and_checks_filters(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bucketry.cli import main

    monkeypatch.setenv("BUCKETRY_URL", "http://bucketry.test")
    monkeypatch.setenv("BUCKETRY_TOKEN", "t")
    url = "https://user:pw@example.com:8443/data.csv?X-Amz-Signature=s3cret#frag"
    imported = _op(
        "RUNNING", kind="IMPORT_URL", params={"url": url, "destination": "bkt://a/data.csv"}
    )
    httpx_mock.add_response(
        url=f"{API}/operations?status=RUNNING&page_size=50",
        json={"results": [imported], "next_cursor": None},
    )
    assert main(["ops", "list", "--status", "running"]) == 0
    out = capsys.readouterr().out
    assert "https://example.com:8443/data.csv -> bkt://a/data.csv" in out
    assert "s3cret" not in out and "pw" not in out and "IMPORT_URL" in out

    assert main(["ops", "list", "--kind", "bogus"]) == 2  # a usage error naming the choices
    assert "invalid choice: 'BOGUS'" in capsys.readouterr().err
