"""``BlobWriter``: ``blob.open("wb")``, a file object that uploads as it is written.

Writes are buffered up to ``part_size``. If ``close()`` finds everything still in the buffer,
the blob goes up in one PUT; otherwise a multipart upload was started when the buffer first
filled and full parts were sent in the background (at most ``max_concurrency`` in flight, so
memory stays under ``(max_concurrency + 1) * part_size``); ``close()`` sends the rest and
completes. The blob appears only when ``close()`` succeeds. Leaving a ``with`` block by an
exception, ``abort()``, or dropping an unclosed writer aborts the upload: nothing is created.
"""

from __future__ import annotations

import io
import json
import threading
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING

from ..types import BlobInfo, arg, opt
from .bodies import BytesBody
from .context import DEFAULT_PART_SIZE
from .crc import combine_all, crc32c, to_wire
from .parts import abort_upload, complete_upload, create_upload, put_part

if TYPE_CHECKING:
    from ..types import Session
    from .target import BlobTarget


class BlobWriter(io.RawIOBase):
    """A writable file object that uploads to one blob as it is written (see the
    module docstring). ``part_size``: the buffer and part size (raised to the server's minimum);
    ``max_concurrency``: parts in flight; ``content_type``, ``metadata``: stored with the blob;
    ``if_none_match="*"``: create only (the commit raises ``PreconditionFailedError``, a
    ``FileExistsError``, when the blob exists). The blob appears when ``close()`` succeeds."""

    def __init__(
        self,
        blob: BlobTarget,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        max_concurrency: int = 4,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        if_none_match: str | None = None,
    ) -> None:
        super().__init__()
        self.blob = blob
        self.name = blob.key
        self.part_size = part_size
        self.max_concurrency = max_concurrency
        self.content_type = content_type
        self.metadata = dict(metadata or {})
        self.if_none_match = if_none_match
        self.info: BlobInfo | None = None  # the stored blob, once closed
        self._buf = bytearray()
        self._written = 0
        self._upload_id: str | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._parts: list[tuple[int, Future[str]]] = []
        self._crcs: dict[int, tuple[int, int]] = {}  # part number -> (CRC32C, length)
        self._slots = threading.Semaphore(max_concurrency)
        self._aborted = False

    # -- io.RawIOBase ------------------------------------------------------------------------
    def writable(self) -> bool:
        """Always ``True``."""
        return True

    def tell(self) -> int:
        """The number of bytes written so far."""
        return self._written

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Buffer ``b``; full parts go up in the background. Returns ``len(b)``.
        Raises ``ValueError`` once closed, or the error of a part that failed."""
        if self.closed:
            raise ValueError("write to a closed BlobWriter")
        view = memoryview(b).cast("B")
        self._buf += view
        self._written += len(view)
        while len(self._buf) >= self.part_size:
            if self._upload_id is None:
                self._upload_id = self._start()  # may raise part_size to the server's minimum
                continue
            data = bytes(self._buf[: self.part_size])
            del self._buf[: self.part_size]
            self._send_part(data)
        return len(view)

    def close(self) -> None:
        """Upload what is left and commit the blob (a no-op when already closed)."""
        if self.closed:
            return
        try:
            if not self._aborted:
                self.info = self._commit()
        except BaseException:
            self._abort_quietly()
            raise
        finally:
            self._shutdown()
            super().close()

    def abort(self) -> None:
        """Drop everything written; the blob is not created or changed."""
        if self.closed:
            return
        self._abort_quietly()
        self._shutdown()
        super().close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.abort()
        else:
            self.close()

    def __del__(self) -> None:
        if not getattr(self, "closed", True):
            warnings.warn(
                f"BlobWriter for {self.name!r} dropped without close(): nothing was stored",
                ResourceWarning,
                stacklevel=2,
            )
            self.abort()

    # -- internals ---------------------------------------------------------------------------
    @property
    def _client(self) -> Session:
        return self.blob.bucket.client

    def _meta_header(self) -> str | None:
        return json.dumps(self.metadata, separators=(",", ":")) if self.metadata else None

    def _start(self) -> str:
        upload = create_upload(
            self._client,
            self.blob.bucket.ref,
            self.blob.key,
            content_type=self.content_type,
            metadata=self.metadata,
            if_none_match=self.if_none_match,
        )
        min_part = opt(upload.min_part_size) or 0
        if self.part_size < min_part:
            self.part_size = min_part  # the buffer simply fills further before the next part
        self._pool = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="bucketry-writer")
        return upload.id

    def _send_part(self, data: bytes) -> None:
        number = len(self._parts) + 1
        self._slots.acquire()  # bounded memory: wait while max_concurrency parts are in flight
        assert self._pool is not None
        future = self._pool.submit(self._put_part, number, data)
        future.add_done_callback(lambda _: self._slots.release())
        self._parts.append((number, future))
        if future.done() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]

    def _put_part(self, number: int, data: bytes) -> str:
        assert self._upload_id is not None
        crc = crc32c(data)
        self._crcs[number] = (crc, len(data))
        part = put_part(
            self._client,
            self.blob.bucket.ref,
            self._upload_id,
            number,
            lambda: BytesBody(data),
            crc32c=to_wire(crc),
            retry=True,
        )
        return part.etag

    def _commit(self) -> BlobInfo:
        client = self._client
        ref = self.blob.bucket.ref
        if self._upload_id is None:
            data = bytes(self._buf)
            model = client.call(
                client.api.blobs.put,
                ref,
                key=self.blob.key,
                body=data,
                content_type=arg(self.content_type),
                x_checksum_crc32c=to_wire(crc32c(data)),
                x_blob_metadata=arg(self._meta_header()),
                if_none_match=arg(self.if_none_match),
            )
            return BlobInfo.from_model(model)
        if self._buf or not self._parts:
            data = bytes(self._buf)
            self._buf.clear()
            number = len(self._parts) + 1
            self._parts.append((number, _done(self._put_part(number, data))))
        etags = [(n, f.result()) for n, f in self._parts]
        full = combine_all([self._crcs[n] for n, _ in sorted(etags)])
        info = complete_upload(client, ref, self._upload_id, etags, crc32c=to_wire(full))
        self._upload_id = None
        return info

    def _abort_quietly(self) -> None:
        self._aborted = True
        upload_id, self._upload_id = self._upload_id, None
        self._buf.clear()
        for _, fut in self._parts:
            fut.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if upload_id is not None:
            abort_upload(self._client, self.blob.bucket.ref, upload_id, quiet=True)

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _done(value: str) -> Future[str]:
    future: Future[str] = Future()
    future.set_result(value)
    return future
