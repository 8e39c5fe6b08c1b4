"""AWS_S3 / S3_COMPATIBLE: the boto3 client passes the ObjectClient contract on SeaweedFS
(real S3 signatures: a wrong secret is FORBIDDEN)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import dateutil.parser
import pytest

from bucketry_server.backends.aws_s3 import S3Client, fast_timestamp, open_client
from bucketry_server.backends.remote.client import (
    ObjectClient,
    ProviderBadChecksum,
    ProviderConfig,
)
from bucketry_server.crc32c import crc32c, to_wire
from bucketry_server.errors import Invalid
from tests.conftest import SEAWEED_BUCKET
from tests.server.providers.contract import ClientFactory, ObjectClientContract
from tests.support.live_server import free_port
from tests.support.seaweed import SeaweedS3


class SeaweedFactory:
    def __init__(self, s3: SeaweedS3) -> None:
        self.s3 = s3

    def _client(
        self, bucket: str, secret: str, endpoint: str | None = None, *, lookahead: bool = True
    ) -> ObjectClient:
        config = ProviderConfig(
            "S3_COMPATIBLE",
            bucket,
            endpoint_url=endpoint or self.s3.endpoint_url,
            credentials={"access_key_id": self.s3.access_key, "secret_access_key": secret},
            connect_timeout=2,
            read_timeout=10,
            lookahead=lookahead,
        )
        return S3Client(config, path_style=True)

    def good(self, *, lookahead: bool = True) -> ObjectClient:
        return self._client(SEAWEED_BUCKET, self.s3.secret_key, lookahead=lookahead)

    def wrong_secret(self) -> ObjectClient | None:
        return self._client(SEAWEED_BUCKET, self.s3.secret_key + "-wrong")

    def missing_bucket(self) -> ObjectClient:
        return self._client("no-such-bucket-here", self.s3.secret_key)

    def dead_endpoint(self) -> ObjectClient | None:
        return self._client(SEAWEED_BUCKET, self.s3.secret_key, f"http://127.0.0.1:{free_port()}")


class TestS3ClientContract(ObjectClientContract):
    @pytest.fixture
    def factory(self, seaweed: SeaweedS3) -> ClientFactory:
        return SeaweedFactory(seaweed)


def test_private_endpoint_is_refused_when_opening() -> None:
    config = ProviderConfig("S3_COMPATIBLE", "b", endpoint_url="http://127.0.0.1:9000")
    with pytest.raises(Invalid) as info:
        open_client(config, [], path_style=True)
    assert "endpoint_url" in (info.value.detail or "")
    assert isinstance(open_client(config, ["127.0.0.0/8"], path_style=True), S3Client)


def test_fast_timestamp_reads_iso_and_http_dates() -> None:
    iso = fast_timestamp("2026-11-29T20:01:04.123Z")
    assert iso == datetime(2026, 11, 29, 20, 1, 4, 123000, tzinfo=UTC)
    assert fast_timestamp("Sun, 29 Nov 2026 20:01:04 GMT") == datetime(
        2026, 11, 29, 20, 1, 4, tzinfo=UTC
    )
    assert fast_timestamp("1795464064") == datetime(2026, 11, 23, 20, 1, 4, tzinfo=UTC)


def test_listing_parses_last_modified_without_dateutil(
    seaweed: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dateutil was most of the CPU time of a 1000-key page: listings must not call it."""
    client = SeaweedFactory(seaweed).good()
    prefix = f"fast-ts-{uuid.uuid4().hex}/"
    client.write(prefix + "a", iter([b"x"]), content_type="text/plain", metadata={}, size=1)
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5)

    def no_dateutil(*args: object, **kwargs: object) -> None:
        raise AssertionError("dateutil.parser.parse called for a listing")

    monkeypatch.setattr(dateutil.parser, "parse", no_dateutil)
    (info,) = client.list_page(prefix, None, 10)
    assert info.key == prefix + "a"
    assert info.modified_at is not None and info.modified_at > before


def _seeded(
    seaweed: SeaweedS3, monkeypatch: pytest.MonkeyPatch, n: int, *, lookahead: bool = True
) -> tuple[Any, str, list]:
    """A client listing by pages of 4 keys, ``n`` keys under a fresh prefix, and a list that
    records the ListObjectsV2 calls."""
    client: Any = SeaweedFactory(seaweed).good(lookahead=lookahead)
    monkeypatch.setattr(client, "page_keys", 4)
    prefix = f"ahead-{uuid.uuid4().hex}/"
    for i in range(n):
        client.write(f"{prefix}{i:02d}", iter([b"x"]), content_type="text/plain", metadata={})
    calls: list[dict[str, Any]] = []
    real = client.s3.list_objects_v2

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(client.s3, "list_objects_v2", counted)
    return client, prefix, calls


