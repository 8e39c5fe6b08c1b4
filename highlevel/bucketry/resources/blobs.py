"""Blobs: ``BlobInfo`` (a listing entry) and ``Blob`` (a local handle on one key)."""

from __future__ import annotations

import io
import json
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Unpack, overload

from bucketry_api.models import BlobCopy, SignedUrlItem, SignedUrlRequest

from ..errors import ApiError, NotFoundError, about
from ..transfer.options import TransferOptions, TransferSettings, resolve_options
from ..types import BlobInfo, Session, arg
from ..uri import is_bucket_uri, parse_uri

__all__ = ["Blob", "BlobInfo", "BlobReader"]

if TYPE_CHECKING:
    from ..progress import ProgressCallback
    from ..transfer import BlobWriter, TransferReport
    from ..transfer.target import Target
    from .zips import ZipArchive


class Blob:
    """A handle on ``bucket``/``key``. Creating it makes no request; each method makes the
    calls it needs."""

    def __init__(self, bucket: Target, key: str) -> None:
        if not key:
            raise ValueError("a blob key must not be empty")
        self.bucket = bucket
        self.key = key

    def __repr__(self) -> str:
        return f"Blob({self.bucket.ref!r}, {self.key!r})"

    @property
    def _client(self) -> Session:
        return self.bucket.client

    def stat(self) -> BlobInfo:
        """Size, ETag, type, checksum and times (raises ``NotFoundError``)."""
        client = self._client
        _, response = client.call_raw(client.api.blobs.head, self.bucket.ref, key=self.key)
        headers = response.headers
        from email.utils import parsedate_to_datetime

        modified = headers.get("last-modified")
        meta_header = headers.get("x-blob-metadata")
        return BlobInfo(
            key=self.key,
            size=int(headers.get("content-length", 0)),
            etag=headers.get("etag"),
            content_type=headers.get("x-content-type") or headers.get("content-type"),
            sha256=headers.get("x-checksum-sha256"),
            crc32c=headers.get("x-checksum-crc32c"),
            metadata=json.loads(meta_header) if meta_header else {},
            modified_at=parsedate_to_datetime(modified) if modified else None,
        )

    def exists(self) -> bool:
        """Whether the blob exists (one HEAD; ``False`` on 404). Other errors raise."""
        try:
            self.stat()
        except NotFoundError:
            return False
        return True

    def read_bytes(self) -> bytes:
        """The whole content (for small blobs; use ``open()`` or ``download()`` for big ones)."""
        client = self._client
        with client.stream(client.api.blobs.get_stream, self.bucket.ref, key=self.key) as response:
            data: bytes = response.read()
        return data

    def read_text(self, encoding: str = "utf-8") -> str:
        """The whole content decoded with ``encoding``. Raises ``NotFoundError`` naming
        ``bkt://bucket/key`` when missing, ``UnicodeDecodeError`` for other bytes."""
        return self.read_bytes().decode(encoding)

    def write_bytes(
        self, data: bytes, *, content_type: str | None = None, if_none_match: str | None = None
    ) -> BlobInfo:
        """Store ``data`` (small payloads; ``upload()`` streams files) and return the stored
        blob's info. ``if_none_match="*"``: create only, in the same request; raises
        ``PreconditionFailedError`` (a ``FileExistsError``) when the blob exists. The bytes are
        verified by the server against their CRC32C."""
        from ..transfer.crc import crc32c, to_wire

        client = self._client
        model = client.call(
            client.api.blobs.put,
            self.bucket.ref,
            key=self.key,
            body=data,
            content_type=arg(content_type),
            x_checksum_crc32c=to_wire(crc32c(data)),
            if_none_match=arg(if_none_match),
        )
        return BlobInfo.from_model(model)

    def write_text(self, text: str, encoding: str = "utf-8") -> BlobInfo:
        """Store ``text`` encoded with ``encoding`` (content type ``text/plain``); returns
        the stored blob's info. Raises the API error of the PUT."""
        return self.write_bytes(
            text.encode(encoding), content_type=f"text/plain; charset={encoding}"
        )

    @overload
    def open(self, mode: Literal["rb"] = "rb", *, read_ahead: int = ...) -> BlobReader: ...
    @overload
    def open(self, mode: Literal["wb"], *, read_ahead: int = ...) -> BlobWriter: ...
    def open(
        self, mode: str = "rb", *, read_ahead: int = 8 * 1024 * 1024
    ) -> BlobReader | BlobWriter:
        """``"rb"``: a seekable file object reading by ranges; ``"wb"``: a streaming writer
        (multipart as it grows) whose blob appears when it is closed without error."""
        if mode == "rb":
            return BlobReader(self, max_window=read_ahead)
        if mode == "wb":
            from ..transfer import BlobWriter

            return BlobWriter(self)
        raise ValueError("mode must be 'rb' or 'wb'")

    def upload(
        self,
        src: str | PathLike[str],
        *,
        progress: bool | ProgressCallback | None = None,
        options: TransferOptions | None = None,
        **settings: Unpack[TransferSettings],
    ) -> TransferReport:
        """Upload the file ``src`` to this key (``options``/keywords: the fields of
        :class:`~bucketry.TransferOptions`; an unknown one raises ``TypeError``)."""
        from ..transfer import upload

        return upload(
            self.bucket,
            Path(src),
            self.key,
            progress=progress,
            options=resolve_options(options, settings),
        )

    def download(
        self,
        dst: str | PathLike[str],
        *,
        continue_: bool = False,
        progress: bool | ProgressCallback | None = None,
        options: TransferOptions | None = None,
        **settings: Unpack[TransferSettings],
    ) -> TransferReport:
        """Download this blob to ``dst`` (a file, or a folder to put it in); ``continue_``
        resumes a partial download. ``options``/keywords as for :meth:`upload`."""
        from ..transfer import download

        return download(
            self.bucket,
            self.key,
            Path(dst),
            continue_=continue_,
            progress=progress,
            options=resolve_options(options, settings),
        )

    def delete(self, *, if_match: str | None = None) -> None:
        """Delete the blob; ``if_match``: only if its ETag is still this one. Raises
        ``NotFoundError`` (naming ``bkt://bucket/key``) when missing, ``PreconditionFailedError``
        when ``if_match`` no longer matches."""
        client = self._client
        client.call(client.api.blobs.delete, self.bucket.ref, key=self.key, if_match=arg(if_match))

    def copy_to(
        self, dst: Target | Blob | str, key: str | None = None, *, overwrite: bool = True
    ) -> Blob:
        """Server-side copy: ``blob.copy_to(other_bucket, "k")``, ``blob.copy_to("new/key")``
        (same bucket), ``blob.copy_to("bkt://other/k")`` or ``blob.copy_to(other_blob)``; ``overwrite=False`` keeps an existing
        destination. Returns the destination blob. Raises the API error (``NotFoundError``
        for a missing source, ``PreconditionFailedError`` for an existing destination
        without ``overwrite``), its message naming both ``bkt://bucket/key``."""
        target_bucket: Target
        if isinstance(dst, Blob):
            target_bucket, target_key = dst.bucket, dst.key
        elif isinstance(dst, str) and is_bucket_uri(dst):
            uri = parse_uri(dst)
            if not uri.key:
                raise ValueError(f"{dst} names a bucket; give bkt://BUCKET/KEY")
            from .buckets import Bucket

            target_bucket, target_key = Bucket(self._client, uri.bucket), uri.key
        elif isinstance(dst, str):
            target_bucket, target_key = self.bucket, dst
        else:
            target_bucket, target_key = dst, key or self.key
        body = BlobCopy(
            source_bucket=self.bucket.ref, source_key=self.key, key=target_key, overwrite=overwrite
        )
        client = self._client
        try:
            client.call(client.api.blobs.copy, target_bucket.ref, body=body)
        except ApiError as exc:
            what = (
                f"copy bkt://{self.bucket.ref}/{self.key} -> bkt://{target_bucket.ref}/{target_key}"
            )
            raise about(exc, what) from None
        return Blob(target_bucket, target_key)

    def zip(self) -> ZipArchive:
        """This blob as a zip archive: ``.list(path, recursive=...)`` its members and
        ``.open(member)`` / ``.read(member)`` one of them, without downloading the archive
        (no request until you call one)."""
        from .zips import ZipArchive

        return ZipArchive(self)

    def signed_url(self, expires_in: int = 3600, method: Literal["GET", "PUT"] = "GET") -> str:
        """An absolute URL that works without a token until it expires."""
        client = self._client
        body = SignedUrlRequest(
            items=[SignedUrlItem(key=self.key, method=method, expires_in=expires_in)]
        )
        result = client.call(client.api.blobs.sign, self.bucket.ref, body=body)
        url: str = result.results[0].url
        return url if "://" in url else f"{client.url}{url}"


