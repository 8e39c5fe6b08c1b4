"""``bkt://bucket/key`` URIs, shared by the CLI and the fsspec filesystem.

A URI names a bucket (by name or id) and an optional key or prefix inside it::

    bkt://images              -> BucketURI("images", "")
    bkt://images/raw/         -> BucketURI("images", "raw/")
    bkt://images/raw/a.png    -> BucketURI("images", "raw/a.png")

Keys are kept exactly as written after the first ``/`` (no normalisation: ``a//b`` is a valid
key); only the bucket part must be non-empty.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEME = "bkt"
PREFIX = SCHEME + "://"


@dataclass(frozen=True)
class BucketURI:
    """A parsed ``bkt://BUCKET/KEY``: ``bucket``, ``key`` (``""`` for the bucket
    itself); ``str()`` gives the URI back."""

    bucket: str
    key: str = ""

    @property
    def is_prefix(self) -> bool:
        """True for the bucket root or a key ending in ``/`` (a "folder")."""
        return self.key == "" or self.key.endswith("/")

    @property
    def path(self) -> str:
        """``bucket/key`` without the scheme (fsspec's path form)."""
        return f"{self.bucket}/{self.key}" if self.key else self.bucket

    def child(self, name: str) -> BucketURI:
        """The URI of ``name`` under this prefix (a ``/`` is added when missing)."""
        base = self.key if self.is_prefix else self.key + "/"
        return BucketURI(self.bucket, base + name)

    def __str__(self) -> str:
        return PREFIX + self.path


def is_bucket_uri(text: str) -> bool:
    """Whether ``text`` starts with ``bkt://`` (any case)."""
    return text.lower().startswith(PREFIX)


def strip_scheme(text: str) -> str:
    """``bkt://b/k`` -> ``b/k``; a string without the scheme is returned unchanged."""
    return text[len(PREFIX) :] if is_bucket_uri(text) else text


def split_path(path: str) -> BucketURI:
    """Parse ``bucket/key`` (no scheme; leading slashes ignored) into a :class:`BucketURI`."""
    path = path.lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {path!r}: expected {PREFIX}BUCKET[/KEY]")
    return BucketURI(bucket, key)


def parse_uri(text: str) -> BucketURI:
    """Parse ``bkt://bucket[/key]``; raises ``ValueError`` for anything else."""
    rest = strip_scheme(text)
    if not is_bucket_uri(text) or not rest or rest.startswith("/"):
        raise ValueError(f"not a bucket URI: {text!r} (expected {PREFIX}BUCKET[/KEY])")
    return split_path(rest)


def format_uri(bucket: str, key: str = "") -> str:
    """``bkt://BUCKET/KEY`` for ``bucket`` and ``key``."""
    return str(BucketURI(bucket, key))
