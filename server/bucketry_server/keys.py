"""Blob key rules. Keys are data, never paths, but clients map them onto filesystems, so the
rules keep every key representable as a relative path: no empty, ``.`` or ``..`` segments
(which also excludes a leading or trailing ``/``), no NUL or control characters, ≤1024 bytes."""

from __future__ import annotations

from .errors import Invalid

MAX_KEY_BYTES = 1024


def key_error(key: str) -> str | None:
    """Why ``key`` is invalid, or None if it is fine."""
    if not key:
        return "key must not be empty"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return f"key longer than {MAX_KEY_BYTES} bytes"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        return "key contains NUL or control characters"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in key):
        return "key is not valid UTF-8"
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            return "key has an empty, '.' or '..' segment (or a leading/trailing '/')"
    return None


def check_key(key: str, field: str = "key") -> str:
    """Return ``key`` or raise a 400 saying what is wrong with it."""
    problem = key_error(key)
    if problem:
        raise Invalid("invalid_key", f"{field}: {problem}")
    return key


def check_prefix(prefix: str) -> str:
    """Prefixes may end with '/' (a folder) but follow the key rules otherwise."""
    if prefix == "":
        return prefix
    body = prefix[:-1] if prefix.endswith("/") else prefix
    problem = key_error(body)
    if problem:
        raise Invalid("invalid_prefix", f"prefix: {problem}")
    return prefix
