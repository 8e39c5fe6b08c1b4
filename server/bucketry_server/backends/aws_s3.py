"""``AWS_S3`` (and, through :mod:`.s3_compatible`, any S3-compatible store): one boto3
:class:`.remote.client.ObjectClient`.

Endpoint URL (checked by the SSRF guard when the client opens), region, path-style
addressing for custom endpoints, session tokens, bounded connect/read timeouts and a couple of
standard-mode retries. Writes stream through s3transfer: bodies up to :data:`PART_SIZE` in one
PUT, larger ones as a multipart upload with parts in parallel (aborted on any failure, so nothing
partial becomes visible). Multipart uploads of the API map onto S3's own (one UploadPart per
part, CompleteMultipartUpload at completion).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)
from botocore.utils import parse_timestamp

from ..models import Bucket
from ..state import AppState
from .remote.addresses import check_addresses
from .remote.backend import RemoteBackend
from .remote.client import (
    ObjectInfo,
    PartInfo,
    ProbeResult,
    ProviderConfig,
    ProviderError,
    ProviderFailed,
    ProviderForbidden,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnreachable,
    ProviderVersionChanged,
)
from .remote.config import provider_config
from .remote.lookahead import Lookahead
from .remote.pinning import guard_botocore
from .remote.streams import IterReader

#: Part size of a streamed write (s3transfer's chunk size, also its single-PUT threshold).
PART_SIZE = 16 * 1024 * 1024
#: Parts of one streamed write in flight at once, and parts read ahead into memory.
CONCURRENCY = 4
IN_MEMORY_PARTS = 6
CHUNK = 1024 * 1024
DELETE_BATCH = 1000
PROBE_KEY = ".bucketry-probe"
_NOT_FOUND = {"404", "NoSuchBucket", "NoSuchKey", "NotFound"}
_FORBIDDEN = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AllAccessDisabled",
    "Forbidden",
}
_CHANGED = {"412", "PreconditionFailed"}
#: Failures on the provider's side (server errors, throttling): 502, retried by clients.
_FAILED = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequests",
    "RequestTimeout",
}
_READS = {"list_objects_v2", "head_object", "head_bucket", "get_object"}


def _code(exc: ClientError) -> str:
    err = exc.response.get("Error", {})
    return str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))


def translate(exc: Exception, what: str) -> ProviderError:
    """A provider error (no secret in it) for a boto3/botocore failure about ``what``."""
    if isinstance(exc, ClientError):
        code = _code(exc)
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in _NOT_FOUND or status == "404":
            return ProviderNotFound(f"{what}: not found ({code})")
        if code in _FORBIDDEN or status == "403":
            return ProviderForbidden(f"{what}: access denied ({code})")
        if code in _CHANGED or status == "412":
            return ProviderVersionChanged(f"{what}: the object changed ({code})")
        if code in _FAILED or status.startswith("5") or status == "429":
            return ProviderFailed(f"{what}: the provider failed ({code}, HTTP {status})")
        return ProviderError(f"{what}: the provider answered {code}")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return ProviderTimeout(f"{what}: {exc.__class__.__name__}")
    return ProviderUnreachable(f"{what}: {exc.__class__.__name__}")


def _strip(etag: str | None) -> str:
    return (etag or "").strip('"')


def fast_timestamp(value: str) -> datetime:
    """A response timestamp as an aware datetime: ISO 8601 (every ``LastModified`` of a
    listing) by :meth:`datetime.fromisoformat`, anything else (HTTP dates of HEAD answers,
    epoch numbers) by botocore's own parser. botocore's default goes through dateutil for
    every value, which was most of the CPU time of a 1000-key listing page."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        slow: datetime = parse_timestamp(value)
        return slow
    return parsed


def _session() -> boto3.session.Session:
    """A boto3 session whose responses parse timestamps with :func:`fast_timestamp`."""
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=fast_timestamp
    )
    return boto3.session.Session(botocore_session=core)


