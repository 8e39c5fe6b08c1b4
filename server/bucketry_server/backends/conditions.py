"""Content ETags and HTTP-style preconditions (``If-Match`` / ``If-None-Match``), shared by
every backend and by the bucket settings (which have ETags too)."""

from __future__ import annotations

import hashlib

from ..errors import PreconditionFailed


def etag_for(sha256_hex: str) -> str:
    """Strong, content-derived ETag (128 bits of the SHA-256) of a version whose SHA-256 was
    computed (the client sent one, or the blob predates CRC32C transfers)."""
    return f'"{sha256_hex[:32]}"'


def version_etag(sha256_hex: str | None, object_id: str) -> str:
    """The ETag of a stored version: :func:`etag_for` its SHA-256 when known, else 128 bits
    of a hash of its object id. Every write makes a new object, so each version still gets
    its own strong ETag without a SHA-256 pass over its bytes (as S3's multipart ETags are
    not the MD5 of the content either)."""
    if sha256_hex:
        return etag_for(sha256_hex)
    return f'"{hashlib.sha256(object_id.encode()).hexdigest()[:32]}"'


def etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 list matching (weak comparison is fine for our strong content ETags)."""
    wanted = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in wanted or etag in wanted


def check_preconditions(
    existing_etag: str | None, if_match: str | None, if_none_match: str | None
) -> None:
    """Raise ``PreconditionFailed`` unless the preconditions hold for a key whose current
    ETag is ``existing_etag`` (None: the key does not exist)."""
    if if_none_match is not None and existing_etag is not None:
        if etag_matches(if_none_match, existing_etag):
            raise PreconditionFailed(
                "precondition_failed", "the key already exists (If-None-Match)"
            )
    if if_match is not None and (
        existing_etag is None or not etag_matches(if_match, existing_etag)
    ):
        raise PreconditionFailed("precondition_failed", "the blob's ETag does not match If-Match")
