"""HTTP routes, one module per group of the contract."""

from __future__ import annotations

from fastapi import APIRouter

from . import blobs, buckets, credentials, signed, system, uploads, users, zips

ROUTERS: list[APIRouter] = [
    system.router,
    users.router,
    buckets.router,
    credentials.router,
    blobs.router,
    signed.router,
    uploads.router,
    zips.router,
]
