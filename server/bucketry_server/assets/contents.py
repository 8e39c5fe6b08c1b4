"""What an asset's ``content`` may be: an ``http(s)`` URL, or ``bkt://bucket/key`` of a bucket
the caller may read (checked when the asset is written)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from ..accounts.access import bucket_for_read
from ..accounts.principals import Principal
from ..errors import Invalid, NotFound

MAX_CONTENT = 4096


def check_content(
    session: Session, p: Principal, content: str, readable: dict[str, bool] | None = None
) -> str:
    """``content`` if acceptable. ``readable`` caches bucket checks across a batch.

    Raises ``Invalid`` (``bad_content``) for another scheme, a URL without host, a
    ``bkt://`` reference without key or over 4096 characters, and ``NotFound``
    (``bucket_not_found``) for a ``bkt://`` bucket the caller cannot read."""
    if not content or len(content) > MAX_CONTENT or "\x00" in content:
        raise Invalid("bad_content", f"content must hold 1 to {MAX_CONTENT} characters")
    if content.startswith("bkt://"):
        bucket, _, key = content[len("bkt://") :].partition("/")
        if not bucket or not key:
            raise Invalid("bad_content", f"content {content!r}: expected bkt://bucket/key")
        cache = readable if readable is not None else {}
        if bucket not in cache:
            try:
                bucket_for_read(session, p, bucket)
                cache[bucket] = True
            except NotFound:
                cache[bucket] = False
        if not cache[bucket]:
            raise NotFound(
                "bucket_not_found", f"content {content!r}: no bucket {bucket!r} you may read"
            )
        return content
    try:
        parts = urlsplit(content)
    except ValueError as exc:
        raise Invalid("bad_content", f"content {content!r} is not a URL") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid(
            "bad_content",
            f"content {content[:200]!r}: expected an http(s) URL or bkt://bucket/key",
        )
    return content
