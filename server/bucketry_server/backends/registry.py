"""``backend_for(state, bucket)``: the one lookup from a bucket to its backend.

Providers map to modules by name: provider ``AWS_S3`` is served by
``bucketry_server.backends.aws_s3``, ``MANAGED`` by ``bucketry_server.backends.managed``. A
backend module defines ``open_backend(state, bucket) -> BucketBackend``. Adding a provider is
adding its module (a new file): nothing else changes. A provider without a module is served by
:mod:`.unserved` (today's behaviour for imported buckets: catalogue reads, no writes).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import cast

from ..models import Bucket
from ..state import AppState
from .base import BucketBackend

Opener = Callable[[AppState, Bucket], BucketBackend]


def module_name(provider: str) -> str:
    """The module serving ``provider`` (``AWS_S3`` -> ``bucketry_server.backends.aws_s3``)."""
    return f"{__package__}.{provider.strip().lower()}"


@cache
def opener_for(provider: str) -> Opener:
    """The ``open_backend`` of the provider's module, or the unserved backend's."""
    try:
        module = importlib.import_module(module_name(provider))
    except ModuleNotFoundError as exc:
        if exc.name != module_name(provider):
            raise  # the module exists but one of its own imports is missing
        from . import unserved

        return cast(Opener, unserved.open_backend)
    return cast(Opener, module.open_backend)


def backend_for(state: AppState, bucket: Bucket) -> BucketBackend:
    """The backend serving ``bucket``."""
    return opener_for(bucket.provider or "MANAGED")(state, bucket)
