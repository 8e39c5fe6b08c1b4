"""HTTP routes, one module per group of the contract."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    assets,
    batch,
    blobs,
    buckets,
    connections,
    credentials,
    operations,
    projects,
    signed,
    system,
    uploads,
    users,
    zips,
)

ROUTERS: list[APIRouter] = [
    system.router,
    users.router,
    buckets.router,
    credentials.router,
    blobs.router,
    batch.router,
    signed.router,
    uploads.router,
    zips.router,
    projects.router,
    assets.router,
    connections.router,
    operations.router,
]
