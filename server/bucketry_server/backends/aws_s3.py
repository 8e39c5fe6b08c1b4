"""``AWS_S3`` (and, through :mod:`.s3_compatible`, any S3-compatible store): one boto3
:class:`.remote.client.ObjectClient`.

Endpoint URL (checked by the SSRF guard when the client opens), region, path-style
addressing for custom endpoints, session tokens, bounded connect/read timeouts and a couple of
standard-mode retries. Writes stream through :mod:`.aws_s3_upload`: bodies up to
:data:`PART_SIZE` in one PUT, larger ones as a multipart upload with parts in parallel (aborted
on any failure, so nothing partial becomes visible), every object with S3's full-object
CRC32C and the write's precondition checked by S3 itself. Multipart uploads of the API map onto
S3's own (one UploadPart per part with its CRC32C, CompleteMultipartUpload with the whole's,
``ChecksumType=FULL_OBJECT``). HEAD asks for the object's checksum (``ChecksumMode``): an
object with a full-object CRC32C shows it (ListObjectsV2 carries none).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)
from botocore.utils import parse_timestamp

from ..crc32c import to_wire
from ..models import Bucket
from ..spooling import Spool
from ..state import AppState
from .aws_s3_upload import (
    FULL_OBJECT,
    PART_SIZE,
    completion_args,
    condition_args,
    full_crc,
    spool,
    streamed_upload,
)
from .remote.addresses import check_addresses
from .remote.backend import RemoteBackend
from .remote.client import (
    ObjectInfo,
    PartInfo,
    ProbeResult,
    ProviderBadChecksum,
    ProviderConditionFailed,
    ProviderConfig,
    ProviderError,
    ProviderFailed,
    ProviderForbidden,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnreachable,
    ProviderVersionChanged,
    WriteCondition,
)
from .remote.config import provider_config
from .remote.lookahead import Lookahead
from .remote.pinning import guard_botocore
from .remote.streams import IterReader

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
#: A conditional write losing to a concurrent one (S3 answers 409 while the other is in flight).
_CONFLICTING = {"ConditionalRequestConflict"}
#: The body does not match its declared checksum.
_BAD_CHECKSUM = {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "InvalidChecksum"}
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


def translate(exc: Exception, what: str, *, conditional: bool = False) -> ProviderError:
    """A provider error (no secret in it) for a boto3/botocore failure about ``what``;
    ``conditional``: the request carried a write condition, whose failure (412, or S3's 409
    for a concurrent conditional write) is :class:`ProviderConditionFailed`."""
    if isinstance(exc, ClientError):
        code = _code(exc)
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if conditional and (code in _CHANGED | _CONFLICTING or status == "412"):
            return ProviderConditionFailed(f"{what}: the precondition does not hold ({code})")
        if code in _BAD_CHECKSUM:
            return ProviderBadChecksum(f"{what}: the checksum does not match ({code})")
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


class S3Client:
    """:class:`.remote.client.ObjectClient` over one S3 bucket (boto3)."""

    #: S3 refuses smaller parts (but the last) with EntityTooSmall.
    min_part_size = 5 * 1024 * 1024
    reserved_prefix: str | None = None
    #: A part without a declared size and CRC32C (the SDK's streamed parts) is spooled whole
    #: first: UploadPart needs both up front (:meth:`write_part`).
    holds_parts = True

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
        """HEAD the object (None if missing), with its full-object CRC32C if it has one."""
        try:
            r = self._call(f"object {key!r}", "head_object", Key=key, ChecksumMode="ENABLED")
        except ProviderNotFound:
            return None
        return ObjectInfo(
            key,
            int(r["ContentLength"]),
            _strip(r.get("ETag")),
            _naive(r.get("LastModified")),
            r.get("ContentType"),
            dict(r.get("Metadata") or {}),
            full_crc(r),
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
        crc32c: int | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Stream ``chunks`` (:func:`.aws_s3_upload.streamed_upload`): one PUT up to
        :data:`PART_SIZE` (or ``part_size``), else a multipart upload of such parts, a few in
        parallel, aborted on any failure, so nothing partial becomes visible; the object gets
        S3's full-object CRC32C (per part while it is in memory; a declared ``crc32c`` is
        checked by the server's own pass before the last part leaves). ``condition`` goes
        with the PUT or the completion (:class:`ProviderConditionFailed`)."""
        what = f"object {key!r}"
        extra = {"ContentType": content_type, "Metadata": dict(metadata)}
        try:
            with IterReader(chunks, size).reraise() as body:
                streamed_upload(self.s3, self.bucket, key, extra, condition, body, part_size)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, what, conditional=condition is not None) from None
        finally:
            self._ahead.clear()
        info = self.head(key)
        if info is None:
            raise ProviderError(f"{what}: written but not found")
        return info

    # ---------------------------------------------------------------- multipart

    def start_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        """CreateMultipartUpload with a full-object CRC32C; the handle is the UploadId."""
        r = self._call(
            f"object {key!r}",
            "create_multipart_upload",
            Key=key,
            ContentType=content_type,
            Metadata=dict(metadata),
            **FULL_OBJECT,
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
        crc32c: int | None = None,
    ) -> PartInfo:
        """UploadPart with the part's CRC32C: streamed when ``size`` and ``crc32c`` are
        known, else spooled first (S3 needs the length and the checksum up front; in memory
        up to 16 MiB, then in the process's spool folder under its spool budget: past it
        :class:`..spooling.SpoolFull`, a 503), the CRC32C computed on the way. The token is
        ``"<etag> <crc32c>"``."""
        what = f"object {key!r} part {number}"
        with contextlib.ExitStack() as stack:
            body: Any
            if size is None or crc32c is None:
                spooled = stack.enter_context(Spool(in_memory=PART_SIZE))
                crc32c = spool(chunks, spooled)
                size = spooled.size
                body = spooled.reader()
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
                ChecksumCRC32C=to_wire(crc32c),
            )
        return PartInfo(number, size, f"{_strip(r['ETag'])} {to_wire(crc32c)}")

    def complete_multipart(
        self,
        key: str,
        upload: str,
        parts: Sequence[PartInfo],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        crc32c: int | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """CompleteMultipartUpload of ``parts`` (content type and metadata were given at the
        start) with the whole's CRC32C combined from the parts' tokens (``FULL_OBJECT``: S3
        checks it; ``crc32c``, when given, must be the same, else
        :class:`ProviderBadChecksum` before anything is asked) and ``condition``. Parts sent
        before this scheme (tokens without a CRC) complete without one."""
        what = f"object {key!r}"
        listed, checks = completion_args(parts, crc32c, what)
        checks |= condition_args(condition)
        try:
            self.s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload,
                MultipartUpload={"Parts": listed},
                **checks,
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, what, conditional=condition is not None) from None
        finally:
            self._ahead.clear()
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
