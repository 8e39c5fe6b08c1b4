"""The one multipart driver: create, send a part, complete, abort, list open uploads.

Used by the file uploads (:mod:`.multipart`), the streaming writer (:class:`.BlobWriter`) and
the ``Upload`` proxy, so the protocol (metadata, checksums, part lists, retries of parts whose
body can be rebuilt) lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeAlias

from bucketry_api.models import CompletedPart, UploadComplete, UploadCreate, UploadCreateMetadata
from bucketry_api.models import Upload as UploadModel
from bucketry_api.models import UploadPart as UploadPartModel

from ..errors import ApiError, about
from ..types import BlobInfo, Session, arg, opt
from .retry import with_retries

#: What a part's body may be: bytes, or a stream of them (``FileSlice``, ``BytesBody``).
PartBody: TypeAlias = bytes | Iterable[bytes]


def upload_metadata(upload: UploadModel) -> dict[str, str]:
    """The metadata the upload was created with (``{}`` when none)."""
    meta = opt(upload.metadata)
    return dict(meta.additional_properties) if meta is not None else {}


def create_upload(
    session: Session,
    ref: str,
    key: str,
    *,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    size: int | None = None,
    sha256: str | None = None,
    if_none_match: str | None = None,
) -> UploadModel:
    """Open a multipart upload of ``ref``/``key`` (``size``/``sha256`` are checked by the
    server at completion; ``if_none_match="*"`` makes it create-only). Raises the API error
    naming ``bkt://ref/key`` (``PreconditionFailedError`` when create-only and the key
    exists)."""
    body = UploadCreate(
        key=key,
        content_type=arg(content_type),
        metadata=arg(UploadCreateMetadata.from_dict(metadata) if metadata else None),
        size=arg(size),
        sha256=arg(sha256),
        if_none_match=arg(if_none_match),
    )
    try:
        return session.call(session.api.uploads.create, ref, body=body)
    except ApiError as exc:  # the key is in the body: the bare error names only the bucket
        raise about(exc, f"bkt://{ref}/{key}") from None


def put_part(
    session: Session,
    ref: str,
    upload_id: str,
    number: int,
    body: PartBody | Callable[[], PartBody],
    *,
    sha256: str | None = None,
    crc32c: str | None = None,
    retry: bool = False,
) -> UploadPartModel:
    """Send part ``number`` and return the server's record of it (size, checksums, ETag).

    ``body``: bytes, a stream of bytes, or a callable making a fresh one per attempt;
    ``sha256`` (hex) / ``crc32c`` (base64): checked by the server (400 ``checksum_mismatch``);
    ``retry``: repeat the call on
    5xx/connection errors (``body`` must then be bytes or a callable). Raises the API error
    (naming the upload and bucket) once retries are exhausted."""

    def attempt() -> UploadPartModel:
        data = body() if callable(body) else body
        return session.call(
            session.api.uploads.put_part,
            ref,
            upload_id,
            number,
            body=data,
            x_checksum_sha256=arg(sha256),
            x_checksum_crc32c=arg(crc32c),
        )

    return with_retries(session, attempt) if retry else attempt()


def complete_upload(
    session: Session,
    ref: str,
    upload_id: str,
    parts: Iterable[tuple[int, str]],
    *,
    crc32c: str | None = None,
) -> BlobInfo:
    """Assemble ``(part number, etag)`` pairs, in number order, into the blob; ``crc32c``
    (base64): the full-object CRC the server checks against the one it combines from the
    parts' (400 ``checksum_mismatch``)."""
    body = UploadComplete(
        parts=[CompletedPart(part_number=n, etag=e) for n, e in sorted(parts, key=lambda p: p[0])]
    )
    return BlobInfo.from_model(
        session.call(
            session.api.uploads.complete, ref, upload_id, body=body, x_checksum_crc32c=arg(crc32c)
        )
    )


def abort_upload(session: Session, ref: str, upload_id: str, *, quiet: bool = False) -> None:
    """Drop the upload and its parts (``quiet``: ignore any error, for clean-up paths)."""
    try:
        session.call(session.api.uploads.abort, ref, upload_id)
    except Exception:
        if not quiet:
            raise


def list_uploads(
    session: Session,
    ref: str,
    *,
    key: str | None = None,
    prefix: str | None = None,
    page_size: int = 100,
    cursor: str | None = None,
) -> tuple[list[UploadModel], str | None]:
    """One page of open uploads (optionally of one ``key`` or under a ``prefix``)."""
    page = session.call(
        session.api.uploads.list,
        ref,
        key=arg(key),
        prefix=arg(prefix),
        page_size=page_size,
        cursor=arg(cursor),
    )
    return list(page.results), opt(page.next_cursor)


def iter_uploads(session: Session, ref: str, *, key: str | None = None) -> Iterator[UploadModel]:
    """Every open upload of ``ref`` (of ``key`` when given), page after page."""
    cursor: str | None = None
    while True:
        page, cursor = list_uploads(session, ref, key=key, cursor=cursor)
        yield from page
        if not cursor:
            return
