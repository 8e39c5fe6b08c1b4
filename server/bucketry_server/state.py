"""Everything a request handler needs, built once per app (no module-level globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from .backends.managed.rolling import RollingHashes
from .config import Settings
from .db import Database
from .security import Signer
from .storage.base import ObjectStore


@dataclass
class AppState:
    settings: Settings
    db: Database
    store: ObjectStore
    signer: Signer
    rolling: RollingHashes = field(init=False)

    def __post_init__(self) -> None:
        self.rolling = RollingHashes(self.store)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bucketry
    return state
