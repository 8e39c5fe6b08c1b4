"""The managed backend: blobs catalogued in the database (:mod:`.catalogue`, :mod:`.listing`)
whose bytes live in the server's object store (:mod:`bucketry_server.storage`); the backend
class is :class:`.backend.ManagedBackend`, and ``open_backend`` below is the registry's entry
point."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...models import Bucket
    from ...state import AppState
    from .backend import ManagedBackend


def open_backend(state: AppState, bucket: Bucket) -> ManagedBackend:
    """The backend of a managed bucket."""
    from .backend import ManagedBackend

    return ManagedBackend(state, bucket.id)
