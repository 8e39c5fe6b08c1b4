"""The ``import_url`` and ``export`` operation kinds, driven directly through a small in-test
:class:`OpContext` over the session server's real state (no engine needed).

import_url fetches from a local HTTP server on 127.0.0.1 (allowed by the test settings); its
SSRF cases patch the resolver or clear the allowed networks. export writes into an imported
SeaweedFS bucket.
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from bucketry_server.accounts.principals import resolve_principal
from bucketry_server.errors import GatewayTimeout
from bucketry_server.operations import export, url_import
from bucketry_server.operations.context import OperationCancelled
from bucketry_server.operations.export import run_export, validate_export
from bucketry_server.operations.url_import import run_import_url, validate_import_url
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, import_bucket, put
from tests.server.operation_helpers import (
    MIB,
    Ctx,
    Route,
    Source,
    failure,
    get_blob,
    make_bucket,
    prepare_import,
    run,
    s3_client,
    s3_head,
    seaweed_bucket,
    self_signed,
    serving,
    source_fixture,  # noqa: F401 - the fixture "source"
)
from tests.support.azurite import Azurite
from tests.support.fake_gcs import FakeGcs
from tests.support.live_server import LiveServer
from tests.support.seaweed import SeaweedS3


# --------------------------------------------------------------------------- import_url
def test_import_url_streams_into_a_blob_with_its_checksum(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    data = os.urandom(3 * MIB + 123)
    source.routes["/files/report.csv"] = Route(body=data, headers={"Content-Type": "text/csv"})
    source.routes["/hop"] = Route(302, headers={"Location": "/files/report.csv?sig=SECRET"})
    source.seen.clear()
    ctx = prepare_import(
        server, token, f"{source.url}/hop?token=abc", f"bkt://imp-{unique}/in/r.csv"
    )
    assert ctx.params["bucket_id"] == bucket and ctx.params["key"] == "in/r.csv"
    result = run(run_import_url, ctx)
    assert result == {
        "bucket": f"imp-{unique}",
        "key": "in/r.csv",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "text/csv",
        "url": f"{source.url}/files/report.csv",  # the final URL, its query dropped
    }
    assert ctx.bytes_done == len(data) and ctx.items == 1 and ctx.totals == [(1, len(data))]
    assert ctx.checks >= 3  # every hop, and at least once per MiB
    got = get_blob(server, token, bucket, "in/r.csv")
    assert got.status_code == 200 and got.content == data
    head = httpx.head(
        f"{server.api}/buckets/{bucket}/blob", params={"key": "in/r.csv"}, headers=auth(token)
    )
    assert head.headers["content-type"].startswith("text/csv")
    assert [p for p, _ in source.seen] == ["/hop?token=abc", "/files/report.csv?sig=SECRET"]
    for _, headers in source.seen:  # no credential of the server's or the caller's travels
        assert not {"authorization", "cookie"} & {h.lower() for h in headers}
        assert headers["Host"] == source.url.removeprefix("http://")


def test_import_url_guesses_the_type_and_follows_at_most_five_redirects(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    source.routes["/plain"] = Route(body=b'{"a": 1}')
    ctx = prepare_import(server, token, f"{source.url}/plain", f"bkt://{bucket}/x.json")
    assert run(run_import_url, ctx)["content_type"] == "application/json"
    source.routes["/loop"] = Route(301, headers={"Location": "/loop"})
    ctx = prepare_import(server, token, f"{source.url}/loop", f"bkt://{bucket}/loop.bin")
    err = failure(run_import_url, ctx)
    assert err.code == "too_many_redirects" and "url" in str(err.detail)
    assert get_blob(server, token, bucket, "loop.bin").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1/",
        "http://user:pw@127.0.0.1/x",
        "http:///no-host",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x",
        "http://[::1]/x",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://127.0.0.1/ x",
        "http://[::1/",
        "http://127.0.0.1:99999/",
        "http://127.0.0.1/" + "a" * 3000,
    ],
)
def test_import_url_refused_at_validation(
    server: LiveServer, users: dict[str, str], unique: str, url: str
) -> None:
    token = users["alice"]
    make_bucket(server, token, f"imp-{unique}")
    with server.state.db.session() as s:
        principal = resolve_principal(s, token)
    params = {"url": url, "destination": f"bkt://imp-{unique}/k"}
    err = failure(validate_import_url, server.state, principal, params)
    assert err.code in ("invalid_url", "invalid_endpoint", "invalid_parameter"), err.code
    assert (
        str(err.detail).startswith("url: ")
        and err.errors
        and err.errors[0]["loc"]
        == [
            "body",
            "url",
        ]
    )


def test_import_url_refuses_loopback_unless_allowed_and_bad_destinations(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = users["alice"]
    make_bucket(server, token, f"imp-{unique}")
    with server.state.db.session() as s:
        alice = resolve_principal(s, token)
        bob = resolve_principal(s, users["bob"])
    good = {"url": f"{source.url}/plain", "destination": f"bkt://imp-{unique}/k"}
    monkeypatch.setattr(server.state.settings, "allowed_networks", [])
    err = failure(validate_import_url, server.state, alice, good)
    assert err.code == "invalid_endpoint" and "loopback" in str(err.detail)
    monkeypatch.undo()
    for params, code in [
        ({**good, "destination": f"bkt://imp-{unique}/"}, "invalid_parameter"),
        ({**good, "destination": f"s3://imp-{unique}/k"}, "invalid_parameter"),
        ({**good, "destination": f"bkt://imp-{unique}/a/../b"}, "invalid_key"),
        ({**good, "content_type": "not a type"}, "invalid_content_type"),
        ({**good, "urll": "x"}, "invalid_parameter"),
    ]:
        assert failure(validate_import_url, server.state, alice, params).code == code
    assert failure(validate_import_url, server.state, bob, good).code == "not_found"


def _resolver(
    monkeypatch: pytest.MonkeyPatch, name: str, answers: list[str], then: str
) -> list[str]:
    """Make ``name`` resolve to ``answers`` one lookup after the other, then always ``then``;
    returns the list of answers given (one per lookup)."""
    real = socket.getaddrinfo
    given: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        addr = answers[len(given)] if len(given) < len(answers) else then
        given.append(addr)
        return real(addr, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return given


def test_import_url_dns_rebinding_refused(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    port = source.url.rsplit(":", 1)[1]
    # Public while the request is checked, a private address when the fetch starts.
    given = _resolver(monkeypatch, "rebind.bucketry.test", ["93.184.216.34"], "10.0.0.1")
    ctx = prepare_import(
        server, token, f"http://rebind.bucketry.test:{port}/plain", f"bkt://{bucket}/r"
    )
    err = failure(run_import_url, ctx)
    assert err.code == "invalid_endpoint" and "10.0.0.1" in str(err.detail)
    assert given == ["93.184.216.34", "10.0.0.1"]
    assert get_blob(server, token, bucket, "r").status_code == 404


def test_import_url_connects_to_the_checked_address(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name is resolved once per hop and the connection pinned to that address: a later
    lookup (answering where nothing listens) is never made."""
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    port = source.url.rsplit(":", 1)[1]
    source.routes["/pinned"] = Route(body=b"pinned body")
    source.seen.clear()
    given = _resolver(monkeypatch, "pin.bucketry.test", ["127.0.0.1", "127.0.0.1"], "127.0.0.2")
    ctx = prepare_import(
        server, token, f"http://pin.bucketry.test:{port}/pinned", f"bkt://{bucket}/p"
    )
    assert run(run_import_url, ctx)["size"] == len(b"pinned body")
    assert given == ["127.0.0.1", "127.0.0.1"]  # validation, then the one hop
    assert source.seen[-1][1]["Host"] == f"pin.bucketry.test:{port}"


