"""Addresses named inside credentials go through the SSRF guard: a GCS key's ``token_uri``
and an Azure connection string's endpoint, at import, at PATCH and when a client opens."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from bucketry_server.backends.remote import cache
from bucketry_server.backends.remote.addresses import check_addresses, credential_addresses
from bucketry_server.errors import Invalid
from tests.server.imported_helpers import auth, import_bucket
from tests.server.test_connect_guard import service_account_key
from tests.support.live_server import LiveServer

METADATA_TOKEN = "http://169.254.169.254/computeMetadata/v1/token"
PRIVATE_KEY_MARK = "-----BEGIN PRIVATE KEY-----\\nnot-a-real-key\\n-----END PRIVATE KEY-----\\n"


def _key_file(token_uri: str) -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "p",
            "private_key_id": "k1",
            "private_key": PRIVATE_KEY_MARK,
            "client_email": "t@p.iam.gserviceaccount.com",
            "token_uri": token_uri,
        }
    )


@pytest.fixture
def no_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any DNS lookup fails the test: well-known provider hosts need none."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"unexpected lookup of {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_gcs_token_uri_at_a_metadata_address_is_refused() -> None:
    creds = {"service_account_json": _key_file(METADATA_TOKEN)}
    with pytest.raises(Invalid) as info:
        check_addresses("GCS", creds, None, [])
    assert info.value.code == "invalid_endpoint"
    field = "credentials.service_account_json.token_uri"
    assert info.value.errors and info.value.errors[0]["loc"] == ["body", field]
    assert "metadata" in (info.value.detail or "") and "not-a-real-key" not in str(info.value)


def test_google_token_uri_and_azure_account_host_need_no_lookup(no_lookups: None) -> None:
    creds = {"service_account_json": _key_file("https://oauth2.googleapis.com/token")}
    check_addresses("GCS", creds, None, [])
    check_addresses("AZURE_BLOB", {"account_name": "acct", "account_key": "a2V5"}, None, [])


@pytest.mark.parametrize(
    "conn",
    [
        "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;"
        "BlobEndpoint=http://10.1.2.3:10000/a;",
        "UseDevelopmentStorage=true",
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;EndpointSuffix=localhost",
    ],
)
def test_azure_connection_string_endpoint_is_checked(conn: str) -> None:
    assert credential_addresses("AZURE_BLOB", {"connection_string": conn}, None)
    with pytest.raises(Invalid) as info:
        check_addresses("AZURE_BLOB", {"connection_string": conn}, None, [])
    assert info.value.errors and info.value.errors[0]["loc"] == [
        "body",
        "credentials.connection_string",
    ]
    assert "a2V5" not in str(info.value.detail)


def test_azure_account_name_making_another_host_is_checked() -> None:
    creds = {"account_name": "127.0.0.1:9/", "account_key": "a2V5"}
    with pytest.raises(Invalid, match=r"credentials\.account_name"):
        check_addresses("AZURE_BLOB", creds, None, [])


def test_import_and_patch_refuse_a_token_uri_at_a_private_address(
    server: LiveServer, users: dict[str, str], unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.settings, "allowed_networks", ["127.0.0.0/8"])
    token = users["alice"]
    body: dict[str, Any] = {
        "provider": "GCS",
        "provider_bucket": "b",
        "name": f"gcs-tok-{unique}",
        "endpoint_url": "http://127.0.0.1:9",  # allowed; nothing answers (UNREACHABLE)
        "credentials": {"service_account_json": _key_file(METADATA_TOKEN)},
    }
    r = import_bucket(server.api, token, body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_endpoint" and "token_uri" in r.json()["detail"]
    assert "not-a-real-key" not in r.text
    gone = httpx.get(f"{server.api}/buckets/gcs-tok-{unique}", headers=auth(token))
    assert gone.status_code == 404  # nothing stored
    body["credentials"] = {"anonymous": "true"}
    made = import_bucket(server.api, token, body)
    assert made.status_code == 201, made.text
    patched = httpx.patch(
        f"{server.api}/buckets/{made.json()['id']}",
        json={"credentials": {"service_account_json": _key_file("http://10.0.0.1/token")}},
        headers=auth(token),
    )
    assert patched.status_code == 400, patched.text
    assert patched.json()["code"] == "invalid_endpoint" and "token_uri" in patched.text


def test_client_open_checks_the_token_uri_again(
    server: LiveServer, users: dict[str, str], unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.settings, "allowed_networks", ["127.0.0.0/8"])
    token = users["alice"]
    body = {
        "provider": "GCS",
        "provider_bucket": "b",
        "name": f"gcs-open-{unique}",
        "endpoint_url": "http://127.0.0.1:9",
        "credentials": {"service_account_json": service_account_key("http://127.0.0.2:9/token")},
    }
    made = import_bucket(server.api, token, body)
    assert made.status_code == 201, made.text
    assert "token_uri" not in made.text  # allowed then: the refresh found nothing listening
    monkeypatch.setattr(server.settings, "allowed_networks", ["127.0.0.1/32"])  # narrowed
    cache.forget(server.state, made.json()["id"])  # as after a restart: the client reopens
    st = httpx.get(f"{server.api}/buckets/{made.json()['id']}/status", headers=auth(token))
    assert st.status_code == 200, st.text
    assert st.json()["status"] == "UNREACHABLE" and "token_uri" in st.text, st.text


def test_probe_says_why_the_client_refused_the_credentials(
    server: LiveServer, users: dict[str, str], unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.settings, "allowed_networks", ["127.0.0.0/8"])
    body = {
        "provider": "GCS",
        "provider_bucket": "b",
        "name": f"gcs-badkey-{unique}",
        "endpoint_url": "http://127.0.0.1:9",
        "credentials": {"service_account_json": _key_file("https://oauth2.googleapis.com/token")},
    }
    made = import_bucket(server.api, users["alice"], body)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "UNREACHABLE"
    st = httpx.get(f"{server.api}/buckets/{made.json()['id']}/status", headers=auth(users["alice"]))
    assert "service_account_json is not a valid key file" in st.json()["detail"], st.text
    assert "not-a-real-key" not in st.text
