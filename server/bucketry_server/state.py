"""Everything a request handler needs, built once per app (no module-level globals)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request

from .backends.managed.rolling import RollingHashes
from .config import Settings
from .db import Database
from .keyring import KeyRing
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


@dataclass
class AppState:
    settings: Settings
    db: Database
    store: ObjectStore
    signer: Signer
    thumbnails: Thumbnailer
    rolling: RollingHashes = field(init=False)
    #: Provider credentials at rest (:mod:`.keyring`); loaded from the settings if not given.
    keyring: KeyRing | None = None
    #: Short-lived per-bucket state of imported buckets (open clients, last probe, last
    #: usage), by ``(kind, bucket id)``; see ``backends.remote.cache``.
    remote: dict[tuple[str, str], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rolling = RollingHashes(self.store)
        parse_networks(self.settings.allowed_networks)  # a bad CIDR fails at start, not later
        if self.keyring is None:
            self.keyring = KeyRing.load(self.settings.data_dir, self.settings.secret_keys)

    @property
    def keys(self) -> KeyRing:
        """The key ring (always set after construction)."""
        assert self.keyring is not None
        return self.keyring


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bucketry
    return state