class BlobReader(io.RawIOBase):
    """A read-only, seekable file over ranged GETs.

    Reads are served from a window buffer; sequential reading doubles the window (from 256 KiB
    up to ``max_window``) so a scan makes few large requests, while random access (a parquet
    footer, a zip member) fetches little. Every range is pinned to the ETag seen at open time,
    so a blob replaced mid-read raises ``PreconditionFailedError`` instead of mixing versions.
    """

    MIN_WINDOW = 256 * 1024

    def __init__(self, blob: Blob, *, max_window: int = 8 * 1024 * 1024) -> None:
        super().__init__()
        self.blob = blob
        info = blob.stat()
        self.size = info.size
        self.etag = info.etag
        self.name = blob.key
        self._pos = 0
        self._buf = b""
        self._buf_start = 0
        self._window = self.MIN_WINDOW
        self._max_window = max(max_window, self.MIN_WINDOW)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        if pos != self._pos:
            self._window = self.MIN_WINDOW  # random access: start small again
        self._pos = pos
        return pos

    def _fill(self, want: int) -> None:
        start = self._pos
        length = min(max(want, self._window), self.size - start)
        client = self.blob.bucket.client
        with client.stream(
            client.api.blobs.get_stream,
            self.blob.bucket.ref,
            key=self.blob.key,
            range_=f"bytes={start}-{start + length - 1}",
            if_match=arg(self.etag),
        ) as response:
            self._buf = response.read()
        self._buf_start = start
        self._window = min(self._window * 2, self._max_window)

    def readinto(self, b: Any) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        view = memoryview(b).cast("B")
        if self._pos >= self.size or len(view) == 0:
            return 0
        offset = self._pos - self._buf_start
        if not (0 <= offset < len(self._buf)):
            self._fill(len(view))
            offset = 0
        n = min(len(view), len(self._buf) - offset)
        view[:n] = self._buf[offset : offset + n]
        self._pos += n
        return n

    def readall(self) -> bytes:
        chunks = []
        while self._pos < self.size:
            chunk = self.read(max(self._max_window, 1))
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