def test_listing_pages_of_page_plus_one_cost_one_request_each(
    seaweed: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing page asks for one key more than it shows: the client keeps the surplus of a
    whole provider page instead of asking for that one key in a second request."""
    client, prefix, calls = _seeded(seaweed, monkeypatch, 13)
    keys = [f"{prefix}{i:02d}" for i in range(13)]
    seen: list[str] = []
    after: str | None = None
    while True:  # pages of 4 shown + 1 proving a next one, as the scan asks
        rows = client.list_page(prefix, after, 5)
        seen += [r.key for r in rows[:4]]
        if len(rows) < 5:
            break
        after = rows[3].key
    assert seen == keys
    assert len(calls) == 4  # 13 keys by 4: one request per provider page (was 2 per page)


def test_kept_listing_segment_does_not_hide_a_write(
    seaweed: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, prefix, _ = _seeded(seaweed, monkeypatch, 10)
    first = client.list_page(prefix, None, 5)
    assert [r.key for r in first] == [f"{prefix}{i:02d}" for i in range(5)]
    client.write(prefix + "04a", iter([b"y"]), content_type="text/plain", metadata={})
    rest = client.list_page(prefix, first[3].key, 100)
    assert [r.key for r in rest] == [
        prefix + k for k in ("04", "04a", "05", "06", "07", "08", "09")
    ]
    assert client.list_page(prefix, first[3].key, 2)[0].key == prefix + "04"


def test_without_lookahead_a_write_through_another_worker_is_not_hidden(
    seaweed: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --workers N``: a write through another process's client cannot clear this
    client's kept rows, so with the lookahead off (several workers) a continued listing asks
    the provider again and shows the write."""
    client, prefix, calls = _seeded(seaweed, monkeypatch, 10, lookahead=False)
    other = SeaweedFactory(seaweed).good()  # the client of another worker process
    first = client.list_page(prefix, None, 5)
    assert [r.key for r in first] == [f"{prefix}{i:02d}" for i in range(5)]
    other.write(prefix + "04a", iter([b"y"]), content_type="text/plain", metadata={})
    before = len(calls)
    rest = client.list_page(prefix, first[3].key, 100)
    assert [r.key for r in rest] == [
        prefix + k for k in ("04", "04a", "05", "06", "07", "08", "09")
    ]
    assert calls[before].get("StartAfter") == first[3].key  # asked the provider again


def _s3_crc(client: Any, key: str) -> tuple[str | None, str | None]:
    """The CRC32C and checksum type S3 itself keeps for ``key`` (boto3, ChecksumMode)."""
    r = client.s3.head_object(Bucket=client.bucket, Key=key, ChecksumMode="ENABLED")
    return r.get("ChecksumCRC32C"), r.get("ChecksumType")


@pytest.mark.parametrize("size", [3000, 11 * 1024 * 1024 + 7])
def test_writes_carry_the_full_object_crc32c_to_s3(seaweed: SeaweedS3, size: int) -> None:
    """One PUT and a multipart write (5 MiB parts) both leave S3 holding the body's CRC32C
    (full-object, combined from the parts' for the multipart); HEAD reads it back."""
    client: Any = SeaweedFactory(seaweed).good()
    key = f"crc-{uuid.uuid4().hex}/{size}"
    data = os.urandom(size)
    info = client.write(
        key, iter([data]), content_type="text/plain", metadata={}, part_size=5 * 1024 * 1024
    )
    assert _s3_crc(client, key)[0] == to_wire(crc32c(data))
    assert info.crc32c == to_wire(crc32c(data)) == client.head(key).crc32c


def test_native_multipart_completes_with_the_full_object_crc32c(seaweed: SeaweedS3) -> None:
    """Parts with and without a declared CRC32C; the completion hands S3 the whole's CRC
    combined from the parts' (FULL_OBJECT), and refuses a different declared value first."""
    client: Any = SeaweedFactory(seaweed).good()
    key = f"crc-mp-{uuid.uuid4().hex}"
    one, two = os.urandom(5 * 1024 * 1024), os.urandom(1234)
    up = client.start_multipart(key, content_type="text/plain", metadata={})
    parts = [
        client.write_part(key, up, 1, iter([one]), size=len(one), crc32c=crc32c(one)),
        client.write_part(key, up, 2, iter([two])),
    ]
    whole = crc32c(one + two)
    with pytest.raises(ProviderBadChecksum):
        client.complete_multipart(
            key, up, parts, content_type="text/plain", metadata={}, crc32c=whole ^ 1
        )
    assert client.head(key) is None
    info = client.complete_multipart(
        key, up, parts, content_type="text/plain", metadata={}, crc32c=whole
    )
    assert _s3_crc(client, key) == (to_wire(whole), "FULL_OBJECT")
    assert info.crc32c == to_wire(whole)


def test_a_part_with_a_wrong_crc32c_is_refused_by_s3(seaweed: SeaweedS3) -> None:
    client: Any = SeaweedFactory(seaweed).good()
    key = f"crc-bad-{uuid.uuid4().hex}"
    up = client.start_multipart(key, content_type="text/plain", metadata={})
    with pytest.raises(ProviderBadChecksum):
        client.write_part(key, up, 1, iter([b"data"]), size=4, crc32c=crc32c(b"other"))
    client.abort_multipart(key, up)
    assert client.head(key) is None
