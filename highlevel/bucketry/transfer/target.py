"""What the transfer engine needs from the other side: a narrow protocol, not ``Bucket``.

The engine (uploads, downloads, multipart, the writer, sync) only ever needs a bucket's
reference, the session to call the generated API through, and a key listing. ``Bucket``
satisfies :class:`Target` and ``Blob`` satisfies :class:`BlobTarget` structurally, so this
package never imports ``bucketry.resources`` or ``bucketry.client`` (no import cycle), and a
future source (a project's assets, a connection) can be a target by offering the same three
things.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..types import BlobInfo, Session


class Target(Protocol):
    """A bucket as the transfer engine sees it."""

    @property
    def ref(self) -> str:
        """The bucket's id or name, as path parameter of the API."""
        ...

    @property
    def client(self) -> Session:
        """The session to call the API through."""
        ...

    def list(
        self,
        prefix: str = "",
        *,
        recursive: bool = True,
        page_size: int = 1000,
        first: int | None = None,
        prefetch: bool = False,
    ) -> Iterable[BlobInfo]:
        """Blobs under ``prefix`` in key order (folders as ``is_dir`` entries unless
        ``recursive``), lazily, ``page_size`` a page, at most ``first``."""
        ...


class BlobTarget(Protocol):
    """One key of a target (``Blob`` is one)."""

    @property
    def bucket(self) -> Target:
        """The target the key lives in."""
        ...

    @property
    def key(self) -> str:
        """The blob's key."""
        ...
