"""The tag API classes of the generated client: ``ApiClient(...).<tag>.<op>()`` returns
``(data, response)``; every spec operation has a method; binary downloads have ``*_stream``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

import bucketry_api
from bucketry_api import ApiClient, AuthenticatedClient, Client, models
from bucketry_api.types import File
from tests.generated.spec_examples import (
    body_example,
    method_name,
    operations,
    response_example,
    spec,
    success_responses,
)

BASE = "http://127.0.0.1:8080"
TOKEN = "tok_test"


def _body_model(operation_id: str) -> Any:
    data, name = body_example(operation_id)
    assert name, "JSON request bodies are expected to be named schemas"
    return getattr(models, name).from_dict(data)


# One representative operation per tag: (operationId, positional args, extra kwargs builder).
REPRESENTATIVE: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "system": ("system_health", (), {}),
    "users": ("users_get_self", (), {}),
    "tokens": ("tokens_create", (), {"body": "json"}),
    "buckets": ("buckets_list", (), {"page_size": 10}),
    "blobs": ("blobs_list", ("images",), {"prefix": "raw/"}),
    "uploads": ("uploads_create", ("images",), {"body": "json"}),
    "credentials": ("credentials_list", (), {"page_size": 5}),
    "usage": ("usage_get", (), {}),
    "projects": ("projects_list", (), {}),
    "assets": ("assets_get", ("ast_1",), {}),
    "connections": ("connections_list", (), {}),
    "operations": ("operations_get", ("op_1",), {}),
}


@pytest.fixture
def api() -> Any:
    with ApiClient(BASE, token=TOKEN) as client:
        yield client


def test_every_tag_has_a_representative_case() -> None:
    tags = {op["tags"][0] for _, _, op in operations().values()}
    assert tags == set(REPRESENTATIVE), "update REPRESENTATIVE when the spec's tags change"


def test_every_operation_has_a_method_and_binary_ones_a_stream_variant(api: ApiClient) -> None:
    for operation_id, (_, _, op) in operations().items():
        tag = op["tags"][0]
        group = getattr(api, tag)
        name = method_name(operation_id, tag)
        assert callable(getattr(group, name, None)), f"{tag}.{name} missing for {operation_id}"
        binary = any(
            schema.get("format") == "binary"
            for r in success_responses(operation_id).values()
            for schema in [c.get("schema", {}) for c in (r.get("content") or {}).values()]
        )
        assert hasattr(group, f"{name}_stream") == binary, f"{tag}.{name}_stream for {operation_id}"


@pytest.mark.parametrize("tag", sorted(REPRESENTATIVE))
def test_call_shape(tag: str, api: ApiClient, httpx_mock: HTTPXMock) -> None:
    operation_id, args, kwargs = REPRESENTATIVE[tag]
    method, path, _ = operations()[operation_id]
    status, payload, schema = response_example(operation_id)
    httpx_mock.add_response(status_code=status, json=payload, headers={"X-Request-ID": "req_1"})
    if kwargs.get("body") == "json":
        kwargs = {**kwargs, "body": _body_model(operation_id)}

    data, response = getattr(getattr(api, tag), method_name(operation_id, tag))(*args, **kwargs)

    assert isinstance(response, httpx.Response)
    assert response.status_code == status
    if schema:
        assert type(data).__name__ == schema
    else:
        assert data is not None
    request = httpx_mock.get_request()
    assert request is not None
    assert request.method == method.upper()
    expected_path = "/api/v1" + path
    for value in args:  # path parameters, in order
        expected_path = expected_path.replace(
            expected_path[expected_path.index("{") : expected_path.index("}") + 1], value, 1
        )
    assert request.url.path == expected_path
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    for name in ("page_size", "prefix"):
        if name in kwargs:
            assert request.url.params[name] == str(kwargs[name])


def test_binary_get_returns_file(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(content=b"hello", headers={"Content-Type": "application/octet-stream"})
    data, _ = api.blobs.get("images", key="a/b c.png")
    assert isinstance(data, File)
    assert data.payload.read() == b"hello"
    request = httpx_mock.get_request()
    assert request is not None
    assert request.url.path == "/api/v1/buckets/images/blob"
    assert request.url.params["key"] == "a/b c.png"


def test_bodiless_response_gives_none(api: ApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    data, response = api.blobs.delete("images", key="a.png")
    assert data is None
    assert response.status_code == 204


def test_stock_functions_still_available(httpx_mock: HTTPXMock) -> None:
    from bucketry_api.api.users import users_get_self

    status, payload, _ = response_example("users_get_self")
    httpx_mock.add_response(status_code=status, json=payload)
    client = AuthenticatedClient(base_url=BASE + "/api/v1", token=TOKEN)
    user = users_get_self.sync(client=client)
    assert type(user).__name__ == "User"
    assert callable(users_get_self.sync_detailed)
    assert callable(users_get_self.asyncio)


def test_unknown_enum_values_are_tolerated() -> None:
    _, payload, _ = response_example("buckets_get")
    payload = {**payload, "status": "SOME_FUTURE_STATUS", "provider": "SOME_FUTURE_PROVIDER"}
    bucket = models.Bucket.from_dict(payload)
    assert str(bucket.status) == "SOME_FUTURE_STATUS"
    assert bucket.to_dict()["provider"] == "SOME_FUTURE_PROVIDER"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v1"),
        ("http://127.0.0.1:8080/api/v1", "http://127.0.0.1:8080/api/v1"),
        ("http://127.0.0.1:8080/api/v1/", "http://127.0.0.1:8080/api/v1"),
        ("http://127.0.0.1:8080/proxy", "http://127.0.0.1:8080/proxy/api/v1"),
    ],
)
def test_base_url_gets_the_base_path(given: str, expected: str, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    with ApiClient(given) as api:
        api.blobs.delete("b", key="k")
    request = httpx_mock.get_request()
    assert request is not None
    assert str(request.url) == expected + "/buckets/b/blob?key=k"


def test_base_path_matches_spec_servers() -> None:
    assert spec()["servers"][0]["url"] == bucketry_api.BASE_PATH


def test_client_options(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    api = ApiClient(BASE, headers={"X-Extra": "1"}, organization="acme")
    assert isinstance(api.client, Client) and not isinstance(api.client, AuthenticatedClient)
    assert api.client.get_httpx_client().timeout == bucketry_api.DEFAULT_TIMEOUT
    assert bucketry_api.DEFAULT_TIMEOUT.read is not None
    api.blobs.delete("b", key="k")
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["X-Extra"] == "1"
    assert request.headers["X-Organization"] == "acme"
    assert "Authorization" not in request.headers
    api.close()
    assert api.client.get_httpx_client().is_closed


def test_wraps_an_existing_client(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    client = AuthenticatedClient(
        base_url="http://127.0.0.1:9/api/v1", token="abc", timeout=httpx.Timeout(5)
    )
    api = ApiClient(client=client)
    assert api.client is client
    api.blobs.delete("b", key="k")
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Authorization"] == "Bearer abc"
    with pytest.raises(TypeError):
        ApiClient(BASE, client=client)
    with pytest.raises(TypeError):
        ApiClient()
