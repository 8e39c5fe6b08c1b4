"""The SDK core: configuration, errors, retries, pagination, lazy handles."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from bucketry import (
    BadGatewayError,
    Client,
    ConfigurationError,
    ConflictError,
    GatewayTimeoutError,
    NotFoundError,
    Pager,
    PermissionDeniedError,
    PreconditionFailedError,
    ServerError,
)
from bucketry._transport import RetryPolicy, RetryTransport, retry_after_seconds
from bucketry.errors import APIConnectionError, error_class, from_response
from tests.support.faulty_proxy import faulty_proxy
from tests.support.live_server import LiveServer

API = "http://bucketry.test/api/v1"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BUCKETRY_URL", "BUCKETRY_TOKEN", "BUCKETRY_ORG", "BUCKETRY_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUCKETRY_CONFIG", str(tmp_path / "none.toml"))


# -- configuration -------------------------------------------------------------------------
def test_missing_token_says_how_to_fix() -> None:
    with pytest.raises(ConfigurationError, match="BUCKETRY_TOKEN"):
        Client(url="http://127.0.0.1:1")


def test_settings_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[default]\nurl = "http://file:1"\ntoken = "file-token"\n'
        '[profiles.ci]\nurl = "http://ci:2"\ntoken = "ci-token"\n'
    )
    monkeypatch.setenv("BUCKETRY_CONFIG", str(cfg))
    assert Client().url == "http://file:1"
    monkeypatch.setenv("BUCKETRY_URL", "http://env:3/")
    assert Client().url == "http://env:3"
    assert Client(url="http://arg:4").url == "http://arg:4"
    assert Client(profile="ci").url == "http://env:3"  # env still wins over the file
    monkeypatch.delenv("BUCKETRY_URL")
    assert Client(profile="ci").url == "http://ci:2"
    with pytest.raises(ConfigurationError, match="profile"):
        Client(profile="nope")


def test_token_never_in_repr_or_logs(
    caplog: pytest.LogCaptureFixture, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{API}/users/self", status_code=404, json={"status": 404})
    client = Client(url="http://bucketry.test", token="s3cr3t-value")
    assert "s3cr3t" not in repr(client)
    with caplog.at_level("DEBUG", logger="bucketry"), pytest.raises(NotFoundError):
        client.whoami()
    assert "s3cr3t" not in caplog.text
    assert httpx_mock.get_request().headers["authorization"] == "Bearer s3cr3t-value"


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "cls", "builtin"),
    [
        (404, NotFoundError, FileNotFoundError),
        (403, PermissionDeniedError, PermissionError),
        (409, ConflictError, FileExistsError),
        (412, PreconditionFailedError, FileExistsError),
        (503, ServerError, Exception),
        (502, BadGatewayError, ServerError),
        (504, GatewayTimeoutError, TimeoutError),
    ],
)
def test_error_tree(status: int, cls: type[Exception], builtin: type[Exception]) -> None:
    response = httpx.Response(
        status,
        headers={"x-request-id": "req_1", "content-type": "application/problem+json"},
        json={"type": "about:blank", "title": "t", "status": status, "code": "c", "detail": "d"},
        request=httpx.Request("GET", API),
    )
    err = from_response(response)
    assert isinstance(err, cls) and isinstance(err, builtin)
    assert err.request_id == "req_1" and err.code == "c" and err.status_code == status
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls and clone.request_id == "req_1" and clone.problem == err.problem
    assert str(clone) == str(err)


def test_html_error_body_is_handled() -> None:
    response = httpx.Response(
        502, text="<html>bad gateway</html>", request=httpx.Request("GET", API)
    )
    err = from_response(response)
    assert isinstance(err, ServerError) and err.problem == {} and "502" in str(err)
    assert error_class(520) is ServerError


# -- retries (transport level, mocked) --------------------------------------------------------
def _client_with_sleeps(sleeps: list[float]) -> Client:
    client = Client(url="http://bucketry.test", token="t", max_retries=3)
    transport = client.http._transport
    assert isinstance(transport, RetryTransport)
    transport._sleep = sleeps.append  # record instead of sleeping
    return client


def test_retries_503_then_succeeds_honouring_retry_after(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/users/self", status_code=503, headers={"Retry-After": "7"})
    httpx_mock.add_response(url=f"{API}/users/self", status_code=429, headers={"Retry-After": "0"})
    httpx_mock.add_response(
        url=f"{API}/users/self",
        json={
            "id": "usr_1",
            "name": "a",
            "is_admin": False,
            "orgs": [],
            "created_at": "2026-01-01T00:00:00Z",
        },
    )
    sleeps: list[float] = []
    assert _client_with_sleeps(sleeps).whoami()["name"] == "a"
    assert sleeps == [7.0, 0.0]


def test_gives_up_after_max_retries(httpx_mock: HTTPXMock) -> None:
    for _ in range(4):
        httpx_mock.add_response(url=f"{API}/users/self", status_code=500)
    sleeps: list[float] = []
    with pytest.raises(ServerError):
        _client_with_sleeps(sleeps).whoami()
    assert len(sleeps) == 3
    assert all(0 < s <= 8 for s in sleeps) and sleeps[2] >= 1.0  # exponential with jitter


@pytest.mark.parametrize("status", [409, 412, 400, 404])
def test_never_retries_client_errors(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(url=f"{API}/users/self", status_code=status)
    sleeps: list[float] = []
    with pytest.raises(Exception):  # noqa: B017 - the mapped class is tested above
        _client_with_sleeps(sleeps).whoami()
    assert sleeps == [] and len(httpx_mock.get_requests()) == 1


def test_post_retried_only_with_idempotency_key(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", status_code=503, is_reusable=True)
    sleeps: list[float] = []
    client = _client_with_sleeps(sleeps)
    assert client.http.post("/tokens", json={"name": "x"}).status_code == 503
    assert len(httpx_mock.get_requests()) == 1
    client.http.post("/tokens", json={"name": "x"}, headers={"Idempotency-Key": "k1"})
    assert len(httpx_mock.get_requests()) == 1 + 4


def test_retry_after_http_date() -> None:
    future = time.time() + 30
    date = httpx.Response(
        503,
        headers={"Retry-After": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(future))},
    )
    assert 25 <= (retry_after_seconds(date) or 0) <= 31
    assert retry_after_seconds(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert (
        RetryPolicy(retry_after_max=5).delay(0, httpx.Response(503, headers={"Retry-After": "99"}))
        == 5
    )


# -- retries against the real server through a fault-injecting proxy -----------------------
def test_survives_injected_503_and_connection_resets(
    server: LiveServer, users: dict[str, str]
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with faulty_proxy(port) as proxy:
        client = Client(url=proxy.url, token=users["alice"], max_retries=4)
        client.retry_policy = RetryPolicy(max_retries=4, backoff_base=0.01)
        client.http._transport.policy = client.retry_policy  # type: ignore[attr-defined]
        proxy.plan.extend(["503", "reset", "503", "pass"])
        assert client.whoami()["name"] == "alice"
        assert [f for f, _, _ in proxy.seen] == ["503", "reset", "503", "pass"]
        proxy.plan.extend(["reset"] * 5)
        with pytest.raises(APIConnectionError):
            client.whoami()
        client.close()


# -- pagination ----------------------------------------------------------------------------------
def _fake(n: int, calls: list[tuple[str | None, int]]):  # type: ignore[no-untyped-def]
    data = list(range(n))

    def fetch(cursor: str | None, size: int) -> tuple[list[int], str | None]:
        calls.append((cursor, size))
        start = int(cursor or 0)
        end = start + size
        return data[start:end], (str(end) if end < n else None)

    return fetch


def test_pager_is_lazy_and_fetches_only_what_is_needed() -> None:
    calls: list[tuple[str | None, int]] = []
    pager = Pager(_fake(50, calls), page_size=10)
    assert calls == []  # nothing until iterated
    it = iter(pager)
    assert next(it) == 0 and len(calls) == 1
    assert pager.to_list() == list(range(50))
    calls.clear()
    assert Pager(_fake(50, calls), page_size=10, first=3).to_list() == [0, 1, 2]
    assert calls == [(None, 3)]
    calls.clear()
    assert Pager(_fake(50, calls), page_size=10, skip=25, first=5).to_list() == list(range(25, 30))
    assert calls == [(None, 30)]
    calls.clear()
    assert Pager(_fake(5, calls), page_size=10, skip=10).to_list() == []
    with pytest.raises(ValueError):
        Pager(_fake(1, calls), page_size=0)


def test_pager_to_pandas() -> None:
    calls: list[tuple[str | None, int]] = []

    class Item:
        def __init__(self, i: int) -> None:
            self.i = i

        def to_dict(self) -> dict[str, int]:
            return {"i": self.i}

    def fetch(cursor: str | None, size: int) -> tuple[list[Item], str | None]:
        items, nxt = _fake(7, calls)(cursor, size)
        return [Item(i) for i in items], nxt

    frame = Pager(fetch, page_size=3).to_pandas()
    assert list(frame["i"]) == list(range(7))


def test_handles_make_no_request(httpx_mock: HTTPXMock) -> None:
    client = Client(url="http://bucketry.test", token="t")
    blob = client.bucket("images").blob("raw/a.png")
    assert blob.key == "raw/a.png" and httpx_mock.get_requests() == []


def test_streamed_reads_raise_sdk_errors(server: LiveServer, users: dict[str, str]) -> None:
    client = Client(url=server.url, token=users["alice"])
    bucket = client.buckets.create("core-stream-errors", exist_ok=True)
    with pytest.raises(FileNotFoundError) as info:
        bucket.blob("missing.bin").read_bytes()
    assert isinstance(info.value, NotFoundError) and info.value.request_id
    bucket.blob("small.bin").write_bytes(b"0123456789")
    with bucket.blob("small.bin").open() as f:
        f.seek(3)
        assert f.read(4) == b"3456"
    bucket.blob("small.bin").delete()
    client.close()


def test_pager_prefetch_overlaps_the_next_request() -> None:
    import threading

    started: list[str | None] = []
    release = threading.Event()

    def fetch(cursor: str | None, size: int) -> tuple[list[int], str | None]:
        started.append(cursor)
        if cursor == "2":
            release.wait(5)
        start = int(cursor or 0)
        return [start, start + 1], (str(start + 2) if start < 4 else None)

    pages = Pager(fetch, page_size=2, prefetch=True).pages()
    assert next(pages) == [0, 1]
    time.sleep(0.1)
    assert started == [None, "2"]  # page 2 is requested while page 1 is being consumed
    release.set()
    assert list(pages) == [[2, 3], [4, 5]]


def test_errors_name_the_bucket_key_or_url(
    server: LiveServer, users: dict[str, str], unique: str
) -> None:
    """Every error names what failed (issue 8, D6): the bucket, ``bkt://bucket/key`` (also
    for a HEAD 404 with no body at all, as ``blob.open`` and pandas meet it), and the URL of a
    connection that failed."""
    client = Client(url=server.url, token=users["alice"], progress=False)
    with pytest.raises(NotFoundError, match=f"bucket 'nope-{unique}'"):
        client.buckets.get(f"nope-{unique}")
    with pytest.raises(NotFoundError, match=f"bucket 'nope-{unique}'"):
        client.bucket(f"nope-{unique}").blob("k").read_bytes()
    bucket = client.buckets.create(f"core-names-{unique}")
    try:
        with pytest.raises(NotFoundError) as info:
            bucket.blob("dir/missing.csv").open()  # a HEAD: no body, no text
        message = str(info.value)
        assert f"bkt://{bucket.id}/dir/missing.csv" in message or (
            f"bkt://core-names-{unique}/dir/missing.csv" in message
        )
        assert "Not Found" in message and info.value.request_id in message
        with pytest.raises(NotFoundError, match=r"dir/missing\.csv"):
            bucket.blob("dir/missing.csv").read_bytes()
    finally:
        bucket.delete(force=True)
        client.close()
    dead = Client(url="http://127.0.0.1:9", token="t", max_retries=0, progress=False)
    with pytest.raises(APIConnectionError, match=r"http://127\.0\.0\.1:9/api/v1/buckets"):
        dead.buckets.get("x")
    dead.close()
