"""The bottom layer of the SDK: value types and protocols every other layer may use.

``BlobInfo`` (a listing entry), the ``UNSET`` ↔ ``None`` helpers for the generated layer, and
``Session``: what the resources and the transfer engine need from a client (the generated API,
calls with SDK errors, retries, the server clock). Nothing here imports another SDK module but
``errors``-free leaves, so any layer can depend on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from os import PathLike
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

import httpx

from bucketry_api import ApiClient
from bucketry_api.models import Blob as BlobModel
from bucketry_api.types import UNSET, Unset

if TYPE_CHECKING:
    from ._transport import RetryPolicy
    from .progress import ProgressCallback

__all__ = ["UNSET", "BlobInfo", "Session", "StrPath", "Unset", "arg", "model_dict", "opt"]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

StrPath = str | PathLike[str]


def opt(value: T | Unset | None) -> T | None:
    """The generated models use ``UNSET`` for absent fields; the SDK speaks ``None``."""
    return None if isinstance(value, Unset) else value


def arg(value: T | None) -> T | Unset:
    """``None`` → ``UNSET`` for optional arguments of the generated layer."""
    return UNSET if value is None else value


def model_dict(model: Any) -> dict[str, Any]:
    """A generated model as a plain dict (its ``to_dict()``)."""
    data: dict[str, Any] = model.to_dict()
    return data


class Session(Protocol):
    """What the resources and the transfer engine use of a client (``bucketry.Client`` is
    one): the generated API and its HTTP client (base URL ``…/api/v1``), calls translated to SDK errors, the retry policy, progress
    default, and the server's clock offset."""

    url: str
    api: ApiClient
    http: httpx.Client
    retry_policy: RetryPolicy
    progress: bool | ProgressCallback | None

    def call(
        self, fn: Callable[P, tuple[R, httpx.Response]], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Call a generated method; return its data; raise SDK errors."""
        ...

    def call_raw(
        self, fn: Callable[P, tuple[R, httpx.Response]], *args: P.args, **kwargs: P.kwargs
    ) -> tuple[R, httpx.Response]:
        """Like :meth:`call`, returning ``(data, response)``."""
        ...

    def stream(
        self,
        fn: Callable[P, contextlib.AbstractContextManager[httpx.Response]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> contextlib.AbstractContextManager[httpx.Response]:
        """Enter a generated ``*_stream`` method with SDK errors."""
        ...

    def clock_offset(self) -> float:
        """Seconds the server's clock is ahead of ours."""
        ...


@dataclass(frozen=True)
class BlobInfo:
    """What the server knows about a blob (or a folder, when ``is_dir``).

    A folder from a listing carries aggregates of everything below it: ``size`` (total
    bytes), ``count`` (blobs) and ``created_at``/``modified_at`` (the latest creation time of
    a blob below it; in an imported bucket, the latest modification); ``complete`` is False
    when the server counted only the first of its blobs (the figures are then lower bounds).
    A folder the server gave no aggregates for (a listing with a glob) has ``count=None`` and
    no times."""

    key: str
    size: int = 0
    etag: str | None = None
    content_type: str | None = None
    sha256: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    modified_at: datetime | None = None
    is_dir: bool = False
    count: int | None = None
    complete: bool = True
    #: CRC32C as base64 of its big-endian bytes (``X-Checksum-CRC32C``), when known.
    crc32c: str | None = None

    @classmethod
    def from_model(cls, m: BlobModel) -> BlobInfo:
        """The info of a generated ``Blob`` model (its metadata as a plain dict)."""
        meta = opt(m.metadata)
        return cls(
            key=m.key,
            size=m.size,
            etag=m.etag,
            content_type=m.content_type,
            sha256=opt(m.sha256),
            crc32c=opt(m.crc32c),
            metadata=dict(meta.additional_properties) if meta is not None else {},
            created_at=m.created_at,
            modified_at=m.modified_at,
        )

    @classmethod
    def folder(cls, prefix: str, entry: Any = None) -> BlobInfo:
        """A folder entry (``is_dir``) for a listing's common ``prefix``, with the
        aggregates of its generated ``FolderEntry`` model ``entry`` when the server gave
        them."""
        if entry is None:
            return cls(key=prefix, is_dir=True)
        latest = opt(entry.latest_at)
        return cls(
            key=prefix,
            size=entry.size,
            created_at=latest,
            modified_at=latest,
            is_dir=True,
            count=entry.count,
            complete=entry.complete,
        )

    @property
    def name(self) -> str:
        """The last path segment (folders keep their trailing ``/``)."""
        stripped = self.key.rstrip("/")
        return stripped.rsplit("/", 1)[-1] + ("/" if self.is_dir else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (times as ISO 8601 strings)."""
        return {
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "content_type": self.content_type,
            "sha256": self.sha256,
            "crc32c": self.crc32c,
            "metadata": dict(self.metadata),
            "created_at": self.created_at,
            "modified_at": self.modified_at,
            "is_dir": self.is_dir,
            "count": self.count,
            "complete": self.complete,
        }
