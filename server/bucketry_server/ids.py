"""Opaque prefixed identifiers (``bkt_…``, ``obj_…``): random, URL-safe, never reused."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(16)}"
