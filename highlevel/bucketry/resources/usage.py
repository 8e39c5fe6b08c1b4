"""Space usage: ``client.usage()`` (the caller's buckets) and ``bucket.usage()`` (one bucket)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..types import opt

__all__ = ["BucketUsage", "Usage"]


@dataclass(frozen=True)
class BucketUsage:
    """One bucket's usage: ``bytes``, ``objects``, its ``bucket_id``, ``name`` (in a
    per-user report) and ``computed_at`` (when the server computed it, for one bucket)."""

    bucket_id: str
    bytes: int
    objects: int
    name: str | None = None
    computed_at: datetime | None = None

    @classmethod
    def from_model(cls, m: Any) -> BucketUsage:
        """From a generated ``BucketUsage`` or ``BucketUsageItem`` model."""
        return cls(
            bucket_id=m.bucket_id,
            bytes=m.bytes_,
            objects=m.objects,
            name=opt(getattr(m, "name", None)),
            computed_at=opt(getattr(m, "computed_at", None)),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the time as ISO 8601)."""
        out: dict[str, Any] = {
            "bucket_id": self.bucket_id,
            "bytes": self.bytes,
            "objects": self.objects,
        }
        if self.name is not None:
            out["name"] = self.name
        if self.computed_at is not None:
            out["computed_at"] = self.computed_at.isoformat()
        return out

    def __getitem__(self, name: str) -> Any:
        """Dict-style access (``usage["bytes"]``), as when ``usage()`` returned a dict;
        raises ``KeyError`` for other names."""
        return self.to_dict()[name]


@dataclass(frozen=True)
class Usage:
    """The caller's usage: totals (``bytes``, ``objects``) and ``buckets`` (one
    :class:`BucketUsage` each, by name)."""

    bytes: int
    objects: int
    buckets: list[BucketUsage] = field(default_factory=list)

    @classmethod
    def from_model(cls, m: Any) -> Usage:
        """From the generated ``UserUsage`` model."""
        return cls(
            bytes=m.bytes_,
            objects=m.objects,
            buckets=[BucketUsage.from_model(b) for b in m.buckets],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "bytes": self.bytes,
            "objects": self.objects,
            "buckets": [b.to_dict() for b in self.buckets],
        }

    def __getitem__(self, name: str) -> Any:
        """Dict-style access (``usage["bytes"]``), as when ``usage()`` returned a dict;
        raises ``KeyError`` for other names."""
        return self.to_dict()[name]

    def get(self, name: str, default: Any = None) -> Any:
        """Dict-style ``get`` (see :meth:`__getitem__`)."""
        return self.to_dict().get(name, default)
