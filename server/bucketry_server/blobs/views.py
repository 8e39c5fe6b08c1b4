"""Blobs as API JSON."""

from __future__ import annotations

from typing import Any

from ..backends.base import BlobRecord
from ..jsontext import printable, printable_metadata
from ..timeutil import iso


def blob_json(b: BlobRecord) -> dict[str, Any]:
    """A blob (catalogue row, committed blob or any record with the same attributes) as the
    API's ``Blob``; stored strings UTF-8 cannot carry (rows older than the validation) are
    rendered with U+FFFD."""
    return {
        "key": b.key,
        "size": b.size,
        "etag": b.etag,
        "content_type": printable(b.content_type),
        "sha256": b.sha256,
        "crc32c": getattr(b, "crc32c", None),
        "metadata": printable_metadata(b.meta),
        "created_at": iso(b.created_at),
        "modified_at": iso(b.modified_at),
    }
