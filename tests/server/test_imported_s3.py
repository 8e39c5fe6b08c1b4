"""S3_COMPATIBLE buckets end to end through the HTTP API on SeaweedFS: register, status for
good / wrong secret / missing bucket / dead endpoint, the data plane, credential replacement,
and no secret in any response or in the server's log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import httpx
import pytest

from bucketry_server.crc32c import crc32c, to_wire
from tests.conftest import SEAWEED_BUCKET
from tests.server.imported_helpers import auth, exercise_data_plane, import_bucket, put
from tests.support.live_server import LiveServer, free_port
from tests.support.seaweed import SeaweedS3


def _body(s3: SeaweedS3, name: str, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": SEAWEED_BUCKET,
        "endpoint_url": s3.endpoint_url,
        "region": "us-east-1",
        "name": name,
        "prefix": f"{name}/",
        "credentials": {"access_key_id": s3.access_key, "secret_access_key": s3.secret_key},
    }
    body.update(over)
    return body


def test_s3_compatible_end_to_end(
    server: LiveServer,
    users: dict[str, str],
    seaweed: SeaweedS3,
    unique: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    api, token = server.api, users["alice"]
    seen: list[str] = []

    def imported(name: str, **over: object) -> dict[str, object]:
        r = import_bucket(api, token, _body(seaweed, name, **over))
        seen.append(r.text)
        assert r.status_code == 201, r.text
        return r.json()

    good = imported(f"sw-{unique}")
    assert good["status"] == "AVAILABLE" and sorted(good["actions"]) == ["READ", "WRITE"]
    assert good["credentials_set"] is True and "credentials" not in good
    wrong = imported(
        f"sw-wrong-{unique}",
        credentials={"access_key_id": seaweed.access_key, "secret_access_key": "not-the-secret"},
    )
    assert wrong["status"] == "FORBIDDEN" and wrong["actions"] == []
    missing = imported(f"sw-missing-{unique}", provider_bucket="no-such-bucket-anywhere")
    assert missing["status"] == "NOT_FOUND"
    t0 = time.monotonic()
    dead = imported(f"sw-dead-{unique}", endpoint_url=f"http://127.0.0.1:{free_port()}")
    assert dead["status"] == "UNREACHABLE" and time.monotonic() - t0 < 20
    for b, expected in ((good, "AVAILABLE"), (wrong, "FORBIDDEN"), (missing, "NOT_FOUND")):
        st = httpx.get(f"{api}/buckets/{b['id']}/status", headers=auth(token), timeout=30)
        seen.append(st.text)
        assert st.json()["status"] == expected and st.json()["checked_at"]
    acts = httpx.get(f"{api}/buckets/{wrong['id']}/actions", headers=auth(token)).json()
    assert acts["actions"] == []
    w = httpx.put(
        f"{api}/buckets/{wrong['id']}/blob", params={"key": "k"}, content=b"x", headers=auth(token)
    )
    assert w.status_code == 403 and "WRITE" in w.json()["detail"]

    exercise_data_plane(api, token, good["id"], store=server.state)

    # Replacing the credentials keeps the bucket (same id) and the next probe sees them.
    fixed = httpx.patch(
        f"{api}/buckets/{wrong['id']}",
        json={
            "credentials": {
                "access_key_id": seaweed.access_key,
                "secret_access_key": seaweed.secret_key,
            }
        },
        headers=auth(token),
    )
    seen.append(fixed.text)
    assert fixed.status_code == 200 and fixed.json()["id"] == wrong["id"]
    st = httpx.get(f"{api}/buckets/{wrong['id']}/status", headers=auth(token)).json()
    assert st["status"] == "AVAILABLE"
    bad_patch = httpx.patch(
        f"{api}/buckets/{wrong['id']}",
        json={"credentials": {"access_key_id": "only-the-id"}},
        headers=auth(token),
    )
    assert bad_patch.status_code == 400 and "secret_access_key" in bad_patch.json()["detail"]
    listed = httpx.get(f"{api}/buckets", params={"page_size": 1000}, headers=auth(token))
    seen.append(listed.text)
    for text in [*seen, caplog.text]:
        assert seaweed.secret_key not in text


def test_private_endpoint_refused_without_the_setting(
    server: LiveServer,
    users: dict[str, str],
    seaweed: SeaweedS3,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server.settings, "allowed_networks", [])
    r = import_bucket(server.api, users["alice"], _body(seaweed, f"sw-priv-{unique}"))
    assert r.status_code == 400 and r.json()["code"] == "invalid_endpoint"
    assert "endpoint_url" in r.json()["detail"] and seaweed.secret_key not in r.text
    assert (
        httpx.get(
            f"{server.api}/buckets/sw-priv-{unique}", headers=auth(users["alice"])
        ).status_code
        == 404
    )


def test_s3_parts_below_the_provider_minimum_are_refused_by_the_server(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> None:
    """S3 multipart refuses parts (but the last) under 5 MiB: an upload on it says so in
    ``min_part_size`` and its completion answers 400 ``part_too_small``, not a provider
    error; the upload stays usable."""
    api, token = server.api, users["alice"]
    r = import_bucket(api, token, _body(seaweed, f"sw-min-{unique}"))
    assert r.status_code == 201, r.text
    bucket = r.json()["id"]
    created = httpx.post(
        f"{api}/buckets/{bucket}/uploads", json={"key": "small-parts.bin"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    assert created.json()["min_part_size"] == 5 * 1024 * 1024
    upload = created.json()["id"]
    etags = []
    for n in (1, 2):
        part = httpx.put(
            f"{api}/buckets/{bucket}/uploads/{upload}/parts/{n}",
            content=b"small part",
            headers=auth(token),
        )
        assert part.status_code == 200, part.text
        etags.append({"part_number": n, "etag": part.headers["ETag"]})
    listed = httpx.get(f"{api}/buckets/{bucket}/uploads", headers=auth(token)).json()
    assert [u["min_part_size"] for u in listed["results"]] == [5 * 1024 * 1024]
    done = httpx.post(
        f"{api}/buckets/{bucket}/uploads/{upload}/complete",
        json={"parts": etags},
        headers=auth(token),
    )
    assert done.status_code == 400 and done.json()["code"] == "part_too_small", done.text
    last_only = httpx.post(
        f"{api}/buckets/{bucket}/uploads/{upload}/complete",
        json={"parts": etags[1:]},
        headers=auth(token),
    )
    assert last_only.status_code == 201, last_only.text
    got = httpx.get(
        f"{api}/buckets/{bucket}/blob", params={"key": "small-parts.bin"}, headers=auth(token)
    )
    assert got.content == b"small part"


def test_imported_s3_blobs_carry_the_crc32c_at_the_provider(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> None:
    """A PUT through an imported SeaweedFS bucket leaves S3 holding the body's CRC32C
    (boto3 ``head_object(ChecksumMode="ENABLED")``), and a HEAD through the server shows the
    provider's value; a wrong declared CRC32C is refused and leaves nothing."""
    api, token = server.api, users["alice"]
    r = import_bucket(api, token, _body(seaweed, f"sw-crc-{unique}"))
    assert r.status_code == 201, r.text
    bucket = r.json()["id"]
    data = b"carried end to end " * 1000
    assert put(api, token, bucket, "c.bin", data).status_code in (200, 201)
    s3 = boto3.client(
        "s3",
        endpoint_url=seaweed.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=seaweed.access_key,
        aws_secret_access_key=seaweed.secret_key,
    )
    key = f"sw-crc-{unique}/c.bin"
    head = s3.head_object(Bucket=SEAWEED_BUCKET, Key=key, ChecksumMode="ENABLED")
    assert head["ChecksumCRC32C"] == to_wire(crc32c(data))
    h = httpx.head(f"{api}/buckets/{bucket}/blob", params={"key": "c.bin"}, headers=auth(token))
    assert h.status_code == 200 and h.headers["X-Checksum-CRC32C"] == to_wire(crc32c(data))
    bad = httpx.put(
        f"{api}/buckets/{bucket}/blob",
        params={"key": "bad.bin"},
        content=data,
        headers={**auth(token), "X-Checksum-CRC32C": to_wire(crc32c(data) ^ 1)},
        timeout=60,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "checksum_mismatch"
    gone = httpx.head(
        f"{api}/buckets/{bucket}/blob", params={"key": "bad.bin"}, headers=auth(token)
    )
    assert gone.status_code == 404


def test_racing_create_only_puts_through_the_api_one_wins(
    server: LiveServer, users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> None:
    """Two PUTs with ``If-None-Match: *`` whose bodies are held until both requests are in
    (both passed the server's HEAD pre-check): S3's own condition lets one through (2xx), the
    other is 412, and the object holds the winner's bytes."""
    api, token = server.api, users["alice"]
    r = import_bucket(api, token, _body(seaweed, f"sw-race-{unique}"))
    assert r.status_code == 201, r.text
    bucket = r.json()["id"]
    barrier = threading.Barrier(2, timeout=30)

    def body(tag: bytes) -> Iterator[bytes]:
        yield tag * 4096
        barrier.wait()
        time.sleep(0.5)  # both servers' pre-checks are long done
        yield tag * 4096

    def send(tag: bytes) -> httpx.Response:
        return httpx.put(
            f"{api}/buckets/{bucket}/blob",
            params={"key": "race.bin"},
            content=body(tag),
            headers={**auth(token), "If-None-Match": "*"},
            timeout=60,
        )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, [b"a", b"b"]))
    codes = sorted(a.status_code for a in answers)
    assert codes[0] in (200, 201) and codes[1] == 412, [a.text for a in answers]
    winner = b"ab"[[a.status_code for a in answers].index(codes[0])]
    got = httpx.get(f"{api}/buckets/{bucket}/blob", params={"key": "race.bin"}, headers=auth(token))
    assert got.content == bytes([winner]) * 8192
