"""What a write brings along besides its bytes: checksums, a media type and user metadata.

One validation for every write path (PUT and signed PUT, copy, multipart create and complete,
tar batch members), run before a byte is committed; and the safe rendering of stored media
types in headers, so rows stored before a rule existed (or by a bug) still answer instead of
failing or injecting headers. Every refusal is ``Invalid`` naming the bad parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from ..crc32c import from_wire
from ..errors import Invalid
from ..jsontext import encodable
from ..storage.base import Expected

OCTET_STREAM = "application/octet-stream"
MAX_CONTENT_TYPE_CHARS = 255
#: User metadata as compact JSON, at most this many UTF-8 bytes (the header form's limit).
MAX_METADATA_BYTES = 2048

# RFC 9110 media type: token "/" token, then optional parameters (printable ASCII only, so the
# value is always a safe header value).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(?:\s*;[\x20-\x7e]*)?$")
# Types that mean "the client did not say" (curl -d / --data-binary defaults, form posts).
_NOT_A_BLOB_TYPE = ("application/octet-stream", "application/x-www-form-urlencoded", "multipart/")


def content_type_error(value: str) -> str | None:
    """Why ``value`` (already stripped) is not a storable media type, or None if it is."""
    if len(value) > MAX_CONTENT_TYPE_CHARS:
        return f"at most {MAX_CONTENT_TYPE_CHARS} characters"
    if not _MEDIA_TYPE.match(value):
        return "must be a media type such as 'image/png'"
    return None


def check_content_type(value: str, name: str = "content_type") -> str:
    """The media type ``value`` stripped; raises ``Invalid`` (``invalid_content_type``) naming
    ``name`` if it is not ``type/subtype[; params]`` in printable ASCII of at most 255
    characters."""
    value = value.strip()
    error = content_type_error(value)
    if error is not None:
        raise Invalid("invalid_content_type", f"{name} {error}")
    return value


def resolve_content_type(query_value: str | None, header_value: str | None) -> str:
    """The ``content_type`` parameter, else a meaningful request Content-Type, else
    octet-stream. Raises ``Invalid`` (``invalid_content_type``) for a malformed one."""
    if query_value:
        return check_content_type(query_value)
    if header_value:
        lowered = header_value.strip().lower()
        if lowered and not lowered.startswith(_NOT_A_BLOB_TYPE):
            return check_content_type(header_value, "Content-Type")
    return OCTET_STREAM


def check_metadata(value: object, name: str = "metadata") -> dict[str, str]:
    """``value`` as user metadata: a flat JSON object mapping strings to strings, every string
    UTF-8-encodable, at most ``MAX_METADATA_BYTES`` as compact JSON. Raises ``Invalid``
    (``invalid_metadata``) naming ``name`` otherwise."""
    if not isinstance(value, dict):
        raise Invalid("invalid_metadata", f"{name} must be a JSON object")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise Invalid("invalid_metadata", f"{name} must map strings to strings")
    if not all(encodable(k) and encodable(v) for k, v in value.items()):
        raise Invalid("invalid_metadata", f"{name} holds a string that is not valid Unicode")
    if any("\x00" in k or "\x00" in v for k, v in value.items()):
        raise Invalid("invalid_metadata", f"{name} holds a NUL character")
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise Invalid("invalid_metadata", f"{name} larger than {MAX_METADATA_BYTES} bytes as JSON")
    return dict(value)


def parse_metadata(raw: str | None, name: str = "X-Blob-Metadata") -> dict[str, str]:
    """User metadata from its JSON text (a header or a tar PAX record); empty for None or "".
    Raises ``Invalid`` (``invalid_metadata``) naming ``name`` for anything
    :func:`check_metadata` refuses, for text that is not JSON, and for nesting too deep to
    parse."""
    if not raw:
        return {}
    if len(raw) > 4 * MAX_METADATA_BYTES:  # every JSON character is at least one byte
        raise Invalid("invalid_metadata", f"{name} larger than {MAX_METADATA_BYTES} bytes as JSON")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Invalid("invalid_metadata", f"{name} must be a JSON object") from exc
    return check_metadata(value, name)


def check_attributes(
    content_type: str | None, metadata: object | None
) -> tuple[str | None, dict[str, str]]:
    """The media type and metadata a blob will get, checked as every write checks them (for
    values stored earlier, e.g. a multipart upload or a copy's source). Raises ``Invalid``."""
    checked = check_content_type(content_type) if content_type else None
    return checked, check_metadata(metadata or {})


def parse_expected(
    content_md5: str | None,
    sha256: str | None,
    max_size: int | None = None,
    sha256_name: str = "X-Checksum-SHA256",
    *,
    crc32c: str | None = None,
) -> Expected:
    """Client checksums → hex (MD5, SHA-256) and an integer (CRC32C, from base64 of its 4
    big-endian bytes); a malformed value is ``Invalid`` (``invalid_checksum``, naming
    ``Content-MD5``, ``sha256_name`` or ``X-Checksum-CRC32C``), never a silent skip. The
    write computes a SHA-256 only when one was sent (the CRC32C always)."""
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
            raise Invalid("invalid_checksum", f"{sha256_name} must be 64 hex digits")
    return Expected(
        md5_hex=md5_hex,
        sha256_hex=sha256,
        max_size=max_size,
        crc32c=parse_crc32c(crc32c),
        sha256=sha256 is not None,
    )


def parse_crc32c(value: str | None, name: str = "X-Checksum-CRC32C") -> int | None:
    """The CRC32C a client declared (None when absent or empty); raises ``Invalid``
    (``invalid_checksum``) naming ``name`` unless it is base64 of exactly 4 bytes."""
    if not value:
        return None
    try:
        return from_wire(value, name)
    except ValueError as exc:
        raise Invalid("invalid_checksum", str(exc)) from None


def header_content_type(stored: str | None) -> str:
    """The Content-Type header for a stored media type: the value if it is still a valid media
    type (so never a header injection), else ``application/octet-stream``."""
    if stored is None or content_type_error(stored) is not None:
        return OCTET_STREAM
    return stored
