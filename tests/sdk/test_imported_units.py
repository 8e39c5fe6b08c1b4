"""Imported buckets in the SDK, against a mocked server: request shapes, secret hygiene (no
credential in a repr, ``to_dict``, log or exception) and errors naming what failed."""

from __future__ import annotations

import json
import logging
import pickle
import traceback
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from bucketry import (
    BadRequestError,
    Bucket,
    Client,
    ContentEntry,
    NotFoundError,
    PermissionDeniedError,
    StatusReport,
)
from bucketry.errors import APIConnectionError
from bucketry_api.models import Bucket as BucketModel

API = "http://bucketry.test/api/v1"
SECRET = "wJalrXUtnFEMI/K7MDENG-very-secret"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SA_JSON = json.dumps({"type": "service_account", "private_key": "-----BEGIN KEY-----\nAbC123x\n"})


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BUCKETRY_URL", "BUCKETRY_TOKEN", "BUCKETRY_ORG", "BUCKETRY_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUCKETRY_CONFIG", str(tmp_path / "none.toml"))


@pytest.fixture
def client() -> Client:
    return Client(url="http://bucketry.test", token="t", max_retries=0, progress=False)


def _bucket(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "bkt_1",
        "name": "photos",
        "owner": "alice",
        "provider": "S3_COMPATIBLE",
        "imported": True,
        "public": False,
        "status": "AVAILABLE",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "provider_bucket": "raw-photos",
        "prefix": "2026/",
        "endpoint_url": "http://127.0.0.1:8333",
        "region": "us-east-1",
        "credentials_set": True,
        "actions": ["READ", "WRITE"],
        "last_checked_at": "2026-01-01T00:00:00Z",
    }
    body.update(over)
    return body


