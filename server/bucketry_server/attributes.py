"""What a client stores with a blob besides its bytes: a media type and user metadata.

One validation for every write path (PUT and signed PUT, copy, multipart create and complete,
tar batch members), run before a byte is committed; and the safe rendering of stored values in
responses, so rows stored before a rule existed (or by a bug) still answer instead of failing
or injecting headers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .jsontext import encodable
from .problems import ApiProblem

OCTET_STREAM = "application/octet-stream"
MAX_CONTENT_TYPE_CHARS = 255
#: User metadata as compact JSON, at most this many UTF-8 bytes (the header form's limit).
MAX_METADATA_BYTES = 2048

# RFC 9110 media type: token "/" token, then optional parameters (printable ASCII only, so the
# value is always a safe header value).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(?:\s*;[\x20-\x7e]*)?$")


def content_type_error(value: str) -> str | None:
    """Why ``value`` (already stripped) is not a storable media type, or None if it is."""
    if len(value) > MAX_CONTENT_TYPE_CHARS:
        return f"at most {MAX_CONTENT_TYPE_CHARS} characters"
    if not _MEDIA_TYPE.match(value):
        return "must be a media type such as 'image/png'"
    return None


def check_content_type(value: str, name: str = "content_type") -> str:
    """The media type ``value`` stripped; raises a 400 ``invalid_content_type`` naming ``name``
    if it is not ``type/subtype[; params]`` in printable ASCII of at most 255 characters."""
    value = value.strip()
    error = content_type_error(value)
    if error is not None:
        raise ApiProblem(400, "invalid_content_type", f"{name} {error}")
    return value


def check_metadata(value: object, name: str = "metadata") -> dict[str, str]:
    """``value`` as user metadata: a flat JSON object mapping strings to strings, every string
    UTF-8-encodable, at most ``MAX_METADATA_BYTES`` as compact JSON. Raises a 400
    ``invalid_metadata`` naming ``name`` otherwise."""
    if not isinstance(value, dict):
        raise ApiProblem(400, "invalid_metadata", f"{name} must be a JSON object")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ApiProblem(400, "invalid_metadata", f"{name} must map strings to strings")
    if not all(encodable(k) and encodable(v) for k, v in value.items()):
        raise ApiProblem(
            400, "invalid_metadata", f"{name} holds a string that is not valid Unicode"
        )
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise ApiProblem(
            400, "invalid_metadata", f"{name} larger than {MAX_METADATA_BYTES} bytes as JSON"
        )
    return dict(value)


def parse_metadata(raw: str | None, name: str = "X-Blob-Metadata") -> dict[str, str]:
    """User metadata from its JSON text (a header or a tar PAX record); empty for None or "".
    Raises a 400 ``invalid_metadata`` naming ``name`` for anything :func:`check_metadata`
    refuses, for text that is not JSON, and for nesting too deep to parse."""
    if not raw:
        return {}
    if len(raw) > 4 * MAX_METADATA_BYTES:  # every JSON character is at least one byte
        raise ApiProblem(
            400, "invalid_metadata", f"{name} larger than {MAX_METADATA_BYTES} bytes as JSON"
        )
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiProblem(400, "invalid_metadata", f"{name} must be a JSON object") from exc
    return check_metadata(value, name)


# --------------------------------------------------------------------------- stored values out


def printable(text: str) -> str:
    """``text`` with anything UTF-8 cannot carry replaced by U+FFFD (for JSON responses)."""
    return text if encodable(text) else text.encode("utf-8", "replace").decode("utf-8")


def printable_metadata(meta: dict[str, Any] | None) -> dict[str, str]:
    """Stored metadata safe to render as JSON: strings only, every one encodable."""
    return {printable(str(k)): printable(str(v)) for k, v in (meta or {}).items()}


def header_content_type(stored: str | None) -> str:
    """The Content-Type header for a stored media type: the value if it is still a valid media
    type (so never a header injection), else ``application/octet-stream``."""
    if stored is None or content_type_error(stored) is not None:
        return OCTET_STREAM
    return stored
