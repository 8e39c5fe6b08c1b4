"""Non-2xx responses raise typed errors carrying status, problem details, request id and the
response; odd bodies (HTML from a proxy, invalid JSON, nothing) and odd statuses never crash."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from bucketry_api import ApiClient, ApiError, ClientError, ServerError, UnexpectedStatusError
from bucketry_api.models import BucketCreate

PROBLEM = "application/problem+json"


@pytest.fixture
def api() -> Any:
    with ApiClient("http://127.0.0.1:8080", token="tok") as client:
        yield client


def problem(status: int, title: str, code: str, request_id: str = "req_body") -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": f"{title} (detail)",
        "code": code,
        "request_id": request_id,
    }


CASES = [
    # (status, error class, call)
    (404, ClientError, lambda api: api.buckets.get("missing")),
    (409, ClientError, lambda api: api.buckets.create(body=BucketCreate(name="dup"))),
    (412, ClientError, lambda api: api.blobs.put("b", key="k", body=b"x", if_none_match="*")),
    (500, ServerError, lambda api: api.users.get_self()),
]


@pytest.mark.parametrize(("status", "error_class", "call"), CASES)
def test_problem_details(
    status: int, error_class: type[ApiError], call: Any, api: ApiClient, httpx_mock: HTTPXMock
) -> None:
    body = problem(status, "Something", f"code_{status}")
    httpx_mock.add_response(
        status_code=status,
        json=body,
        headers={"Content-Type": PROBLEM, "X-Request-ID": "req_header"},
    )
    with pytest.raises(error_class) as info:
        call(api)
    error = info.value
    assert isinstance(error, ApiError)
    assert error.status_code == status
    assert error.problem == body
    assert (error.title, error.detail, error.code) == (
        "Something",
        "Something (detail)",
        f"code_{status}",
    )
    assert error.request_id == "req_header"  # the header wins over the body
    assert isinstance(error.response, httpx.Response)
    assert error.response.status_code == status
    assert str(status) in str(error) and f"code_{status}" in str(error)


def test_request_id_from_body_when_header_missing(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=404,
        json=problem(404, "Not Found", "not_found", "req_b"),
        headers={"Content-Type": PROBLEM},
    )
    with pytest.raises(ClientError) as info:
        api.assets.get("ast_x")
    assert info.value.request_id == "req_b"


def test_html_502_from_a_proxy(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    httpx_mock.add_response(status_code=502, text=html, headers={"Content-Type": "text/html"})
    with pytest.raises(ServerError) as info:
        api.buckets.list()
    error = info.value
    assert error.status_code == 502
    assert error.problem == {}
    assert error.text == html
    assert error.request_id is None
    assert "502 Bad Gateway" in str(error)


def test_nonstandard_520(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=520, text="origin error", headers={"X-Request-ID": "req_520"}
    )
    with pytest.raises(ServerError) as info:
        api.usage.get()
    assert info.value.status_code == 520
    assert info.value.text == "origin error"
    assert info.value.request_id == "req_520"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b"\xff\xfe\x00garbage"])
def test_broken_problem_bodies_do_not_crash(
    body: bytes, api: ApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=400, content=body, headers={"Content-Type": PROBLEM})
    with pytest.raises(ClientError) as info:
        api.tokens.list()
    assert info.value.problem == {}
    assert info.value.status_code == 400


def test_other_statuses(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=304)
    with pytest.raises(UnexpectedStatusError) as info:
        api.blobs.get("b", key="k", if_none_match='"etag"')
    assert info.value.status_code == 304
    httpx_mock.add_response(status_code=601, text="?")
    with pytest.raises(UnexpectedStatusError):
        api.operations.get("op_1")


def test_head_error_without_body(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="HEAD", status_code=404, headers={"X-Request-ID": "req_h"})
    with pytest.raises(ClientError) as info:
        api.blobs.head("b", key="missing")
    assert info.value.status_code == 404
    assert info.value.request_id == "req_h"


def test_stream_variant_reads_the_error_body(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    body = problem(404, "Not Found", "not_found")
    httpx_mock.add_response(status_code=404, json=body, headers={"Content-Type": PROBLEM})
    with pytest.raises(ClientError) as info, api.blobs.get_stream("b", key="missing"):
        pytest.fail("the body of a failed download must not be yielded")
    assert info.value.problem == body


def test_errors_pickle_without_the_response(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=409,
        json=problem(409, "Conflict", "exists"),
        headers={"Content-Type": PROBLEM, "X-Request-ID": "r"},
    )
    with pytest.raises(ClientError) as info:
        api.buckets.create(body=BucketCreate(name="dup"))
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is ClientError
    assert (clone.status_code, clone.code, clone.request_id, clone.problem) == (
        409,
        "exists",
        "r",
        info.value.problem,
    )
    assert clone.response is None
    assert str(clone) == str(info.value)


def test_class_for_status() -> None:
    assert ApiError.class_for_status(400) is ClientError
    assert ApiError.class_for_status(499) is ClientError
    assert ApiError.class_for_status(500) is ServerError
    assert ApiError.class_for_status(599) is ServerError
    assert ApiError.class_for_status(302) is UnexpectedStatusError