def _problem(status: int, code: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": "t", "status": status, "code": code, "detail": detail}


CREDS = {"access_key_id": KEY_ID, "secret_access_key": SECRET}


# -- import_external ------------------------------------------------------------------------
def test_import_sends_every_field_once_and_keeps_no_secret(
    client: Client, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{API}/buckets/import", status_code=201, json=_bucket()
    )
    with caplog.at_level(logging.DEBUG):
        bucket = client.buckets.import_external(
            provider="s3-compatible",
            provider_bucket_name="raw-photos",
            credentials=CREDS,
            name="photos",
            prefix="2026/",
            endpoint_url="http://127.0.0.1:8333",
            region="us-east-1",
            description="d",
            org="acme",
            manifests=["manifest.jsonl"],
        )
    body = json.loads(httpx_mock.get_request().content)
    assert body == {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": "raw-photos",
        "name": "photos",
        "prefix": "2026/",
        "endpoint_url": "http://127.0.0.1:8333",
        "region": "us-east-1",
        "credentials": CREDS,
        "description": "d",
        "org": "acme",
        "manifests": ["manifest.jsonl"],
    }
    assert bucket.id == "bkt_1" and bucket.imported and bucket.provider_bucket_name == "raw-photos"
    assert bucket.credentials_set
    seen = repr(bucket) + repr(bucket.to_dict()) + repr(vars(bucket)) + caplog.text
    assert SECRET not in seen and KEY_ID not in seen
    assert SECRET not in pickle.dumps(bucket.to_dict()).decode("latin-1")


def test_to_dict_drops_credentials_a_server_wrongly_echoed(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{API}/buckets/photos", json=_bucket(credentials=CREDS))
    data = client.buckets.get("photos").to_dict()
    assert "credentials" not in data and SECRET not in repr(data)


def test_import_omits_what_is_not_given(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{API}/buckets/import", status_code=201, json=_bucket()
    )
    client.buckets.import_external(provider="FILESYSTEM", provider_bucket_name="datasets/a")
    assert json.loads(httpx_mock.get_request().content) == {
        "provider": "FILESYSTEM",
        "provider_bucket": "datasets/a",
    }


def test_provider_bucket_is_a_deprecated_alias_of_provider_bucket_name(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{API}/buckets/import", status_code=201, json=_bucket()
    )
    with pytest.warns(DeprecationWarning, match="provider_bucket_name") as caught:
        bucket = client.buckets.import_external(provider="FILESYSTEM", provider_bucket="d/a")
    assert caught[0].filename == __file__  # the warning points at the caller
    assert json.loads(httpx_mock.get_request().content)["provider_bucket"] == "d/a"
    assert bucket.provider_bucket_name == bucket.provider_bucket == "raw-photos"


def test_provider_bucket_name_twice_or_missing_is_a_type_error(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(TypeError, match=r"both provider_bucket_name and .* provider_bucket"):
        client.buckets.import_external(
            provider="FILESYSTEM", provider_bucket_name="a", provider_bucket="a"
        )
    with pytest.raises(TypeError, match=r"missing .*'provider_bucket_name'"):
        client.buckets.import_external(provider="FILESYSTEM")
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    ("status", "cls", "code"),
    [
        (400, BadRequestError, "invalid_credentials"),
        (403, PermissionDeniedError, "forbidden"),
    ],
)
def test_import_error_never_contains_a_secret(
    client: Client, httpx_mock: HTTPXMock, status: int, cls: type[Exception], code: str
) -> None:
    """Even a server that echoes the credentials in its problem cannot leak them through the
    SDK's exception: message, problem, pickled form and traceback are scrubbed."""
    echoed = f"bad credentials {{'secret_access_key': '{SECRET}', 'key': '{KEY_ID}'}}"
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/buckets/import",
        status_code=status,
        headers={"x-request-id": "req_9"},
        json=_problem(status, code, echoed),
    )
    with pytest.raises(cls) as info:
        client.buckets.import_external(
            provider="AWS_S3", provider_bucket_name="b", credentials=CREDS, name="x"
        )
    err = info.value
    shown = (
        str(err)
        + repr(err.problem)  # type: ignore[attr-defined]
        + "".join(traceback.format_exception(err))
        + pickle.dumps(err).decode("latin-1")
    )
    assert SECRET not in shown and KEY_ID not in shown
    assert "<redacted>" in str(err)
    assert str(err).startswith("import of AWS_S3 bucket 'b' as 'x': ")
    assert err.request_id == "req_9" and err.code == code  # type: ignore[attr-defined]
    assert err.response is None  # type: ignore[attr-defined]  # its request holds the body


def test_import_error_scrubs_a_json_escaped_service_account(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/buckets/import",
        status_code=400,
        json=_problem(400, "invalid_credentials", f"cannot parse {json.dumps(SA_JSON)}"),
    )
    with pytest.raises(BadRequestError) as info:
        client.buckets.import_external(
            provider="GCS", provider_bucket_name="b", credentials={"service_account_json": SA_JSON}
        )
    assert "AbC123x" not in str(info.value) and "BEGIN KEY" not in str(info.value)


def test_import_connection_error_keeps_no_secret(client: Client, httpx_mock: HTTPXMock) -> None:
    import httpx

    httpx_mock.add_exception(httpx.ConnectError("refused"), url=f"{API}/buckets/import")
    with pytest.raises(APIConnectionError) as info:
        client.buckets.import_external(
            provider="AWS_S3", provider_bucket_name="b", credentials=CREDS
        )
    assert "buckets/import" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert SECRET not in "".join(traceback.format_exception(info.value))


def test_import_refuses_non_string_credentials_without_echoing(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(TypeError, match="'secret_access_key'") as info:
        client.buckets.import_external(
            provider="AWS_S3",
            provider_bucket_name="b",
            credentials={"secret_access_key": 12345678},  # type: ignore[dict-item]
        )
    assert "12345678" not in str(info.value)
    with pytest.raises(TypeError, match="manifests"):
        client.buckets.import_external(
            provider="AWS_S3",
            provider_bucket_name="b",
            manifests="m.jsonl",
        )
    assert httpx_mock.get_requests() == []


def test_update_credentials_patches_and_scrubs(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="PATCH", url=f"{API}/buckets/photos", json=_bucket())
    bucket = client.bucket("photos").update_credentials(CREDS, region="eu-west-1", if_match='"e"')
    request = httpx_mock.get_request()
    assert json.loads(request.content) == {"credentials": CREDS, "region": "eu-west-1"}
    assert request.headers["if-match"] == '"e"'
    assert bucket.ref == "bkt_1" and SECRET not in repr(bucket.to_dict())
    httpx_mock.add_response(
        method="PATCH",
        url=f"{API}/buckets/bkt_1",
        status_code=400,
        json=_problem(400, "invalid_credentials", f"rejected {SECRET}"),
    )
    with pytest.raises(BadRequestError) as info:
        bucket.update_credentials(CREDS)
    assert SECRET not in str(info.value) and "bucket 'bkt_1'" in str(info.value)


# -- status, actions, content, preview --------------------------------------------------------
def test_status_is_a_frozen_report(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/status",
        json={"status": "FORBIDDEN", "checked_at": "2026-01-02T03:04:05Z", "detail": "denied"},
    )
    report = client.bucket("photos").status()
    assert isinstance(report, StatusReport)
    assert (report.status, report.detail, report.available) == ("FORBIDDEN", "denied", False)
    assert report.checked_at.year == 2026
    with pytest.raises(AttributeError):
        report.status = "AVAILABLE"  # type: ignore[misc]
    assert len(httpx_mock.get_requests()) == 1


def test_status_refresh_rereads_the_bucket(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/status",
        json={"status": "AVAILABLE", "checked_at": "2026-01-02T03:04:05Z"},
    )
    httpx_mock.add_response(url=f"{API}/buckets/photos", json=_bucket(status="AVAILABLE"))
    bucket = client.bucket("photos")
    report = bucket.status(refresh=True)
    assert report.available and report.detail is None
    assert bucket.model.status == "AVAILABLE" and len(httpx_mock.get_requests()) == 2


def test_actions(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/buckets/photos/actions", json={"actions": ["READ"]})
    assert client.bucket("photos").actions() == ["READ"]


def test_content_pages_lazily_with_tokens(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/content?prefix=a%2F&page_size=2",
        json={
            "prefix": "a/",
            "content": [
                {"name": "b/", "type": "DIR"},
                {
                    "name": "c.jpg",
                    "type": "FILE",
                    "size": 3,
                    "modified_at": "2026-01-01T00:00:00Z",
                    "mime_type": "image/jpeg",
                },
            ],
            "next_token": "tok1",
        },
    )
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/content?prefix=a%2F&next_token=tok1&page_size=2",
        json={"prefix": "a/", "content": [{"name": "d.txt", "type": "FILE"}], "next_token": None},
    )
    pager = client.bucket("photos").content("a/", page_size=2)
    assert httpx_mock.get_requests() == []  # lazy
    entries = list(pager)
    assert [e.key for e in entries] == ["a/b/", "a/c.jpg", "a/d.txt"]
    assert entries[0] == ContentEntry(name="b/", key="a/b/", type="folder")
    assert entries[0].is_dir and not entries[1].is_dir
    assert entries[1].size == 3 and entries[1].modified_at is not None
    assert entries[1].mime_type == "image/jpeg" and entries[2].mime_type is None
    assert entries[2].size is None and entries[2].to_dict()["type"] == "file"
    assert len(httpx_mock.get_requests()) == 2


def test_content_first_stops_early_and_bad_prefix_names_it(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/content?prefix=&page_size=1",
        json={"prefix": "", "content": [{"name": "x", "type": "FILE"}], "next_token": "t"},
    )
    assert [e.name for e in client.bucket("photos").content(page_size=50, first=1)] == ["x"]
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/content?prefix=..%2F&page_size=100",
        status_code=400,
        json=_problem(400, "invalid_parameter", "prefix: '..' is not allowed"),
    )
    with pytest.raises(BadRequestError, match=r"bucket 'photos'.*prefix"):
        list(client.bucket("photos").content("../"))


def test_preview_bytes_and_no_preview_names_the_bucket(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg"
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/preview", content=jpeg, headers={"content-type": "image/jpeg"}
    )
    assert client.bucket("photos").preview() == jpeg
    httpx_mock.add_response(
        url=f"{API}/buckets/empty/preview",
        status_code=404,
        headers={"x-request-id": "req_p"},
        json=_problem(404, "no_preview", "no image found"),
    )
    with pytest.raises(NotFoundError, match="bucket 'empty' has no image to preview") as info:
        client.bucket("empty").preview()
    assert info.value.code == "no_preview" and info.value.request_id == "req_p"
    httpx_mock.add_response(
        url=f"{API}/buckets/bkt_1/preview",
        status_code=404,
        json=_problem(404, "no_preview", "no image found"),
    )
    by_id = Bucket(client, "bkt_1", BucketModel.from_dict(_bucket()))  # as import/list return
    with pytest.raises(NotFoundError, match="bucket 'photos' has no image to preview"):
        by_id.preview()
    httpx_mock.add_response(
        url=f"{API}/buckets/gone/preview",
        status_code=404,
        json=_problem(404, "not_found", "no such bucket"),
    )
    with pytest.raises(NotFoundError, match="bucket 'gone'") as missing:
        client.bucket("gone").preview()
    assert missing.value.code == "not_found"


# -- listing filters ----------------------------------------------------------------------------
def test_list_and_count_filters(client: Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{API}/buckets?provider=S3_COMPATIBLE&status=FORBIDDEN&imported=true&page_size=100",
        json={"results": [_bucket(status="FORBIDDEN")], "next_cursor": None},
    )
    httpx_mock.add_response(
        url=f"{API}/buckets/count?provider=S3_COMPATIBLE&status=FORBIDDEN&imported=true",
        json={"count": 1},
    )
    found = client.buckets.list(imported=True, provider="S3_COMPATIBLE", status="FORBIDDEN")
    assert [b.name for b in found] == ["photos"]
    assert client.buckets.count(imported=True, provider="S3_COMPATIBLE", status="FORBIDDEN") == 1
    with pytest.raises(TypeError):
        client.buckets.count(improted=True)  # type: ignore[call-arg]


def test_list_and_count_by_resource_and_credentials_type(
    client: Client, httpx_mock: HTTPXMock
) -> None:
    query = "resource=raw&credentials_type=SAS_TOKEN"
    httpx_mock.add_response(
        url=f"{API}/buckets?{query}&sort=-resource&page_size=100",
        json={"results": [_bucket()], "next_cursor": None},
    )
    httpx_mock.add_response(url=f"{API}/buckets/count?{query}", json={"count": 1})
    found = client.buckets.list(resource="raw", credentials_type="SAS_TOKEN", sort="-resource")
    assert [b.name for b in found] == ["photos"]
    assert client.buckets.count(resource="raw", credentials_type="SAS_TOKEN") == 1
