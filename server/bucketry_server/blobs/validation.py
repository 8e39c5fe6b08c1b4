"""Checks of what a write brings along: checksums, user metadata and media types. One set of
rules for every write path (PUT, signed PUT, multipart, tar batch)."""

from __future__ import annotations

import base64
import binascii
import json
import re

from ..errors import Invalid
from ..storage.base import Expected

OCTET_STREAM = "application/octet-stream"

# RFC 9110 media type: token "/" token, then optional parameters (printable ASCII only, so the
# value is always a safe header value).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(?:\s*;[\x20-\x7e]*)?$")
# Types that mean "the client did not say" (curl -d / --data-binary defaults, form posts).
_NOT_A_BLOB_TYPE = ("application/octet-stream", "application/x-www-form-urlencoded", "multipart/")


def check_content_type(value: str) -> str:
    """``value`` stripped if it is a media type such as ``image/png``, else ``Invalid``."""
    value = value.strip()
    if not _MEDIA_TYPE.match(value):
        raise Invalid(
            "invalid_content_type", "content_type must be a media type such as 'image/png'"
        )
    return value


def resolve_content_type(query_value: str | None, header_value: str | None) -> str:
    """The ``content_type`` parameter, else a meaningful request Content-Type, else octet-stream."""
    if query_value:
        return check_content_type(query_value)
    if header_value:
        lowered = header_value.strip().lower()
        if lowered and not lowered.startswith(_NOT_A_BLOB_TYPE):
            return check_content_type(header_value)
    return OCTET_STREAM


def parse_expected(
    content_md5: str | None, sha256: str | None, max_size: int | None = None
) -> Expected:
    """Client checksums → hex; a malformed value is ``Invalid`` (``invalid_checksum``), never
    a silent skip."""
    md5_hex = None
    if content_md5:
        try:
            raw = base64.b64decode(content_md5, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Invalid("invalid_checksum", "Content-MD5 must be base64") from exc
        if len(raw) != 16:
            raise Invalid("invalid_checksum", "Content-MD5 must encode 16 bytes")
        md5_hex = raw.hex()
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise Invalid("invalid_checksum", "X-Checksum-SHA256 must be 64 hex digits")
    return Expected(md5_hex=md5_hex, sha256_hex=sha256, max_size=max_size)


def parse_metadata(header: str | None) -> dict[str, str]:
    """User metadata from its JSON form (an object of strings); else ``Invalid``."""
    if not header:
        return {}
    try:
        value = json.loads(header)
    except ValueError as exc:
        raise Invalid("invalid_metadata", "X-Blob-Metadata must be a JSON object") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Invalid("invalid_metadata", "X-Blob-Metadata must map strings to strings")
    return value