def test_import_url_redirect_to_a_refused_address(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    for path, target in [
        ("/to-metadata", "http://169.254.169.254/latest/meta-data/iam/"),
        ("/to-private", "http://10.1.2.3:8080/admin"),
        ("/to-file", "file:///etc/passwd"),
    ]:
        source.routes[path] = Route(302, headers={"Location": target})
        ctx = prepare_import(server, token, source.url + path, f"bkt://{bucket}/x")
        err = failure(run_import_url, ctx)
        assert err.code in ("invalid_endpoint", "invalid_url"), err.code
        assert "redirect to" in str(err.detail) and "refused" in str(err.detail)
        assert get_blob(server, token, bucket, "x").status_code == 404


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "streamed"])
def test_import_url_size_limit(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
    length: bool,
) -> None:
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    monkeypatch.setattr(server.state.settings, "import_url_max_bytes", 2 * MIB)
    source.routes["/big"] = Route(body=os.urandom(3 * MIB), length=length)
    ctx = prepare_import(server, token, f"{source.url}/big", f"bkt://{bucket}/big")
    err = failure(run_import_url, ctx)
    assert err.code == "payload_too_large" and "IMPORT_URL_MAX_BYTES" in str(err.detail)
    if length:
        assert ctx.bytes_done == 0  # refused on the header, before a byte
    else:
        assert 0 < ctx.bytes_done <= 2 * MIB  # refused at the limit
    assert get_blob(server, token, bucket, "big").status_code == 404
    exact = Route(body=os.urandom(2 * MIB), length=length)
    source.routes["/exact"] = exact
    ctx = prepare_import(server, token, f"{source.url}/exact", f"bkt://{bucket}/exact")
    assert run(run_import_url, ctx)["size"] == 2 * MIB


