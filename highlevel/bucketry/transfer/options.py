"""``TransferOptions``: the public settings of the transfer engine, and ``TransferSettings``,
the same fields as typed keyword arguments (``**settings: Unpack[TransferSettings]``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, TypedDict

MiB = 1024 * 1024
#: The part size of the streaming writer and fsspec files, and the least automatic one.
DEFAULT_PART_SIZE = 8 * MiB
#: ``part_size=None`` (the default) cuts a file into about this many parts...
TARGET_PARTS = 8
#: ...of whole MiB, at most this large (a part streams from the file: its size costs no memory).
MAX_AUTO_PART = 128 * MiB
#: Parts in flight by default (see ``TransferOptions.max_concurrency``).
DEFAULT_CONCURRENCY = 2
#: Files up to this size go in one PUT (measured: cheaper and faster than parts up to 64-128
#: MiB on loopback); larger ones in parallel, resumable parts.
DEFAULT_THRESHOLD = 64 * MiB
#: Files up to this size are read whole into memory for one replayable PUT (cheapest per file).
SMALL_FILE = 1 * MiB
#: Folder uploads send files up to this size in tar batches (``blobs_put_batch``)...
DEFAULT_BATCH_THRESHOLD = 1 * MiB
#: ...of at most this many files and bytes per request.
DEFAULT_BATCH_FILES = 1000
DEFAULT_BATCH_BYTES = 64 * MiB
#: Transfer checksums: ``"crc32c"`` (default), ``"sha256"``, or ``False`` (none); ``True`` means
#: the default (kept for compatibility).
Checksum = Literal["crc32c", "sha256"] | bool
CHECKSUMS = ("crc32c", "sha256")

#: The server's limits for one batch: members, bytes per member.
MAX_BATCH_FILES = 10_000
MAX_BATCH_MEMBER = 16 * MiB


@dataclass(frozen=True)
class TransferOptions:
    """How ``upload``, ``download`` and ``sync`` move bytes (like boto3's ``TransferConfig``).

    Pass one as ``options=`` or any field as a keyword (``bucket.upload(p, part_size=...)``);
    a misspelt name is a ``TypeError`` (and a mypy error). Invalid values raise ``ValueError``.

    Downloads move each file in one stream read up to 1 MiB at a time, CRC32C checked in the
    same pass: measured cheaper than ranged parallel GETs and as fast (see
    :mod:`bucketry.transfer.downloads`), so the part settings apply to uploads only.

    Attributes:
        part_size: bytes per multipart part. Default ``None``: about 8 parts per file, of
            whole MiB between 8 and 128 MiB (1 GiB: 8 x 128 MiB), because every part costs
            the server a fixed commit (a row, an fsync) while a streamed part costs the client
            no memory; with ``checksum="sha256"`` 8 MiB (those parts are read whole before
            sending). Raised to the server's minimum, and so that a file needs at most 10,000
            parts. With the automatic size and streamed parts (not SHA-256), once the first
            part showed a fast link the parts still to send are merged into parts of up to
            1 GiB, or the upload's ``preferred_max_part_size`` if smaller (a server on an S3
            store: 128 MiB by default; a server that does not say gets none merged) (1 GiB
            on loopback: 128 MiB, then 896 MiB; :mod:`~bucketry.transfer.multipart`). A size
            you set is kept, also on a rerun: an interrupted upload recorded on another part
            size is aborted, not resumed.
        multipart_threshold: files larger than this go multipart (parallel, resumable parts
            streamed from the file, each checked against the CRC32C the server measured);
            smaller ones in one PUT carrying its CRC32C. Default 64 MiB, the measured
            crossover (``scripts/bench/sdk_bench.py --sizes-mib 8,16,32,64,128,256``, 2
            cores, loopback): one PUT was faster and used less CPU up to 64 MiB (64 MiB: 318
            vs 118 MiB/s, 0.11 vs 0.21 CPU s), even at 128 MiB, and parts won from 256 MiB.
        max_concurrency: parts in flight in total, across the files of one call. Default 2,
            measured (``scripts/bench/sdk_bench.py --direction upload``, 1 GiB, loopback, 2
            cores, the server's default of one worker process per core): every further
            stream only adds CPU on both sides (4 in flight: client 0.37 vs 0.32 s, server
            1.10-1.22 vs 1.00 s per GiB, and slower). On a fast link the parts of a file
            stream one at a time anyway (:mod:`~bucketry.transfer.streams`: when the first
            part moves its first 8 MiB faster than 256 MiB/s, a second stream only splits the
            CPUs both sides share), each part's bytes starting as soon as the previous
            part's have gone; on a slower link up to ``max_concurrency`` stream together.
            Raise it for a high-latency link, where one stream cannot fill the pipe. Parts
            stream from the file in 1 MiB reads, so memory does not grow with it or with the
            part size (1 GiB upload: 47 MiB client RSS with 2 in flight, 51 MiB with 4).
        file_concurrency: files (or tar batches) in flight at once. Default 8.
        checksum: the integrity check of every transfer. ``"crc32c"`` (default; ``True``
            means it too): each body's CRC32C is computed as its bytes are read (no pass over
            the file before sending) and verified by the server, a multipart upload also sends
            the full-object CRC combined from its parts; downloads verify the blob's CRC32C in
            the same pass (its SHA-256 for blobs stored without a CRC). ``"sha256"``: the same
            with SHA-256 (slower; the server then stores the blob's SHA-256 as verified).
            ``False``: no check (a resumed upload still checks each part the server holds
            against its CRC32C or SHA-256 before reusing it).
        content_type: the type stored with uploaded blobs (default: guessed from the name).
        metadata: string metadata stored with uploaded blobs (besides the source ``mtime``).
        if_none_match: ``"*"`` makes uploads create-only (412 when the key exists).
        batch: send a folder's small files in tar batches, one request per batch. Default on.
        batch_threshold: files up to this size go in batches. Default 1 MiB.
        batch_files: at most this many files per batch. Default 1000.
        batch_bytes: at most this many bytes per batch. Default 64 MiB.
        direct: on imported buckets whose provider can sign, move the bytes between this
            machine and the provider (presigned URLs; the bearer token is never sent there)
            instead of through the server: downloads follow the server's 307, uploads of files
            up to 5000 MiB go as one PUT to a provider-signed URL (no tar batches; the source
            mtime and ``metadata`` are not stored, and downloads are not pinned to the listed
            version). Managed buckets, providers that cannot sign and larger files are
            proxied as usual. Default off.
        durable: downloads fsync each file (and its folder after the rename) before
            returning, so a power cut cannot lose a completed download. Default off, as
            aws-cli, rclone and curl: the file is still complete under its final name (written
            aside and renamed), only the kernel's write-back is not awaited.
    """

    part_size: int | None = None
    multipart_threshold: int = DEFAULT_THRESHOLD
    max_concurrency: int = DEFAULT_CONCURRENCY
    file_concurrency: int = 8
    checksum: Checksum = "crc32c"
    content_type: str | None = None
    metadata: dict[str, str] | None = None
    if_none_match: str | None = None
    batch: bool = True
    batch_threshold: int = DEFAULT_BATCH_THRESHOLD
    batch_files: int = DEFAULT_BATCH_FILES
    batch_bytes: int = DEFAULT_BATCH_BYTES
    direct: bool = False
    durable: bool = False

    def __post_init__(self) -> None:
        if (self.part_size is not None and self.part_size < 1) or self.multipart_threshold < 0:
            raise ValueError("part_size must be positive (or None) and multipart_threshold >= 0")
        if self.max_concurrency < 1 or self.file_concurrency < 1:
            raise ValueError("max_concurrency and file_concurrency must be at least 1")
        if not 0 <= self.batch_threshold <= MAX_BATCH_MEMBER:
            raise ValueError(f"batch_threshold must be between 0 and {MAX_BATCH_MEMBER}")
        if not 1 <= self.batch_files <= MAX_BATCH_FILES or self.batch_bytes < 1:
            raise ValueError(f"batch_files must be 1..{MAX_BATCH_FILES}, batch_bytes positive")
        if not isinstance(self.checksum, bool) and self.checksum not in CHECKSUMS:
            raise ValueError(f"checksum must be one of {CHECKSUMS}, True or False")

    def part_size_for(self, size: int) -> int:
        """The part size to request for a file of ``size`` bytes: ``part_size`` when set;
        else about ``TARGET_PARTS`` parts of whole MiB between 8 and 128 MiB (a 1 GiB file:
        8 x 128 MiB), or 8 MiB with ``checksum="sha256"`` (whose parts are held in memory).
        The server's minimum and 10,000 parts at most still apply on top."""
        if self.part_size is not None:
            return self.part_size
        if self.algorithm == "sha256":
            return DEFAULT_PART_SIZE
        auto = -(-size // (TARGET_PARTS * MiB)) * MiB
        return min(MAX_AUTO_PART, max(DEFAULT_PART_SIZE, auto))

    @property
    def algorithm(self) -> str | None:
        """The checksum in use: ``"crc32c"``, ``"sha256"`` or None (``checksum=False``)."""
        if self.checksum is True:
            return "crc32c"
        return self.checksum or None


class TransferSettings(TypedDict, total=False):
    """The fields of :class:`TransferOptions` as keyword arguments (every one optional)."""

    part_size: int | None
    multipart_threshold: int
    max_concurrency: int
    file_concurrency: int
    checksum: Checksum
    content_type: str | None
    metadata: dict[str, str] | None
    if_none_match: str | None
    batch: bool
    batch_threshold: int
    batch_files: int
    batch_bytes: int
    direct: bool
    durable: bool


def resolve_options(
    options: TransferOptions | None = None, settings: TransferSettings | None = None
) -> TransferOptions:
    """``options`` (default: the defaults) with the keyword ``settings`` applied on top.
    An unknown setting raises ``TypeError`` naming it; a bad value ``ValueError``."""
    base = options if options is not None else TransferOptions()
    if not settings:
        return base
    known = {f.name for f in dataclasses.fields(TransferOptions)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TypeError(
            f"unknown transfer option(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(sorted(known))}"
        )
    return dataclasses.replace(base, **settings)
