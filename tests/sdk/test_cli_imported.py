"""``bucketry buckets import|status|content`` against a mocked server: what is sent, what is
printed, and that no credential value is ever printed (output, usage errors, API errors)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from bucketry.cli import main

API = "http://bucketry.test/api/v1"
SECRET = "s3cr3t-Value-1234567890"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BUCKETRY_ORG", "BUCKETRY_PROFILE", "BUCKETRY_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUCKETRY_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("BUCKETRY_URL", "http://bucketry.test")
    monkeypatch.setenv("BUCKETRY_TOKEN", "t")
    monkeypatch.setenv("BUCKETRY_NO_PROGRESS", "1")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and SECRET not in out + err
    return code, out, err


def _bucket(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "bkt_7",
        "name": "photos",
        "owner": "alice",
        "provider": "S3_COMPATIBLE",
        "imported": True,
        "public": False,
        "status": "AVAILABLE",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "provider_bucket": "raw",
        "credentials_set": True,
    }
    body.update(over)
    return body


def test_import_reads_a_credentials_file_and_flags(
    capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"access_key_id": "AK", "secret_access_key": "old"}))
    httpx_mock.add_response(
        method="POST", url=f"{API}/buckets/import", status_code=201, json=_bucket()
    )
    code, out, _ = run(
        capsys,
        "buckets",
        "import",
        "s3_compatible",
        "raw",
        "--name",
        "photos",
        "--prefix",
        "2026/",
        "--endpoint-url",
        "http://127.0.0.1:8333",
        "--region",
        "us-east-1",
        "--credentials-file",
        str(creds),
        "--credential",
        f"secret_access_key={SECRET}",  # a flag overrides the file's field
    )
    assert code == 0 and out.strip() == "imported bucket photos (bkt_7) from S3_COMPATIBLE:raw"
    assert json.loads(httpx_mock.get_request().content) == {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": "raw",
        "name": "photos",
        "prefix": "2026/",
        "endpoint_url": "http://127.0.0.1:8333",
        "region": "us-east-1",
        "credentials": {"access_key_id": "AK", "secret_access_key": SECRET},
    }


def test_import_credentials_from_stdin_and_json_output(
    capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"account_key": SECRET})))
    httpx_mock.add_response(
        method="POST", url=f"{API}/buckets/import", status_code=201, json=_bucket()
    )
    code, out, _ = run(
        capsys, "buckets", "import", "AZURE_BLOB", "c", "--credentials-file", "-", "--json"
    )
    assert code == 0 and json.loads(out)["id"] == "bkt_7"
    sent = json.loads(httpx_mock.get_request().content)
    assert sent["credentials"] == {"account_key": SECRET}


@pytest.mark.parametrize(
    ("content", "flags", "message"),
    [
        ("not json " + SECRET, [], "is not valid JSON"),
        (json.dumps([SECRET]), [], "must hold a JSON object"),
        (json.dumps({"k": 123456789}), [], "'k' must be a string"),
        (None, ["--credential", SECRET], "--credential expects KEY=VALUE"),
        (None, ["--credentials-file", "/nonexistent/creds.json"], "cannot read"),
    ],
)
def test_bad_credentials_input_is_a_usage_error_without_the_secret(
    capsys: pytest.CaptureFixture[str],
    httpx_mock: HTTPXMock,
    tmp_path: Path,
    content: str | None,
    flags: list[str],
    message: str,
) -> None:
    if content is not None:
        (tmp_path / "c.json").write_text(content)
        flags = ["--credentials-file", str(tmp_path / "c.json")]
    code, _, err = run(capsys, "buckets", "import", "AWS_S3", "b", *flags)
    assert code == 2 and message in err and "123456789" not in err
    assert httpx_mock.get_requests() == []


def test_import_api_error_never_prints_the_secret(
    capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/buckets/import",
        status_code=400,
        json={"status": 400, "code": "invalid_credentials", "detail": f"rejected {SECRET}"},
    )
    code, _, err = run(
        capsys, "buckets", "import", "AWS_S3", "b", "--credential", f"secret_access_key={SECRET}"
    )
    assert code == 1 and "<redacted>" in err


def test_help_prefers_the_credentials_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["buckets", "import", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "prefer --credentials-file" in text and "process list" in text


def test_status_and_content(capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/status",
        json={"status": "FORBIDDEN", "checked_at": "2026-01-02T03:04:05Z", "detail": "denied"},
        is_reusable=True,
    )
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/actions", json={"actions": []}, is_reusable=True
    )
    code, out, _ = run(capsys, "buckets", "status", "bkt://photos")
    assert code == 0
    assert out.splitlines() == ["FORBIDDEN  (checked 2026-01-02 03:04:05)  denied", "actions: none"]
    code, out, _ = run(capsys, "buckets", "status", "photos", "--json")
    assert json.loads(out) == {
        "status": "FORBIDDEN",
        "checked_at": "2026-01-02T03:04:05+00:00",
        "detail": "denied",
        "actions": [],
    }
    httpx_mock.add_response(
        url=f"{API}/buckets/photos/content?prefix=a%2F&page_size=100",
        json={
            "prefix": "a/",
            "content": [
                {"name": "b/", "type": "DIR"},
                {"name": "c", "type": "FILE", "size": 2048, "modified_at": "2026-01-01T00:00:00Z"},
            ],
            "next_token": None,
        },
        is_reusable=True,
    )
    code, out, _ = run(capsys, "buckets", "content", "photos", "a/")
    assert code == 0
    assert out.splitlines() == [
        f"{'DIR':>10}  {'':19}  a/b/",
        f"{'2.0K':>10}  2026-01-01 00:00:00  a/c",
    ]
    code, out, _ = run(capsys, "buckets", "content", "photos", "a/", "--json")
    assert [e["type"] for e in json.loads(out)] == ["folder", "file"]


def test_list_filters_and_missing_action(
    capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{API}/buckets?provider=FILESYSTEM&imported=true&page_size=100",
        json={"results": [_bucket(provider="FILESYSTEM")], "next_cursor": None},
    )
    code, out, _ = run(capsys, "buckets", "list", "--imported", "--provider", "FILESYSTEM")
    assert code == 0 and out.split()[-1] == "photos"
    code, _, err = run(capsys, "buckets")
    assert code == 2 and "choose an action" in err