def test_import_url_cancel_mid_stream_leaves_no_blob(
    server: LiveServer, users: dict[str, str], source: Source, unique: str
) -> None:
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    source.routes["/long"] = Route(body=os.urandom(8 * MIB))
    ctx = prepare_import(server, token, f"{source.url}/long", f"bkt://{bucket}/long", cancel_at=3)
    with pytest.raises(OperationCancelled):
        run(run_import_url, ctx)
    assert 0 < ctx.bytes_done < 8 * MIB
    assert get_blob(server, token, bucket, "long").status_code == 404


def test_import_url_total_time_limit(
    server: LiveServer,
    users: dict[str, str],
    source: Source,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A source that keeps sending, but slowly (never hitting the read timeout), is stopped
    at ``import_url_max_seconds``: 504 ``source_too_slow``, no blob."""
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    monkeypatch.setattr(server.state.settings, "import_url_max_seconds", 1.0)
    source.routes["/slow"] = Route(body=os.urandom(2 * MIB), pause=0.2)  # ~6.4 s in all
    ctx = prepare_import(server, token, f"{source.url}/slow", f"bkt://{bucket}/slow")
    started = time.monotonic()
    err = failure(run_import_url, ctx)
    assert time.monotonic() - started < 3
    assert isinstance(err, GatewayTimeout) and err.code == "source_too_slow", err
    assert "IMPORT_URL_MAX_SECONDS" in str(err.detail)
    assert get_blob(server, token, bucket, "slow").status_code == 404


# --------------------------------------------------------------------------- export
def test_export_prefix_to_seaweedfs_multipart(
    server: LiveServer,
    users: dict[str, str],
    seaweed: SeaweedS3,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = users["alice"]
    monkeypatch.setattr(export, "LIST_PAGE", 1)  # the prefix is listed over several pages
    managed = make_bucket(server, token, f"exsrc-{unique}")
    dest_name = f"exdst-{unique}"
    dest = seaweed_bucket(server, token, seaweed, dest_name)
    big = os.urandom(12 * MIB)
    for key, data in [("data/big.bin", big), ("data/sub/a.txt", b"small"), ("other.txt", b"x")]:
        assert put(server.api, token, managed, key, data).status_code == 201
    with server.state.db.session() as s:
        alice = resolve_principal(s, token)
    params = run(
        validate_export,
        server.state,
        alice,
        {
            "source": f"bkt://exsrc-{unique}/data/",
            "destination": f"bkt://{dest_name}/out/",
            "part_size_mb": 5,
        },
    )
    ctx = Ctx(server.state, token, params)
    result = run(run_export, ctx)
    assert result == {"exported": 2, "bytes": len(big) + 5, "skipped": 0}
    assert ctx.totals == [(2, len(big) + 5)] and ctx.items == 2
    assert ctx.bytes_done == len(big) + 5 and ctx.checks >= 12
    got = get_blob(server, token, dest, "out/big.bin")
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(big).hexdigest()
    assert get_blob(server, token, dest, "out/sub/a.txt").content == b"small"
    assert get_blob(server, token, dest, "out/other.txt").status_code == 404
    head = s3_head(seaweed, f"{dest_name}/out/big.bin")
    assert head is not None and head["ETag"].strip('"').endswith("-3"), head  # 5 + 5 + 2 MiB

    # One chunk of the engine: just the keys given.
    ctx = Ctx(server.state, token, params)
    assert run(run_export, ctx, ["data/sub/a.txt"]) == {"exported": 1, "bytes": 5, "skipped": 0}
    assert failure(run_export, ctx, ["other.txt"]).code == "invalid_parameter"

    # A cancel mid-blob leaves no object (the multipart upload is aborted).
    single = dict(params, source_path="data/big.bin", destination_prefix="again/")
    ctx = Ctx(server.state, token, single, cancel_at=4)
    with pytest.raises(OperationCancelled):
        run(run_export, ctx)
    assert 0 < ctx.bytes_done < len(big)
    assert s3_head(seaweed, f"{dest_name}/again/big.bin") is None


def test_export_validation(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> None:
    token = users["alice"]
    make_bucket(server, token, f"exsrc-{unique}")
    make_bucket(server, token, f"exman-{unique}")
    dest_name = f"exdst-{unique}"
    seaweed_bucket(server, token, seaweed, dest_name)
    assert put(server.api, token, f"exsrc-{unique}", "k.bin", b"k").status_code == 201
    with server.state.db.session() as s:
        alice = resolve_principal(s, token)
        bob = resolve_principal(s, users["bob"])
    good = {"source": f"bkt://exsrc-{unique}/k.bin", "destination": f"bkt://{dest_name}/o/"}
    params = run(validate_export, server.state, alice, good)
    assert params["part_size_mb"] == 8 and params["source_path"] == "k.bin"
    for over, code, name in [
        ({"destination": f"bkt://exman-{unique}/o/"}, "invalid_destination", "destination"),
        ({"destination": f"bkt://{dest_name}/o"}, "invalid_parameter", "destination"),
        ({"part_size_mb": 4}, "invalid_parameter", "part_size_mb"),
        ({"part_size_mb": 5121}, "invalid_parameter", "part_size_mb"),
        ({"part_size_mb": "8"}, "invalid_parameter", "part_size_mb"),
        ({"source": "bkt:///k.bin"}, "invalid_parameter", "source"),
        ({"source": f"bkt://exsrc-{unique}/missing"}, "not_found", "source"),
        ({"extra": 1}, "invalid_parameter", "extra"),
    ]:
        err = failure(validate_export, server.state, alice, {**good, **over})
        assert err.code == code and str(err.detail).startswith(f"{name}: "), (over, err.detail)
    assert failure(validate_export, server.state, bob, good).code == "not_found"
    # A key that the destination prefix makes too long is refused before anything is sent.
    long_key = "long/" + "x" * 1000
    assert put(server.api, token, f"exsrc-{unique}", long_key, b"l").status_code == 201
    deep = {
        "source": f"bkt://exsrc-{unique}/long/",
        "destination": f"bkt://{dest_name}/{'p' * 60}/",
    }
    ctx = Ctx(server.state, token, run(validate_export, server.state, alice, deep))
    err = failure(run_export, ctx)
    assert err.code == "invalid_key" and str(err.detail).startswith("destination: ")


# --------------------------------------------------------------------------- imported buckets
@pytest.mark.emulator
def test_import_url_into_an_imported_bucket_and_cancel(
    server: LiveServer, users: dict[str, str], source: Source, seaweed: SeaweedS3, unique: str
) -> None:
    token, name = users["alice"], f"impsw-{unique}"
    dest = seaweed_bucket(server, token, seaweed, name)
    data = os.urandom(12 * MIB)
    source.routes["/twelve"] = Route(body=data)
    ctx = prepare_import(server, token, f"{source.url}/twelve", f"bkt://{name}/in/t.bin")
    assert run(run_import_url, ctx)["sha256"] == hashlib.sha256(data).hexdigest()
    assert get_blob(server, token, dest, "in/t.bin").content == data
    # Cancelled at 10 MiB, after the first 8 MiB part went up: the upload is aborted.
    ctx = prepare_import(
        server, token, f"{source.url}/twelve", f"bkt://{name}/in/c.bin", cancel_at=11
    )
    with pytest.raises(OperationCancelled):
        run(run_import_url, ctx)
    assert s3_head(seaweed, f"{name}/in/c.bin") is None
    pending = s3_client(seaweed).list_multipart_uploads(Bucket=SEAWEED_BUCKET, Prefix=f"{name}/")
    assert not pending.get("Uploads"), pending


def _export_params(server: LiveServer, token: str, source: str, dest: str) -> dict[str, object]:
    with server.state.db.session() as s:
        principal = resolve_principal(s, token)
    body = {"source": source, "destination": dest, "part_size_mb": 5}
    return run(validate_export, server.state, principal, body)


@pytest.mark.emulator
def test_export_into_azure_and_gcs_with_part_size(
    server: LiveServer, users: dict[str, str], azurite: Azurite, fake_gcs: FakeGcs, unique: str
) -> None:
    token = users["alice"]
    managed = make_bucket(server, token, f"exsrc-{unique}")
    big = os.urandom(12 * MIB)
    assert put(server.api, token, managed, "big.bin", big).status_code == 201
    digest = hashlib.sha256(big).hexdigest()

    container = f"ex-{uuid.uuid4().hex[:10]}"
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    service.create_container(container)
    body: dict[str, object] = {
        "provider": "AZURE_BLOB",
        "provider_bucket": container,
        "name": f"exaz-{unique}",
        "endpoint_url": azurite.endpoint_url,
        "credentials": {"account_name": azurite.account_name, "account_key": azurite.account_key},
    }
    az = import_bucket(server.api, token, body)
    assert az.status_code == 201, az.text
    params = _export_params(server, token, f"bkt://{managed}/big.bin", f"bkt://exaz-{unique}/o/")
    assert run(run_export, Ctx(server.state, token, params))["bytes"] == len(big)
    blocks, _ = service.get_blob_client(container, "o/big.bin").get_block_list("committed")
    assert [b.size for b in blocks] == [5 * MIB, 5 * MIB, 2 * MIB]
    got = get_blob(server, token, f"exaz-{unique}", "o/big.bin").content
    assert hashlib.sha256(got).hexdigest() == digest

    bucket = f"ex-{uuid.uuid4().hex[:10]}"
    gcs = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": fake_gcs.endpoint_url},
    )
    gcs.create_bucket(bucket)
    body = {
        "provider": "GCS",
        "provider_bucket": bucket,
        "name": f"exgcs-{unique}",
        "endpoint_url": fake_gcs.endpoint_url,
        "credentials": {"anonymous": "true"},
    }
    assert import_bucket(server.api, token, body).status_code == 201
    params = _export_params(server, token, f"bkt://{managed}/", f"bkt://exgcs-{unique}/o/")
    # Cancelled at 7 MiB, inside the resumable upload: the cancel surfaces as such (the GCS
    # library does not turn it into a provider error) and no object appears.
    ctx = Ctx(server.state, token, params, cancel_at=8)
    with pytest.raises(OperationCancelled):
        run(run_export, ctx)
    assert list(gcs.list_blobs(bucket)) == []
    assert run(run_export, Ctx(server.state, token, params))["exported"] == 1
    got = get_blob(server, token, f"exgcs-{unique}", "o/big.bin").content
    assert hashlib.sha256(got).hexdigest() == digest


def test_import_url_over_tls_checks_the_name_on_the_pinned_address(
    server: LiveServer,
    users: dict[str, str],
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The connection goes to the checked IP, but TLS sends the URL's name (SNI) and the
    certificate must be valid for that name: another name on the same address fails."""
    token = users["alice"]
    bucket = make_bucket(server, token, f"imp-{unique}")
    pem = self_signed("tls.bucketry.test", tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(pem)
    monkeypatch.setattr(url_import, "tls_context", lambda: ssl.create_default_context(cafile=pem))
    for name in ("tls.bucketry.test", "other.bucketry.test"):
        _resolver(monkeypatch, name, [], "127.0.0.1")
    with serving(served) as tls:
        tls.routes["/t"] = Route(body=b"over tls")
        port = tls.url.rsplit(":", 1)[1]
        ctx = prepare_import(
            server, token, f"https://tls.bucketry.test:{port}/t", f"bkt://{bucket}/t"
        )
        assert run(run_import_url, ctx)["size"] == len(b"over tls")
        assert tls.seen[-1][1]["Host"] == f"tls.bucketry.test:{port}"
        for url in (f"https://other.bucketry.test:{port}/t", f"{tls.url}/t"):
            ctx = prepare_import(server, token, url, f"bkt://{bucket}/bad")
            err = failure(run_import_url, ctx)
            assert err.code == "source_unreachable", err
        assert len(tls.seen) == 1  # the mismatching handshakes sent no request
    assert get_blob(server, token, bucket, "t").content == b"over tls"
    assert get_blob(server, token, bucket, "bad").status_code == 404
