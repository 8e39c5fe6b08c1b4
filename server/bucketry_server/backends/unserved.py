"""Imported buckets whose provider has no live backend yet keep today's behaviour: they read
from the catalogue (empty unless rows were imported), their status and actions are the ones
recorded on the bucket, and every write is refused with ``not_managed``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import NoReturn

from ..errors import Invalid
from ..models import Bucket
from ..state import AppState
from ..timeutil import utcnow
from .base import BlobRecord, InTransaction, Probe, WriteSpec
from .managed.backend import ManagedBackend


class UnservedBackend(ManagedBackend):
    """Catalogue reads, recorded status, refused writes."""

    def __init__(self, state: AppState, bucket: Bucket) -> None:
        super().__init__(state, bucket.id)
        self.provider = bucket.provider
        self.imported = True
        self._probe = Probe(
            bucket.status or "AVAILABLE",
            list(bucket.actions or []),
            bucket.last_checked_at or utcnow(),
        )

    def status(self) -> Probe:
        """What the bucket row records."""
        return self._probe

    async def probe(self) -> Probe:
        """No provider to ask yet: the recorded status."""
        return self._probe

    def _refuse(self) -> NoReturn:
        raise Invalid(
            "not_managed",
            "blob writes go to managed buckets; this bucket is imported from "
            f"{self.provider} (use its provider, or an operation, to change its data)",
        )

    async def write(self, key: str, chunks: AsyncIterator[bytes], spec: WriteSpec) -> NoReturn:
        """Refused (``not_managed``)."""
        self._refuse()

    def batch(self) -> NoReturn:
        """Refused (``not_managed``)."""
        self._refuse()

    async def copy(self, source: BlobRecord, key: str, *, if_none_match: str | None) -> NoReturn:
        """Refused (``not_managed``)."""
        self._refuse()

    async def copy_many(
        self, pairs: Sequence[tuple[BlobRecord, str]], *, overwrite: bool
    ) -> NoReturn:
        """Refused (``not_managed``)."""
        self._refuse()

    async def compose(
        self,
        key: str,
        parts: Sequence[str],
        sha256_hex: str | None,
        spec: WriteSpec,
        *,
        object_id: str | None = None,
        also: InTransaction | None = None,
    ) -> NoReturn:
        """Refused (``not_managed``)."""
        self._refuse()

    def check_writable(self) -> None:
        """Refuse before any byte is read."""
        self._refuse()


def open_backend(state: AppState, bucket: Bucket) -> UnservedBackend:
    """The registry's fallback for providers without a module."""
    return UnservedBackend(state, bucket)
