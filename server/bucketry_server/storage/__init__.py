"""Managed-blob object stores: a local folder by default, an S3-compatible bucket at scale.

:func:`open_store` turns one configuration string into a store:

* a plain path (``./.bucketry-data/blobs``) or ``file:///abs/path`` → :class:`LocalStore`
* ``s3://bucket[/prefix][?endpoint_url=…&region=…&access_key_id=…&secret_access_key=…]``
  → :class:`S3Store`. Without ``access_key_id``/``secret_access_key`` the credentials come from
  boto3's standard chain (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
  ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, instance roles…); ``region`` likewise falls back to
  ``AWS_REGION``/``AWS_DEFAULT_REGION``. Prefer the environment for secrets: a URL ends up in
  logs and process listings.

S3Store (and boto3) are imported lazily, so the local default works without the S3 extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .base import (
    ChecksumMismatchError,
    Expected,
    Hasher,
    ObjectMissingError,
    ObjectStore,
    StorageError,
    TooLargeError,
    WriteResult,
)
from .local import OBJECT_ID_RE, LocalStore, check_object_id

if TYPE_CHECKING:
    from .s3 import S3Store

__all__ = [
    "OBJECT_ID_RE",
    "ChecksumMismatchError",
    "Expected",
    "Hasher",
    "LocalStore",
    "ObjectMissingError",
    "ObjectStore",
    "S3Store",
    "StorageError",
    "TooLargeError",
    "WriteResult",
    "check_object_id",
    "open_store",
]

_S3_PARAMS = frozenset(
    {"endpoint_url", "region", "access_key_id", "secret_access_key", "session_token"}
)


def __getattr__(name: str) -> Any:
    if name == "S3Store":
        from .s3 import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(url_or_path: str | Path) -> ObjectStore:
    """Build the store described by a path or URL (see the module docstring)."""
    if isinstance(url_or_path, Path):
        return LocalStore(url_or_path)
    parts = urlsplit(url_or_path)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file URL must be local: {url_or_path!r}")
        return LocalStore(Path(unquote(parts.path)))
    if scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"s3 URL needs a bucket: {url_or_path!r}")
        params: dict[str, str] = {}
        for name, values in parse_qs(parts.query, keep_blank_values=False).items():
            if name not in _S3_PARAMS:
                raise ValueError(f"unknown s3 URL parameter {name!r}")
            params[name] = values[-1]
        from .s3 import S3Store

        return S3Store(
            parts.netloc,
            unquote(parts.path).lstrip("/"),
            endpoint_url=params.get("endpoint_url"),
            region=params.get("region"),
            access_key_id=params.get("access_key_id"),
            secret_access_key=params.get("secret_access_key"),
            session_token=params.get("session_token"),
        )
    if scheme and len(scheme) > 1:  # one letter would be a Windows drive
        raise ValueError(f"unsupported store URL scheme {scheme!r}")
    return LocalStore(Path(url_or_path))
