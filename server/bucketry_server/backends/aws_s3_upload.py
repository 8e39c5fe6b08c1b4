"""Streamed S3 writes that carry a CRC32C end to end and S3's own preconditions (boto3
calls; used by :mod:`.aws_s3`).

A body is read in parts of ``part_size`` bytes (the reading is what moves it; each part is
in memory once, as s3transfer keeps it): a body of one part is one PutObject with its
``ChecksumCRC32C``; a longer one is a multipart upload created with ``ChecksumAlgorithm=
CRC32C`` and ``ChecksumType=FULL_OBJECT``, each UploadPart with its part's CRC32C (sent
``concurrency`` at a time, at most ``in_memory`` parts held), completed with the whole
object's CRC32C combined from the parts' (:func:`..crc32c.combine_all`, no byte read again)
— S3's full-object checksum scheme, so S3 verifies every part and the whole and HEAD with
``ChecksumMode=ENABLED`` answers the same CRC32C as the server. Any failure (the body's own
checksum refusal included) aborts the upload: nothing partial becomes visible.

Preconditions go with the request that makes the object visible (PutObject or
CompleteMultipartUpload): ``IfNoneMatch: *`` or ``IfMatch: "<etag>"``
(:func:`condition_args`). botocore's ``ClientError`` is raised as is; the caller translates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ..crc32c import combine_all, crc32c, from_wire, to_wire
from .remote.client import PartInfo, ProviderBadChecksum, WriteCondition
from .remote.streams import IterReader

#: Part size of a streamed write (also its single-PUT threshold).
PART_SIZE = 16 * 1024 * 1024
#: Parts of one streamed write in flight at once, and parts read ahead into memory.
CONCURRENCY = 4
IN_MEMORY_PARTS = 6
#: S3's bounds on a multipart upload's parts.
MIN_PART = 5 * 1024 * 1024
MAX_PART = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
FULL_OBJECT = {"ChecksumAlgorithm": "CRC32C", "ChecksumType": "FULL_OBJECT"}


def condition_args(condition: WriteCondition | None) -> dict[str, str]:
    """The PutObject / CompleteMultipartUpload arguments of ``condition`` (none for None)."""
    if condition is None:
        return {}
    if condition.absent:
        return {"IfNoneMatch": "*"}
    if condition.etag is not None:
        return {"IfMatch": f'"{condition.etag}"'}
    return {}


def part_size_for(part_size: int, size: int | None) -> int:
    """``part_size`` within S3's bounds (5 MiB .. 5 GiB), raised so that a body of ``size``
    bytes (when known) needs at most 10000 parts."""
    chosen = max(MIN_PART, part_size)
    if size is not None:
        chosen = max(chosen, -(-size // MAX_PARTS))
    return min(chosen, MAX_PART)


def full_crc(head: Mapping[str, Any]) -> str | None:
    """The object's CRC32C from a HEAD answer, if it is one of the whole object (not a
    composite checksum of parts: ``<value>-<parts>`` / ``ChecksumType: COMPOSITE``)."""
    value = head.get("ChecksumCRC32C")
    if not value or "-" in value or head.get("ChecksumType") == "COMPOSITE":
        return None
    return str(value)


def spool(chunks: Iterator[bytes], file: Any) -> int:
    """Write ``chunks`` to ``file``; their CRC32C."""
    crc = 0
    for chunk in chunks:
        file.write(chunk)
        crc = crc32c(chunk, crc)
    return crc


def completion_args(
    parts: Sequence[PartInfo], declared: int | None, what: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """CompleteMultipartUpload's part list and checksum arguments for parts whose tokens are
    ``"<etag> <crc32c>"``: every part's CRC32C and the whole's combined from them
    (``FULL_OBJECT``). Raises :class:`ProviderBadChecksum` when ``declared`` (the whole's
    CRC32C as the server combined it) differs. Parts of an upload begun before this scheme
    (tokens without a CRC) get neither."""
    tokens = [p.token.partition(" ") for p in parts]
    if not all(crc for _, _, crc in tokens):
        return [
            {"PartNumber": p.number, "ETag": f'"{t[0]}"'}
            for p, t in zip(parts, tokens, strict=True)
        ], {}
    listed = [
        {"PartNumber": p.number, "ETag": f'"{etag}"', "ChecksumCRC32C": crc}
        for p, (etag, _, crc) in zip(parts, tokens, strict=True)
    ]
    whole = combine_all(
        [(from_wire(crc), p.size) for p, (_, _, crc) in zip(parts, tokens, strict=True)]
    )
    if declared is not None and declared != whole:
        raise ProviderBadChecksum(
            f"{what}: the parts' CRC32C {to_wire(whole)} is not {to_wire(declared)}"
        )
    return listed, {"ChecksumCRC32C": to_wire(whole), "ChecksumType": "FULL_OBJECT"}


def _blocks(reader: IterReader, part: int) -> Iterator[bytes]:
    while block := reader.read(part):
        yield block


def _prepend(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """``head``'s blocks (taken out of it one by one, so none stays referenced here once
    handed over), then ``rest``'s."""
    while head:
        yield head.pop(0)
    yield from rest


