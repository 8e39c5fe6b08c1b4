"""``S3_COMPATIBLE``: any store speaking S3 at an ``endpoint_url`` (MinIO, SeaweedFS, Ceph,
R2...): the boto3 client of :mod:`.aws_s3` with path-style addressing."""

from __future__ import annotations

from ..models import Bucket
from ..state import AppState
from .aws_s3 import open_client
from .remote.backend import RemoteBackend
from .remote.config import provider_config


def open_backend(state: AppState, bucket: Bucket) -> RemoteBackend:
    """The registry's entry for ``S3_COMPATIBLE`` (path-style, endpoint required)."""
    allowed = state.settings.allowed_networks
    return RemoteBackend(
        state,
        bucket,
        lambda: open_client(provider_config(state, bucket), allowed, path_style=True),
    )
