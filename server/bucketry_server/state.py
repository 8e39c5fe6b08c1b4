"""Everything a request handler needs, built once per app (no module-level globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from .config import Settings
from .db import Database
from .rolling import RollingHashes
from .security import Signer
from .storage.base import ObjectStore
from .thumbnails import Thumbnails


@dataclass
class AppState:
    settings: Settings
    db: Database
    store: ObjectStore
    signer: Signer
    rolling: RollingHashes = field(init=False)
    thumbnails: Thumbnails = field(init=False)

    def __post_init__(self) -> None:
        self.rolling = RollingHashes(self.store)
        self.thumbnails = Thumbnails(
            self.settings.preview_max_pixels, self.settings.preview_concurrency
        )


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bucketry
    return state