class StreamedUpload:
    """One streamed write of ``key`` (see the module docstring). ``extra``: ContentType and
    Metadata; ``conditions``: :func:`condition_args`."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        key: str,
        *,
        extra: dict[str, Any],
        conditions: dict[str, str],
        concurrency: int,
        in_memory: int,
    ) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.key = key
        self.extra = extra
        self.conditions = conditions
        self.concurrency = max(1, concurrency)
        self.in_memory = max(self.concurrency, in_memory)

    def run(self, reader: IterReader, part_size: int) -> None:
        """Read ``reader`` to its end and store it (one PutObject, or a multipart upload).
        Raises what the reader raised (the upload aborted) or botocore's errors."""
        part = part_size_for(part_size, reader.size)
        blocks = _blocks(reader, part)
        first = next(blocks, b"")
        second = next(blocks, None) if len(first) == part else None
        if second is None:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=first,
                ContentLength=len(first),
                ChecksumCRC32C=to_wire(crc32c(first)),
                **self.extra,
                **self.conditions,
            )
            return
        head = [first, second]
        del first, second  # each held until sent, not for the whole upload
        self._multipart(_prepend(head, blocks))

    def _multipart(self, blocks: Iterator[bytes]) -> None:
        created = self.s3.create_multipart_upload(
            Bucket=self.bucket, Key=self.key, **FULL_OBJECT, **self.extra
        )
        upload = str(created["UploadId"])
        try:
            parts = self._send_parts(upload, blocks)
            whole = combine_all([(crc, size) for _, _, crc, size in parts])
            self.s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": n, "ETag": etag, "ChecksumCRC32C": to_wire(crc)}
                        for n, etag, crc, _ in parts
                    ]
                },
                ChecksumCRC32C=to_wire(whole),
                ChecksumType="FULL_OBJECT",
                **self.conditions,
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload)
            raise

    def _send_parts(self, upload: str, blocks: Iterator[bytes]) -> list[tuple[int, str, int, int]]:
        """UploadPart every block (``concurrency`` at a time, at most ``in_memory`` read
        ahead); ``(number, etag, crc, size)`` per part, in order. Stops at the first failure
        (the reader's or a part's) and raises it."""
        done: list[tuple[int, str, int, int]] = []
        pending: set[Future[tuple[int, str, int, int]]] = set()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="s3-part") as pool:
            try:
                for number, block in enumerate(blocks, start=1):
                    pending.add(pool.submit(self._part, upload, number, block))
                    del block
                    while len(pending) >= self.in_memory:
                        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                        done += [f.result() for f in finished]
                finished, pending = wait(pending)
                done += [f.result() for f in finished]
            finally:
                for future in pending:
                    future.cancel()
        return sorted(done)

    def _part(self, upload: str, number: int, block: bytes) -> tuple[int, str, int, int]:
        crc = crc32c(block)
        r = self.s3.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=upload,
            PartNumber=number,
            Body=block,
            ContentLength=len(block),
            ChecksumCRC32C=to_wire(crc),
        )
        return number, str(r["ETag"]), crc, len(block)


def streamed_upload(
    s3: Any,
    bucket: str,
    key: str,
    extra: dict[str, Any],
    condition: WriteCondition | None,
    reader: IterReader,
    part_size: int | None = None,
) -> None:
    """Store ``reader``'s bytes as ``key`` (:class:`StreamedUpload`) in parts of
    ``part_size`` bytes (None: :data:`PART_SIZE`), :data:`CONCURRENCY` in flight and at most
    :data:`IN_MEMORY_PARTS` in memory, fewer when parts are larger than the default (an
    export's chosen part size, or a body so large that 10000 parts need larger ones). Raises
    what the reader raised, or botocore's errors."""
    part = part_size_for(part_size or PART_SIZE, reader.size)
    fit = max(1, IN_MEMORY_PARTS * PART_SIZE // part)
    upload = StreamedUpload(
        s3,
        bucket,
        key,
        extra=extra,
        conditions=condition_args(condition),
        concurrency=min(CONCURRENCY, fit),
        in_memory=min(IN_MEMORY_PARTS, fit),
    )
    upload.run(reader, part)
