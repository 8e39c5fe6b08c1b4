"""Blobs as API JSON."""

from __future__ import annotations

from typing import Any

from ..backends.base import BlobRecord
from ..timeutil import iso


def blob_json(b: BlobRecord) -> dict[str, Any]:
    """A blob (catalogue row, committed blob or any record with the same attributes) as the
    API's ``Blob``."""
    return {
        "key": b.key,
        "size": b.size,
        "etag": b.etag,
        "content_type": b.content_type,
        "sha256": b.sha256,
        "metadata": dict(b.meta or {}),
        "created_at": iso(b.created_at),
        "modified_at": iso(b.modified_at),
    }
