"""One file, one streamed PUT (files up to the multipart threshold)."""

from __future__ import annotations

import json
import mimetypes
import os
from pathlib import Path

from ..types import BlobInfo, arg
from .bodies import BytesBody, FileSlice
from .checksums import BUFFERED_MAX, digest_bytes, digest_range, read_with_digest, split_headers
from .context import SMALL_FILE, TransferContext, TransferOptions
from .folders import LocalFile
from .mtimes import MTIME_KEY, format_mtime
from .retry import with_retries
from .tracking import PartCounter


class FileChangedError(OSError):
    """The local file changed while it was being uploaded."""


def blob_metadata(
    options: TransferOptions, mtime_ns: int | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The metadata stored with an uploaded blob: the source mtime, our resume markers, then
    the caller's metadata (which wins on a clash)."""
    meta: dict[str, str] = {}
    if mtime_ns is not None:
        meta[MTIME_KEY] = format_mtime(mtime_ns)
    meta.update(extra or {})
    meta.update(options.metadata or {})
    return meta


def content_type_for(options: TransferOptions, path: Path | None) -> str | None:
    """The content type to store: ``options.content_type``, else guessed from
    the file name, else ``None`` (the server's default)."""
    if options.content_type is not None:
        return options.content_type
    if path is None:
        return None
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed


def put_file(ctx: TransferContext, f: LocalFile, key: str, counter: PartCounter) -> BlobInfo:
    """Upload ``f`` with one PUT carrying its checksum (``options.checksum``: CRC32C by
    default, verified by the server). Files up to ``BUFFERED_MAX`` are read once, 1 MiB at a
    time, into memory, their checksum computed from the chunks as they are read, and sent (and
    retried) from there; a larger one (up to ``multipart_threshold``: 64 MiB by default) is hashed
    first and streamed from the file, each attempt re-reading it. Raises
    ``FileChangedError`` when the file changes size meanwhile, the API error otherwise."""
    client, api, opts = ctx.client, ctx.client.api, ctx.options
    algorithm = opts.algorithm
    meta = json.dumps(blob_metadata(opts, f.mtime_ns), separators=(",", ":"))
    ctype = arg(content_type_for(opts, f.path))
    if f.size <= SMALL_FILE:
        data = f.path.read_bytes()
        if len(data) != f.size:
            raise FileChangedError(f"{f.path} changed size while uploading")
        crc, sha = split_headers(algorithm, digest_bytes(data, algorithm) if algorithm else None)
        model = client.call(
            api.blobs.put,
            ctx.ref,
            key=key,
            body=data,
            content_type=ctype,
            x_blob_metadata=meta,
            if_none_match=arg(opts.if_none_match),
            x_checksum_crc32c=arg(crc),
            x_checksum_sha256=arg(sha),
        )
        counter.complete(f.size)
        return BlobInfo.from_model(model)
    fd = os.open(f.path, os.O_RDONLY)
    try:
        if os.fstat(fd).st_size != f.size:
            raise FileChangedError(f"{f.path} changed size while uploading")
        chunks: memoryview | None = None
        digest: str | None = None
        if f.size <= BUFFERED_MAX:
            chunks, running = read_with_digest(fd, 0, f.size, algorithm)
            digest = running.wire() if running is not None else None
        elif algorithm:
            digest = digest_range(fd, 0, f.size, algorithm)
        headers = split_headers(algorithm, digest)

        def attempt() -> BlobInfo:
            counter.new_attempt()
            body: BytesBody | FileSlice
            if chunks is not None:
                body = BytesBody(chunks, on_bytes=counter, cancel=ctx.cancel)
            else:
                body = FileSlice(fd, 0, f.size, on_bytes=counter, cancel=ctx.cancel)
            model = client.call(
                api.blobs.put,
                ctx.ref,
                key=key,
                body=body,
                content_type=ctype,
                x_blob_metadata=meta,
                if_none_match=arg(opts.if_none_match),
                x_checksum_crc32c=arg(headers[0]),
                x_checksum_sha256=arg(headers[1]),
            )
            return BlobInfo.from_model(model)

        return with_retries(client, attempt)
    finally:
        os.close(fd)
