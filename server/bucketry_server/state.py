"""Everything a request handler needs, built once per app (no module-level globals)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request

from .config import Settings
from .db import Database
from .keyring import KeyRing
from .leader import Leadership
from .netguard import parse_networks
from .security import Signer
from .storage.base import ObjectStore


class Thumbnailer(Protocol):
    """Bucket preview thumbnails per blob version (``buckets.thumbnails.Thumbnails``; the app
    builds it, so this shared module imports no domain package)."""

    async def thumbnail(self, object_id: str, read: Callable[[], Awaitable[bytes]]) -> bytes | None:
        """The thumbnail of object ``object_id`` (None: none can be made); ``read`` fetches the
        source bytes and its exceptions propagate."""
        ...


class PartHashes(Protocol):
    """SHA-256 of multipart uploads computed while their parts arrive
    (``backends.managed.rolling.RollingHashes``; the app builds it, so this shared module
    imports no layer and closes no cycle)."""

    def part_stored(self, upload_id: str, part_number: int, object_id: str) -> None:
        """Part ``part_number`` of ``upload_id`` is stored as ``object_id``."""
        ...

    def forget(self, upload_id: str) -> None:
        """Drop what is known of ``upload_id`` (aborted, expired or completed)."""
        ...

    async def finish(self, upload_id: str, object_ids: Sequence[str]) -> str | None:
        """The hex SHA-256 of ``object_ids`` concatenated, if known (None: hash them)."""
        ...

    async def close(self) -> None:
        """Stop hashing (at shutdown)."""
        ...


@dataclass
class AppState:
    settings: Settings
    db: Database
    store: ObjectStore
    signer: Signer
    thumbnails: Thumbnailer
    rolling: PartHashes
    #: Provider credentials at rest (:mod:`.keyring`); loaded from the settings if not given.
    keyring: KeyRing | None = None
    #: Short-lived per-bucket state of imported buckets (open clients, last probe, last
    #: usage), by ``(kind, bucket id)``; see ``backends.remote.cache``.
    remote: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: Wakes this process's idle operation workers at once (set by the app when its engine
    #: starts; other instances find new operations at their next poll).
    wake_operations: Callable[[], None] = field(default=lambda: None)
    #: Wakes the purge of deleted buckets (``buckets.deletion``) of this process and, from a
    #: process that does not lead, the leader's (through the wake-up socket), set by the app.
    wake_purge: Callable[[], None] = field(default=lambda: None)
    #: Which worker process runs the singletons (:mod:`.leader`); None: this process is the
    #: only one serving its data folder, so it leads.
    leadership: Leadership | None = None

    def __post_init__(self) -> None:
        parse_networks(self.settings.allowed_networks)  # a bad CIDR fails at start, not later
        if self.keyring is None:
            self.keyring = KeyRing.load(self.settings.data_dir, self.settings.secret_keys)

    @property
    def keys(self) -> KeyRing:
        """The key ring (always set after construction)."""
        assert self.keyring is not None
        return self.keyring


async def get_state(request: Request) -> AppState:
    """The app's state (a coroutine: FastAPI runs it on the event loop, no thread hop)."""
    state: AppState = request.app.state.bucketry
    return state
