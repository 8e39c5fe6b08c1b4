"""Multipart uploads of files: parallel parts, per-part checksums (CRC32C by default),
resume of an interrupted upload.

- The part size is ``options.part_size_for(size)`` (by default about 8 parts of 8-128 MiB:
  few parts, since the server's cost per part is fixed), raised to the server's
  ``min_part_size`` (read from the Upload it returns) and grown so a file needs at most
  ``max_parts`` (10,000) parts. It is the grid of part numbers: part ``n`` starts at
  ``(n - 1) * part_size``. With the automatic size (no ``part_size`` given, CRC32C or no
  checksum), once the first part showed a fast link the parts still to send are merged into
  parts of up to :data:`MAX_MERGED_PART` spanning several slots of the grid (a 1 GiB file on
  loopback: part 1 of 128 MiB, then part 2 of 896 MiB): one stream gains nothing from small
  parts, and each costs the server a commit. Never beyond the upload's
  ``preferred_max_part_size``: a server that holds each part whole before storing it (an S3
  store) asks for smaller parts, so that concurrent uploads do not fill its spool; one that
  does not say (older than the field) may hold them too, so nothing is merged there.
- Each part streams from its slice of the file (``os.pread``, 1 MiB at a time, never held
  whole: memory does not grow with the part size), its CRC32C computed from exactly the bytes
  sent. The server measures every part's CRC32C as it stores it and returns it; a part whose
  CRC differs from ours (corrupted on the way) is sent again from the file. A retry on
  5xx/connection errors re-reads the slice. Parts run on the call's pool over the one pooled
  client, ``max_concurrency`` at a time, or one at a time once the first part showed a fast
  link (:mod:`.streams`: there a second stream only splits the CPUs both sides share). With
  ``checksum="sha256"`` a part is read whole first instead (the SHA-256 header must precede
  the body; the server verifies it).
- The upload records the file's size (``size``), mtime and the part size (metadata). An
  interrupted upload (an exception, ``KeyboardInterrupt``, a crash) stays open; rerunning the
  same upload finds it (same key, size, mtime), asks which parts arrived and sends only the
  missing ones (a received part is reused when its size and CRC32C, or SHA-256 for a part
  stored without one, match the local bytes, never on its size alone; a merged one is found
  at its slot). ``resumed`` says whether any part was reused.
- An upload is aborted only when it cannot be resumed usefully: a 4xx refusal (the file
  changed under us, a failed precondition, no permission).
- Completion lists the parts in order with the full-object CRC32C combined from the parts'
  (``crc.combine_all``, no byte read again); the server checks the declared size, every
  part's ETag and that CRC (which it combines from the part CRCs it measured), and returns
  the blob. No whole-file SHA-256 is sent: it would need a full sequential pass first.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from bucketry_api.models import Upload as UploadModel
from bucketry_api.models import UploadPart as UploadPartModel

from .._transport import RETRY_STATUSES
from ..errors import ApiError, IntegrityError, NotFoundError
from ..types import BlobInfo, opt
from .bodies import AnyFlag, BytesBody, FileSlice, OnBytes, TransferCancelled
from .checksums import Digest, digest_range, read_with_digest
from .context import TransferContext
from .crc import combine_all, from_wire, to_wire
from .folders import LocalFile, remote_one
from .mtimes import MTIME_KEY, format_mtime
from .partplan import (
    MAX_MERGED_PART,
    PartSpec,
    ReceivedPart,
    choose_part_size,
    merge_parts,
    plan_parts,
)
from .parts import (
    abort_upload,
    complete_upload,
    create_upload,
    iter_uploads,
    put_part,
    upload_metadata,
)
from .retry import with_retries
from .single import blob_metadata, content_type_for
from .streams import Lane, submit_parts
from .tracking import PartCounter

if TYPE_CHECKING:
    from ..types import Session

PART_SIZE_KEY = "bucketry-part-size"
DEFAULT_MAX_PARTS = 10_000
#: Sends of one part the server measured differently from us before giving up.
MAX_CORRUPT_SENDS = 3

#: min_part_size last seen per client, so later uploads pick a valid size up front.
_min_part_size: weakref.WeakKeyDictionary[Session, int] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class MultipartOutcome:
    """The stored blob, the bytes this run sent, and whether it resumed an earlier run
    (reused at least one part the server held; an open upload holding none, or none that
    matched, is not a resume)."""

    info: BlobInfo
    sent: int  # bytes sent by this run
    resumed: bool  # parts sent by an earlier run were reused


def _usable(upload: UploadModel, size: int, chosen: int | None) -> bool:
    """Whether the part size ``upload`` recorded is a grid the server will complete for a
    file of ``size`` bytes: a whole number above 0, at least the server's ``min_part_size``
    (unless the file is one part), needing at most its ``max_parts`` parts; and, when the
    caller chose a part size (``chosen``), the one that choice gives on this server (a part
    size set, say, to keep each request under a proxy's limit is never overridden by a grid
    an earlier run recorded)."""
    recorded = upload_metadata(upload)[PART_SIZE_KEY]
    if not (recorded.isascii() and recorded.isdigit()) or int(recorded) == 0:
        return False
    part = int(recorded)
    min_part = opt(upload.min_part_size) or 0
    max_parts = opt(upload.max_parts) or DEFAULT_MAX_PARTS
    if part < min_part and size > part:
        return False
    # One part either way (the file fits both) is no other layout.
    want = None if chosen is None else choose_part_size(size, chosen, min_part, max_parts)
    if want is not None and min(want, size) != min(part, size):
        return False
    return math.ceil(size / part) <= max_parts


def _held(upload: UploadModel) -> int:
    """The bytes the parts of ``upload`` hold."""
    return sum(p.size for p in upload.parts)


def find_resumable(ctx: TransferContext, f: LocalFile, key: str) -> UploadModel | None:
    """An open upload of ``key`` made by us for this very file (size and mtime match, a part
    size the server takes and, if the call sets ``part_size``, the one it gives:
    :func:`_usable`), the one holding the most bytes when there are several (merged parts:
    fewer parts may hold more); the others of ours for the same key (stale, the file changed
    since, another part size) are aborted."""
    mtime = format_mtime(f.mtime_ns)
    best: UploadModel | None = None
    stale: list[str] = []
    for u in iter_uploads(ctx.client, ctx.ref, key=key):
        meta = upload_metadata(u)
        if u.key != key or PART_SIZE_KEY not in meta:
            continue
        usable = _usable(u, f.size, ctx.options.part_size)
        if opt(u.size) == f.size and meta.get(MTIME_KEY) == mtime and usable:
            if best is None or _held(u) > _held(best):
                if best is not None:
                    stale.append(best.id)
                best = u
            else:
                stale.append(u.id)
        else:
            stale.append(u.id)
    for upload_id in stale:
        abort_upload(ctx.client, ctx.ref, upload_id, quiet=True)
    return best


def _create(ctx: TransferContext, f: LocalFile, key: str, part_size: int) -> UploadModel:
    opts = ctx.options
    return create_upload(
        ctx.client,
        ctx.ref,
        key,
        content_type=content_type_for(opts, f.path),
        metadata=blob_metadata(opts, f.mtime_ns, {PART_SIZE_KEY: str(part_size)}),
        size=f.size,
        if_none_match=opts.if_none_match,
    )


def start_upload(ctx: TransferContext, f: LocalFile, key: str) -> tuple[UploadModel, int]:
    """The upload to use (an open one made for this very file, else a new one) and its part
    size."""
    client = ctx.client
    found = find_resumable(ctx, f, key)
    if found is not None:
        return found, int(upload_metadata(found)[PART_SIZE_KEY])
    requested = ctx.options.part_size_for(f.size)
    part_size = choose_part_size(
        f.size, requested, _min_part_size.get(client, 0), DEFAULT_MAX_PARTS
    )
    upload = _create(ctx, f, key, part_size)
    min_part = opt(upload.min_part_size) or 0
    max_parts = opt(upload.max_parts) or DEFAULT_MAX_PARTS
    _min_part_size[client] = min_part
    wanted = choose_part_size(f.size, requested, min_part, max_parts)
    if wanted != part_size and f.size > part_size:  # our guess was below the server's minimum
        abort_upload(client, ctx.ref, upload.id)
        upload = _create(ctx, f, key, wanted)
        part_size = wanted
    return upload, part_size


@dataclass(frozen=True)
class SentPart:
    """A part done: its ETag, its CRC32C and length (for the full-object CRC), and whether
    this run sent it (False: the server's copy was reused)."""

    etag: str
    crc32c: int | None
    length: int
    sent: bool = True


def _matches(have: ReceivedPart, spec: PartSpec, local: Callable[[str], str]) -> bool:
    """Whether the server's copy of a part provably holds our bytes: its size, then its
    CRC32C or SHA-256, whichever it has, against ``local(algorithm)`` (the wire form of that
    checksum of our bytes). A copy the server tells no checksum of proves nothing (the same
    size is not the same bytes), so it is sent again, whatever ``checksum`` the call uses."""
    if have.size != spec.length:
        return False
    for algorithm, theirs in (("crc32c", have.crc32c), ("sha256", have.sha256)):
        if theirs is None:
            continue
        return local(algorithm) == (theirs if algorithm == "crc32c" else theirs.lower())
    return False


def _send_part(
    ctx: TransferContext,
    upload_id: str,
    fd: int,
    received: dict[int, ReceivedPart],
    cancel: AnyFlag,
    sent: list[int],
    spec: PartSpec,
    lane: Lane,
) -> SentPart:
    """Send one part (or reuse the server's copy): streamed from the file (CRC32C or no
    checksum), or read whole first (SHA-256, whose header must precede the body). The part
    streams in its ``lane``'s turn (:mod:`.streams`), which it frees once its bytes have gone
    and when it ends in any way."""
    try:
        if cancel.is_set():  # a sibling failed or the call was interrupted: start nothing new
            raise TransferCancelled(f"part {spec.number} not started: transfer cancelled")
        have = received.get(spec.number)
        if ctx.options.algorithm == "sha256":
            part = _send_buffered(ctx, upload_id, fd, spec, have, cancel, lane)
        else:
            part = _send_streamed(ctx, upload_id, fd, spec, have, cancel, lane)
    finally:
        lane.end()
    if part.sent:
        sent.append(spec.length)
    return part


def _lane_counter(counter: PartCounter, lane: Lane) -> OnBytes:
    """``counter``, also telling ``lane`` of the bytes that went out."""

    def on_bytes(amount: int) -> None:
        counter(amount)
        lane.moved(amount)

    return on_bytes


def _reused(have: ReceivedPart, spec: PartSpec, crc: int | None) -> SentPart:
    """The server's copy of a part, reused (its CRC32C, else ours, for the full-object one)."""
    return SentPart(have.etag, from_wire(have.crc32c) if have.crc32c else crc, spec.length, False)


def _send_streamed(
    ctx: TransferContext,
    upload_id: str,
    fd: int,
    spec: PartSpec,
    have: ReceivedPart | None,
    cancel: AnyFlag,
    lane: Lane,
) -> SentPart:
    """Stream a part from the file in 1 MiB reads (never held whole; each attempt re-reads
    its slice), its CRC32C computed from exactly the bytes sent and compared with the one the
    server measured and returns: a part that differs (corrupted on the way) is sent again, at
    most ``MAX_CORRUPT_SENDS`` times, then ``IntegrityError``. A server that reports no CRC
    gets the part once more with ours up front (``X-Checksum-CRC32C``, verified as it
    arrives). ``checksum=False`` sends once, unchecked."""
    client, checked = ctx.client, ctx.options.algorithm is not None
    counter = PartCounter(ctx.progress)
    if have is not None:
        cache: dict[str, str] = {}

        def local(algorithm: str) -> str:
            if algorithm not in cache:
                cache[algorithm] = digest_range(fd, spec.offset, spec.length, algorithm)
            return cache[algorithm]

        if _matches(have, spec, local):
            counter.complete(spec.length)
            crc = from_wire(local("crc32c")) if checked and not have.crc32c else None
            return _reused(have, spec, crc)
    header: str | None = None
    on_bytes = _lane_counter(counter, lane)

    def attempt() -> tuple[UploadPartModel, int | None]:
        counter.new_attempt()
        lane.enter()
        digest = Digest("crc32c") if checked else None
        body = FileSlice(
            fd, spec.offset, spec.length, on_bytes=on_bytes, cancel=cancel, digest=digest
        )
        part = put_part(client, ctx.ref, upload_id, spec.number, body, crc32c=header)
        return part, digest.crc if digest is not None else None

    for _ in range(MAX_CORRUPT_SENDS):
        part, crc = with_retries(client, attempt)
        theirs = opt(part.crc32c)
        if crc is None or (theirs is None and header is not None):
            return SentPart(part.etag, crc, spec.length)  # unchecked, or verified by the server
        if theirs is None:  # the server keeps no CRC: send it again with ours up front
            header = to_wire(crc)
            continue
        if from_wire(str(theirs)) == crc and part.size == spec.length:
            return SentPart(part.etag, crc, spec.length)
    raise IntegrityError(
        f"part {spec.number}: the server received different bytes "
        f"{MAX_CORRUPT_SENDS} times (corrupted on the way)"
    )


def _send_buffered(
    ctx: TransferContext,
    upload_id: str,
    fd: int,
    spec: PartSpec,
    have: ReceivedPart | None,
    cancel: AnyFlag,
    lane: Lane,
) -> SentPart:
    """Send a part with its SHA-256 up front: read once into memory (1 MiB reads), the
    checksum computed from the chunks as they are read, then sent, and retried, from there
    (the server verifies it as the part arrives). A part the server holds is checked from the
    file without keeping its bytes, and one it holds with other bytes is hashed from the file
    and then streamed from it, never read whole: the plan gives a held part its own size,
    which for a merged one may be up to :data:`MAX_MERGED_PART`, a size the caller never
    chose (and the reading thread would keep a buffer that large until the call ends)."""
    client = ctx.client
    counter = PartCounter(ctx.progress)
    on_bytes = _lane_counter(counter, lane)
    body: Callable[[], BytesBody | FileSlice]
    if have is not None:
        local = partial(digest_range, fd, spec.offset, spec.length)
        if _matches(have, spec, local):
            counter.complete(spec.length)
            return _reused(have, spec, None)
        sha_header = local("sha256")
        body = partial(FileSlice, fd, spec.offset, spec.length, on_bytes=on_bytes, cancel=cancel)
    else:
        chunks, running = read_with_digest(fd, spec.offset, spec.length, "sha256")
        sha_header = cast(Digest, running).wire()
        body = partial(BytesBody, chunks, on_bytes=on_bytes, cancel=cancel)

    def attempt() -> str:
        counter.new_attempt()
        lane.enter()
        return put_part(client, ctx.ref, upload_id, spec.number, body(), sha256=sha_header).etag

    return SentPart(with_retries(client, attempt), None, spec.length)


def _complete(
    ctx: TransferContext, upload_id: str, key: str, f: LocalFile, parts: list[tuple[int, SentPart]]
) -> BlobInfo:
    client = ctx.client
    tries = {"n": 0}
    etags = [(number, part.etag) for number, part in parts]
    full: str | None = None
    if ctx.options.algorithm == "crc32c" and all(p.crc32c is not None for _, p in parts):
        full = to_wire(combine_all([(int(p.crc32c or 0), p.length) for _, p in parts]))

    def attempt() -> BlobInfo:
        tries["n"] += 1
        try:
            return complete_upload(client, ctx.ref, upload_id, etags, crc32c=full)
        except NotFoundError:
            if tries["n"] == 1:
                raise
            # An earlier attempt completed it but its answer was lost: check the blob.
            info = remote_one(ctx.target, key)
            if (
                info is not None
                and info.size == f.size
                and (info.metadata.get(MTIME_KEY) == format_mtime(f.mtime_ns))
            ):
                return info
            raise

    return with_retries(client, attempt)


def first_cause(futures: list[Future[SentPart]]) -> BaseException | None:
    """The failure of the done ``futures`` that made the others stop: the first one (in part
    order) that is not a :class:`TransferCancelled` (a part that stopped because a sibling had
    failed), else the first failure; None when none failed."""
    errors = [e for f in futures if f.done() and not f.cancelled() and (e := f.exception())]
    return next(
        (e for e in errors if not isinstance(e, TransferCancelled)), errors[0] if errors else None
    )


def gather_parts(futures: list[Future[SentPart]], stop: threading.Event) -> list[SentPart]:
    """The parts' results in order, once all are done. When one fails, ``stop`` tells the
    others to stop at their next chunk; once every part is over the failure that caused it
    is raised (:func:`first_cause`), not a sibling's cancellation that may have ended first
    (a progress callback's own exception or ``KeyboardInterrupt`` reaches the caller)."""
    wait(futures, return_when=FIRST_EXCEPTION)
    if first_cause(futures) is None:
        return [f.result() for f in futures]
    stop.set()
    wait(futures)
    raise cast(BaseException, first_cause(futures))  # one failed, so one is found


def _resumable(exc: BaseException) -> bool:
    """Keep the upload open after this error (a rerun can resume) unless it is a refusal."""
    if isinstance(exc, ApiError):
        return exc.status_code in RETRY_STATUSES or exc.status_code < 400
    return True


def upload_multipart(ctx: TransferContext, f: LocalFile, key: str) -> MultipartOutcome:
    """Upload ``f`` to ``key`` in parts (resuming an open upload made for this very
    file, sending only the parts the server lacks) and complete it. Raises ``OSError`` when the
    file changes size meanwhile, the API error of a part or of the completion otherwise;
    the upload stays open for a later resume, unless a 4xx refusal made resuming useless."""
    client = ctx.client
    upload, part_size = start_upload(ctx, f, key)
    received = {
        p.part_number: ReceivedPart(p.size, opt(p.sha256), opt(p.crc32c), p.etag)
        for p in upload.parts
    }
    specs = plan_parts(f.size, part_size, received)
    merge = None
    preferred = opt(upload.preferred_max_part_size)
    if ctx.options.part_size is None and ctx.options.algorithm != "sha256" and preferred:
        # Streamed parts: no memory cost here; the server may hold each part whole, though
        # (it says how large a part suits it; one that does not say may too: no merging).
        limit = min(MAX_MERGED_PART, preferred)
        merge = partial(merge_parts, received=received, limit=limit)
    mine = threading.Event()
    cancel = AnyFlag(mine, ctx.cancel)
    sent: list[int] = []
    fd = os.open(f.path, os.O_RDONLY)
    futures: list[Future[SentPart]] = []
    try:
        if os.fstat(fd).st_size != f.size:
            raise OSError(f"{f.path} changed size while uploading")
        part = partial(_send_part, ctx, upload.id, fd, received, cancel, sent)

        def send(spec: PartSpec, lane: Lane) -> SentPart:
            try:
                return part(spec, lane)
            except BaseException:
                mine.set()  # at once: the other parts start nothing new
                raise

        specs = submit_parts(
            ctx.part_pool(), specs, send, ctx.options.max_concurrency, futures, merge
        )
        results = gather_parts(futures, mine)
        done = [(spec.number, result) for spec, result in zip(specs, results, strict=True)]
        info = _complete(ctx, upload.id, key, f, done)
    except BaseException as exc:
        mine.set()
        for fut in futures:
            fut.cancel()
        wait(futures)  # in-flight parts stop at their next chunk
        if not _resumable(exc):
            abort_upload(client, ctx.ref, upload.id, quiet=True)
        raise
    finally:
        if not futures or all(fut.done() for fut in futures):
            os.close(fd)
    if info.size != f.size:
        raise IntegrityError(f"{key}: stored {info.size} bytes, the file has {f.size}")
    return MultipartOutcome(info, sum(sent), any(not part.sent for part in results))
