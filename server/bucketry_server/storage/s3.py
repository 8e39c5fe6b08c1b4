"""Managed blobs in an S3-compatible bucket: the store for several stateless server instances.

Objects live at ``<prefix>/<object_id>``. boto3 is blocking, so every call runs in a worker
thread (``anyio.to_thread``); the event loop is never held by the network. Writes are spooled
locally first because the checksum the client declared must be verified *before* anything becomes
visible: S3 has no rename, so "verify, then upload" is what makes a write atomic here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..crc32c import to_wire
from ..spooling import Spool
from .base import (
    Expected,
    Hasher,
    ObjectMissingError,
    ObjectStore,
    StorageError,
    WriteResult,
    check_expected,
    needs_reading,
)
from .blocks import feed_blocks
from .local import CHUNK_SIZE, OBJECT_ID_RE, check_object_id

__all__ = ["S3Store"]

_T = TypeVar("_T")

MIB = 1 << 20
#: Bodies up to this size are kept in memory and sent with one PutObject; larger ones are
#: spooled to a temp file and sent as a multipart upload in parts of this size.
SPOOL_SIZE = 8 * MIB
#: S3's limit for one CopyObject / UploadPartCopy source range.
MAX_COPY_SIZE = 5 << 30
#: Parallel UploadPartCopy calls per compose.
COMPOSE_CONCURRENCY = 8

_MISSING_CODES = frozenset({"NoSuchKey", "NotFound", "404"})


_SESSION_LOCK = threading.Lock()
_SESSION: boto3.session.Session | None = None


def _shared_session() -> boto3.session.Session:
    """One boto3 session per process: it caches the service models, so each further client
    costs milliseconds instead of the ~0.3 s of a fresh session. Creating clients from a session
    is not thread-safe, hence the lock held by the caller."""
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate(exc: Exception) -> Exception:
    """botocore errors → our hierarchy (missing object, or a 5xx-worthy StorageError)."""
    if isinstance(exc, ClientError) and _error_code(exc) in _MISSING_CODES:
        return ObjectMissingError(str(exc))
    return StorageError(f"S3 error: {exc}")


def _checksum_args(result: WriteResult) -> dict[str, str]:
    """``put_object``'s checksum argument: the SHA-256 when computed, else the CRC32C."""
    if result.sha256_hex is not None:
        return {"ChecksumSHA256": base64.b64encode(bytes.fromhex(result.sha256_hex)).decode()}
    if result.crc32c is not None:
        return {"ChecksumCRC32C": to_wire(result.crc32c)}
    return {}