def _sized(part_size: int) -> TransferConfig:
    """A transfer config for parts of ``part_size`` bytes: as many in flight as fit in about
    :data:`IN_MEMORY_PARTS` default parts of memory (at least one, at most
    :data:`CONCURRENCY`)."""
    fit = max(1, IN_MEMORY_PARTS * PART_SIZE // part_size)
    config = TransferConfig(
        multipart_threshold=part_size,
        multipart_chunksize=part_size,
        max_concurrency=min(CONCURRENCY, fit),
    )
    config.max_in_memory_upload_chunks = max(1, min(IN_MEMORY_PARTS, fit))
    return config


class S3Client:
    """:class:`.remote.client.ObjectClient` over one S3 bucket (boto3)."""

    #: S3 refuses smaller parts (but the last) with EntityTooSmall.
    min_part_size = 5 * 1024 * 1024
    reserved_prefix: str | None = None

    #: Keys per ListObjectsV2 request (the S3 maximum).
    page_keys = 1000

    def __init__(self, config: ProviderConfig, *, path_style: bool) -> None:
        self.config = config
        self.bucket = config.bucket
        self._ahead = Lookahead(enabled=config.lookahead)
        creds = config.credentials
        self.s3: Any = _session().client(
            "s3",
            endpoint_url=config.endpoint_url or None,
            region_name=config.region or "us-east-1",
            aws_access_key_id=creds.get("access_key_id"),
            aws_secret_access_key=creds.get("secret_access_key"),
            aws_session_token=creds.get("session_token") or None,
            config=Config(
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                retries={"max_attempts": 2, "mode": "standard"},
                signature_version="s3v4",
                # Neither a SHA-256 (plain-http endpoints) nor a CRC32 pass over every body:
                # parts stream from the request (unseekable), the server verifies its own
                # checksums on the way, and the hashing was CPU the proxied upload lacked.
                s3={
                    "addressing_style": "path" if path_style else "auto",
                    "payload_signing_enabled": False,
                },
                request_checksum_calculation="when_required",
            ),
        )
        if config.allowed_networks is not None:  # every connection's peer is checked
            guard_botocore(self.s3, config.allowed_networks)
        self._transfer = TransferConfig(
            multipart_threshold=PART_SIZE,
            multipart_chunksize=PART_SIZE,
            max_concurrency=CONCURRENCY,
        )
        self._transfer.max_in_memory_upload_chunks = IN_MEMORY_PARTS

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.s3, method)(Bucket=self.bucket, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, what) from None
        finally:
            if method not in _READS:
                self._ahead.clear()  # no kept listing segment may hide this change

    def probe(self) -> ProbeResult:
        """HEAD the bucket, list one key (READ), start and abort a multipart upload (WRITE:
        leaves nothing behind)."""
        try:
            self._call(f"bucket {self.bucket!r}", "head_bucket")
            self._call(f"bucket {self.bucket!r}", "list_objects_v2", MaxKeys=1)
        except ProviderNotFound as exc:
            return ProbeResult("NOT_FOUND", (), str(exc))
        except ProviderForbidden as exc:
            return ProbeResult("FORBIDDEN", (), str(exc))
        except ProviderError as exc:
            return ProbeResult("UNREACHABLE", (), str(exc))
        actions = ["READ"]
        try:
            key = self.config.prefix + PROBE_KEY
            up = self._call("write probe", "create_multipart_upload", Key=key)
            self._call("write probe", "abort_multipart_upload", Key=key, UploadId=up["UploadId"])
            actions.append("WRITE")
        except ProviderError:
            pass
        return ProbeResult("AVAILABLE", actions)

    def list_page(self, prefix: str, start_after: str | None, limit: int) -> list[ObjectInfo]:
        """ListObjectsV2 pages until ``limit`` objects or the end. A continuation asks for a
        whole page (not the few keys still missing) and keeps the surplus for the call that
        lists on from there (:mod:`.remote.lookahead`): one request per 1000-key page."""
        out: list[ObjectInfo] = []
        token: str | None = None
        ahead = None if start_after is None else self._ahead.take(prefix, start_after)
        if ahead is not None:
            out, token = ahead
            if token is None or len(out) >= limit:
                return self._keep_surplus(prefix, start_after, out, limit, token)
        while len(out) < limit:
            kwargs: dict[str, Any] = {"Prefix": prefix}
            if token is not None:
                kwargs["ContinuationToken"] = token
            elif start_after:
                kwargs["StartAfter"] = start_after
            max_keys = self.page_keys if out else min(self.page_keys, limit)
            page = self._call(f"listing {prefix!r}", "list_objects_v2", MaxKeys=max_keys, **kwargs)
            out += [
                ObjectInfo(
                    o["Key"], int(o["Size"]), _strip(o.get("ETag")), _naive(o.get("LastModified"))
                )
                for o in page.get("Contents", [])
            ]
            token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
            if token is None:
                break
        return self._keep_surplus(prefix, start_after, out, limit, token)

    def _keep_surplus(
        self, prefix: str, after: str | None, rows: list[ObjectInfo], limit: int, token: str | None
    ) -> list[ObjectInfo]:
        """``rows[:limit]``; if there are more (or the listing ended right there), all of
        ``rows`` (listed after ``after``) are kept with ``token`` for a call that lists on
        from any of them."""
        if len(rows) > limit or (token is None and rows and len(rows) == limit):
            self._ahead.keep(prefix, after or "", rows, token)
        return rows[:limit]

    def head(self, key: str) -> ObjectInfo | None:
        """HEAD the object (None if missing)."""
        try:
            r = self._call(f"object {key!r}", "head_object", Key=key)
        except ProviderNotFound:
            return None
        return ObjectInfo(
            key,
            int(r["ContentLength"]),
            _strip(r.get("ETag")),
            _naive(r.get("LastModified")),
            r.get("ContentType"),
            dict(r.get("Metadata") or {}),
        )

    def read(
        self, key: str, start: int = 0, end: int | None = None, *, etag: str | None = None
    ) -> Iterator[bytes]:
        """GET with Range and If-Match (the etag pin)."""
        kwargs: dict[str, Any] = {"Key": key}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        if etag is not None:
            kwargs["IfMatch"] = f'"{etag}"'
        r = self._call(f"object {key!r}", "get_object", **kwargs)
        return self._chunks(r["Body"], key)

    @staticmethod
    def _chunks(body: Any, key: str) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(CHUNK)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"object {key!r}") from None
        finally:
            body.close()

    def write(
        self,
        key: str,
        chunks: Iterator[bytes],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        size: int | None = None,
        part_size: int | None = None,
    ) -> ObjectInfo:
        """Stream ``chunks`` through s3transfer (``upload_fileobj``): one PUT up to
        :data:`PART_SIZE`, else a multipart upload of :data:`PART_SIZE` parts sent
        :data:`CONCURRENCY` at a time (at most :data:`IN_MEMORY_PARTS` parts in memory),
        aborted on any failure, so nothing partial becomes visible. ``part_size`` (bytes)
        replaces :data:`PART_SIZE` for this write (an export's chosen part size), with fewer
        parts in flight when parts are large (:func:`_sized`)."""
        what = f"object {key!r}"
        extra = {"ContentType": content_type, "Metadata": dict(metadata)}
        try:
            config = self._transfer if part_size is None else _sized(part_size)
            with IterReader(chunks, size).reraise() as body:
                self.s3.upload_fileobj(body, self.bucket, key, ExtraArgs=extra, Config=config)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, what) from None
        finally:
            self._ahead.clear()
        info = self.head(key)
        if info is None:
            raise ProviderError(f"{what}: written but not found")
        return info

    # ---------------------------------------------------------------- multipart

    def start_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        """CreateMultipartUpload; the handle is the UploadId."""
        r = self._call(
            f"object {key!r}",
            "create_multipart_upload",
            Key=key,
            ContentType=content_type,
            Metadata=dict(metadata),
        )
        return str(r["UploadId"])

    def write_part(
        self,
        key: str,
        upload: str,
        number: int,
        chunks: Iterator[bytes],
        *,
        size: int | None = None,
    ) -> PartInfo:
        """UploadPart, streamed when ``size`` is known (else the part is spooled to a
        temporary file first: S3 needs the length up front)."""
        what = f"object {key!r} part {number}"
        with contextlib.ExitStack() as stack:
            body: Any
            if size is None:
                body = stack.enter_context(tempfile.SpooledTemporaryFile(PART_SIZE))
                for chunk in chunks:
                    body.write(chunk)
                size = body.tell()
                body.seek(0)
            else:
                body = stack.enter_context(IterReader(chunks, size).reraise())
            r = self._call(
                what,
                "upload_part",
                Key=key,
                UploadId=upload,
                PartNumber=number,
                Body=body,
                ContentLength=size,
            )
        return PartInfo(number, size, _strip(r["ETag"]))

    def complete_multipart(
        self,
        key: str,
        upload: str,
        parts: Sequence[PartInfo],
        *,
        content_type: str,
        metadata: Mapping[str, str],
    ) -> ObjectInfo:
        """CompleteMultipartUpload of ``parts`` (content type and metadata were given at the
        start)."""
        what = f"object {key!r}"
        listed = [{"PartNumber": p.number, "ETag": f'"{p.token}"'} for p in parts]
        self._call(
            what,
            "complete_multipart_upload",
            Key=key,
            UploadId=upload,
            MultipartUpload={"Parts": listed},
        )
        info = self.head(key)
        if info is None:
            raise ProviderError(f"{what}: completed but not found")
        return info

    def abort_multipart(self, key: str, upload: str) -> None:
        """AbortMultipartUpload (an unknown upload is not an error)."""
        try:
            self._call(f"object {key!r}", "abort_multipart_upload", Key=key, UploadId=upload)
        except ProviderNotFound:
            pass

    def delete(self, keys: Sequence[str]) -> list[str]:
        """DeleteObjects in batches (only keys that exist are reported)."""
        present = [k for k in keys if self.head(k) is not None]
        for i in range(0, len(present), DELETE_BATCH):
            batch = [{"Key": k} for k in present[i : i + DELETE_BATCH]]
            r = self._call("delete", "delete_objects", Delete={"Objects": batch, "Quiet": True})
            if r.get("Errors"):
                first = r["Errors"][0]
                raise ProviderError(f"delete {first.get('Key')!r}: {first.get('Code')}")
        return present

    def copy(self, source_key: str, key: str) -> ObjectInfo:
        """Server-side copy (multipart copy for large objects, by s3transfer)."""
        try:
            self.s3.copy({"Bucket": self.bucket, "Key": source_key}, self.bucket, key)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"object {source_key!r}") from None
        info = self.head(key)
        if info is None:
            raise ProviderError(f"object {key!r}: copied but not found")
        return info

    def presign(self, key: str, method: str, expires_in: int) -> str | None:
        """A SigV4 presigned GET or PUT URL, or None without an access key (anonymous
        access cannot sign)."""
        op = {"GET": "get_object", "PUT": "put_object"}.get(method.upper())
        if op is None or not self.config.credentials.get("access_key_id"):
            return None
        url: str = self.s3.generate_presigned_url(
            op, Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def close(self) -> None:
        """Close the connection pool."""
        self.s3.close()


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if value is not None and value.tzinfo else value


def open_client(config: ProviderConfig, allowed: Sequence[str], *, path_style: bool) -> S3Client:
    """A client once the endpoint (if any) passed the SSRF guard (``Invalid`` otherwise)."""
    check_addresses(config.provider, config.credentials, config.endpoint_url, allowed)
    return S3Client(config, path_style=path_style)


def open_backend(state: AppState, bucket: Bucket) -> RemoteBackend:
    """The registry's entry for ``AWS_S3`` (credentials decrypted when the client opens, so
    unreadable ones fail the bucket's calls, not every listing of buckets)."""
    allowed = state.settings.allowed_networks

    def opener() -> S3Client:
        config = provider_config(state, bucket)
        return open_client(config, allowed, path_style=bool(config.endpoint_url))

    return RemoteBackend(state, bucket, opener)