class S3Store(ObjectStore):
    """Objects in ``bucket`` under ``prefix`` (a ``/`` is appended to a non-empty prefix).

    Credentials: explicit ``access_key_id``/``secret_access_key`` if given, else boto3's standard
    chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` env vars, profiles, instance roles).
    ``client_kwargs`` are passed to ``boto3.client`` (a ``config`` there is merged over ours).
    With a custom ``endpoint_url`` (SeaweedFS, MinIO, …) path-style addressing is used and the
    newer default CRC checksums are only sent when required, which those servers handle best.
    """

    holds_writes = True  # spooled and verified, then uploaded (:meth:`write`)

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
        spool_dir: Path | str | None = None,
        max_pool_connections: int = 32,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.spool_dir = str(spool_dir) if spool_dir is not None else None
        kwargs: dict[str, Any] = dict(client_kwargs or {})
        config = Config(
            max_pool_connections=max_pool_connections,
            retries={"max_attempts": 5, "mode": "standard"},
        )
        if endpoint_url is not None:
            config = config.merge(
                Config(
                    s3={"addressing_style": "path"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                )
            )
        if "config" in kwargs:
            config = config.merge(kwargs.pop("config"))
        with _SESSION_LOCK:
            self.client: Any = _shared_session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                aws_session_token=session_token,
                config=config,
                **kwargs,
            )
        self._upload_config = TransferConfig(
            multipart_threshold=SPOOL_SIZE,
            multipart_chunksize=SPOOL_SIZE,
            max_concurrency=4,
        )
        # s3transfer reads seekable-stream parts into memory; bound that to ~32 MiB per upload.
        self._upload_config.max_in_memory_upload_chunks = 4
        self._copy_config = TransferConfig(
            multipart_threshold=MAX_COPY_SIZE, multipart_chunksize=512 * MIB, max_concurrency=4
        )

    def __repr__(self) -> str:
        return f"S3Store(bucket={self.bucket!r}, prefix={self.prefix!r})"

    # ------------------------------------------------------------------ helpers

    def _key(self, object_id: str) -> str:
        return self.prefix + check_object_id(object_id)

    async def _call(self, func: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Run a blocking boto3 call (or a function making several) in a worker thread."""
        try:
            return await anyio.to_thread.run_sync(partial(func, *args, **kwargs))
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc) from exc

    async def _undo(self, key: str, upload_id: str | None = None) -> None:
        """Best-effort cleanup after a failure; shielded so it runs even when cancelled."""
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            if upload_id is not None:
                await self._call(
                    self.client.abort_multipart_upload,
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                )
            else:
                await self._call(self.client.delete_object, Bucket=self.bucket, Key=key)

    # ------------------------------------------------------------------ writes

    async def write(
        self, object_id: str, chunks: AsyncIterator[bytes], expected: Expected | None = None
    ) -> WriteResult:
        """Spool (≤8 MiB in memory, else an unnamed temp file under the process's spool
        budget: :class:`..spooling.SpoolFull`, a 503, past it), verify, then upload.

        Nothing reaches S3 before the checksums and size limit have been checked; an upload
        that fails is aborted by boto3 itself, and one completed after the caller was cancelled
        is deleted again. The chunks are hashed and spooled in 1 MiB blocks in worker threads
        (:func:`.blocks.feed_blocks`); the last block, the checks and the upload share one
        hop, and an on-disk spool is closed (its blocks freed) in a worker thread too.
        """
        key = self._key(object_id)
        sink = _SpoolSink(Hasher(expected), Spool(in_memory=SPOOL_SIZE, folder=self.spool_dir))
        max_size = expected.max_size if expected is not None else None
        started = uploaded = False
        try:
            tail = await feed_blocks(chunks, sink.flush, max_size=max_size)

            def finish_and_upload() -> WriteResult:
                nonlocal started
                sink.flush(tail)
                result = sink.hasher.finish()  # raises on a checksum or size mismatch
                started = True
                self._upload(key, sink.spool, result)
                return result

            result = await self._call(finish_and_upload)
            uploaded = True
            return result
        except BaseException:
            if started and not uploaded:
                # The upload may have finished in its thread while we were being cancelled.
                await self._undo(key)
            raise
        finally:
            if sink.spool.on_disk:  # closing the unnamed file frees its blocks: not on the loop
                loop = asyncio.get_running_loop()
                await asyncio.shield(loop.run_in_executor(None, sink.close))
            else:
                sink.close()

    def _upload(self, key: str, spool: Spool, result: WriteResult) -> None:
        """Send a spooled body (blocking): one PutObject with our checksum, which the store
        verifies, when it is in memory, else boto3's multipart upload of the file."""
        if not spool.on_disk:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=spool.reader().read(),
                **_checksum_args(result),
            )
        else:
            self.client.upload_fileobj(spool.reader(), self.bucket, key, Config=self._upload_config)

    async def compose(
        self,
        object_id: str,
        part_ids: Iterable[str],
        expected: Expected | None = None,
        *,
        sha256_hex: str | None = None,
    ) -> WriteResult:
        """Hash the parts by streaming them (unless ``sha256_hex`` is known: then only their
        sizes are asked), then assemble server-side with UploadPartCopy.

        Hashing first means a mismatch is detected before anything is created. One part is a
        plain CopyObject; several are a multipart upload completed only when every part copy
        succeeded (aborted otherwise), so the object appears whole or not at all. Callers
        guarantee S3's part rules (≥5 MiB except the last); empty parts are skipped.
        """
        key = self._key(object_id)
        part_keys = [self._key(p) for p in part_ids]
        hasher = Hasher(expected)

        def hash_parts() -> list[int]:
            sizes: list[int] = []
            for part_key in part_keys:
                body = self.client.get_object(Bucket=self.bucket, Key=part_key)["Body"]
                size = 0
                with contextlib.closing(body):
                    while block := body.read(CHUNK_SIZE):
                        hasher.update(block)
                        size += len(block)
                sizes.append(size)
            return sizes

        def size_parts() -> list[int]:
            return [
                int(self.client.head_object(Bucket=self.bucket, Key=part_key)["ContentLength"])
                for part_key in part_keys
            ]

        if not needs_reading(expected, sha256_hex):
            sizes = await self._call(size_parts)
            sha = sha256_hex.lower() if sha256_hex is not None else None
            result = check_expected(expected, WriteResult(sum(sizes), None, sha))
        else:
            sizes = await self._call(hash_parts)
            result = hasher.finish()

        # (source key, byte range or None for the whole source) for each destination part.
        pieces: list[tuple[str, str | None]] = []
        for part_key, size in zip(part_keys, sizes, strict=True):
            if size > MAX_COPY_SIZE:
                for lo in range(0, size, MAX_COPY_SIZE):
                    hi = min(lo + MAX_COPY_SIZE, size) - 1
                    pieces.append((part_key, f"bytes={lo}-{hi}"))
            elif size:
                pieces.append((part_key, None))

        done = False
        try:
            if not pieces:
                await self._call(self.client.put_object, Bucket=self.bucket, Key=key, Body=b"")
            elif len(pieces) == 1 and pieces[0][1] is None:
                await self._call(
                    self.client.copy_object,
                    Bucket=self.bucket,
                    Key=key,
                    CopySource={"Bucket": self.bucket, "Key": pieces[0][0]},
                )
            else:
                await self._multipart_copy(key, pieces)
            done = True
            return result
        except BaseException:
            if not done:
                await self._undo(key)
            raise

    async def _multipart_copy(self, key: str, pieces: list[tuple[str, str | None]]) -> None:
        created = await self._call(self.client.create_multipart_upload, Bucket=self.bucket, Key=key)
        upload_id = str(created["UploadId"])
        etags: dict[int, str] = {}
        limiter = anyio.CapacityLimiter(COMPOSE_CONCURRENCY)

        async def copy_part(number: int, source: str, byte_range: str | None) -> None:
            extra = {"CopySourceRange": byte_range} if byte_range else {}
            async with limiter:
                resp = await self._call(
                    self.client.upload_part_copy,
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource={"Bucket": self.bucket, "Key": source},
                    **extra,
                )
            etags[number] = str(resp["CopyPartResult"]["ETag"])

        try:
            async with anyio.create_task_group() as tg:
                for number, (source, byte_range) in enumerate(pieces, start=1):
                    tg.start_soon(copy_part, number, source, byte_range)
            await self._call(
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]
                },
            )
        except BaseException:
            await self._undo(key, upload_id)
            raise

    async def copy(self, src_id: str, dst_id: str) -> None:
        """Server-side copy (boto3's managed copy: CopyObject, or multipart above 5 GiB)."""
        src_key, dst_key = self._key(src_id), self._key(dst_id)
        done = False
        try:
            await self._call(
                self.client.copy,
                {"Bucket": self.bucket, "Key": src_key},
                self.bucket,
                dst_key,
                Config=self._copy_config,
            )
            done = True
        except BaseException:
            if not done:
                await self._undo(dst_key)
            raise

    # ------------------------------------------------------------------ reads

    async def read(
        self, object_id: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """One ranged GetObject, its body read in 1 MiB chunks, each in a worker thread.

        Ranges past the end are clamped (``start`` beyond the end yields nothing); errors,
        including ObjectMissingError, surface on the first iteration.
        """
        key = self._key(object_id)
        if start < 0:
            raise ValueError(f"invalid range start {start}")
        if end is not None and end < start:
            return
        extra: dict[str, str] = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            resp = await self._call(self.client.get_object, Bucket=self.bucket, Key=key, **extra)
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and _error_code(cause) == "InvalidRange":
                return
            raise
        body = resp["Body"]
        try:
            while block := await self._call(body.read, CHUNK_SIZE):
                yield block
        finally:
            body.close()

    async def read_range(self, object_id: str, start: int, length: int) -> bytes:
        if start < 0 or length < 0:
            raise ValueError(f"invalid range start={start} length={length}")
        if length == 0:
            await self._call(self.client.head_object, Bucket=self.bucket, Key=self._key(object_id))
            return b""
        return b"".join([b async for b in self.read(object_id, start, start + length - 1)])

    # ------------------------------------------------------------------ housekeeping

    async def delete(self, object_id: str) -> None:
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=self._key(object_id))

    async def exists(self, object_id: str) -> bool:
        try:
            await self._call(self.client.head_object, Bucket=self.bucket, Key=self._key(object_id))
        except ObjectMissingError:
            return False
        return True

    async def list_ids(self) -> list[str]:
        """Every well-formed id directly under the prefix (other keys there are ignored)."""

        def run() -> list[str]:
            ids: list[str] = []
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for obj in page.get("Contents", ()):
                    name = str(obj["Key"])[len(self.prefix) :]
                    if OBJECT_ID_RE.fullmatch(name):
                        ids.append(name)
            return ids

        return await self._call(run)

    async def sweep_temp(self, older_than: float = 0.0) -> int:
        """Abort incomplete multipart uploads under the prefix started ``older_than`` s ago.

        The default (0) aborts all of them, right at start-up of a single instance; instances
        sharing a bucket should pass a margin (e.g. 3600) so they do not abort each other's
        in-flight uploads. Local spool files are unnamed and vanish with the process.
        """
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)

        def run() -> int:
            removed = 0
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for upload in page.get("Uploads", ()):
                    initiated = upload.get("Initiated")
                    if older_than and isinstance(initiated, datetime) and initiated > cutoff:
                        continue
                    with contextlib.suppress(ClientError):  # completed/aborted meanwhile
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        removed += 1
            return removed

        return await self._call(run)

    async def close(self) -> None:
        self.client.close()


class _SpoolSink:
    """The hasher and spool of one :meth:`S3Store.write`, fed block by block in worker
    threads (one at a time; a lock orders a close after a flush still running when its write
    was cancelled twice, so no byte is taken from the budget after it was given back)."""

    def __init__(self, hasher: Hasher, spool: Spool) -> None:
        self.hasher = hasher
        self.spool = spool
        self._lock = threading.Lock()

    def flush(self, block: list[bytes]) -> None:
        """Hash and spool ``block``'s chunks in order (nothing once closed). Raises what
        ``Hasher.update`` (TooLargeError) and ``Spool.write`` (SpoolFull, TooLarge, OSError)
        raise."""
        with self._lock:
            if self.spool.closed:
                return
            for chunk in block:
                self.hasher.update(chunk)
                self.spool.write(chunk)

    def close(self) -> None:
        """Close the spool, giving its bytes back to the budget (idempotent)."""
        with self._lock:
            self.spool.close()
