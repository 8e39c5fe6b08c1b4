"""Operations of the contract that this server does not serve yet answer ``501 not_implemented``
naming the operation (instead of a generic 404 or 405), until a later issue serves them.

The routes are generated from ``openapi.yaml``: every operation without a route of its own gets
one, with the operation id as the endpoint's name (so authentication and the unknown-query-
parameter check treat it like any other operation). Serving an operation is then just adding
its route: it disappears from this list by itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import yaml
from fastapi import APIRouter
from fastapi.routing import APIRoute

from ..errors import NotServed
from .deps import CurrentPrincipal

METHODS = ("get", "put", "post", "delete", "patch", "head")


@functools.lru_cache(maxsize=4)
def load_spec(spec_bytes: bytes) -> dict[str, Any]:
    """The contract ``spec_bytes`` (``openapi.yaml``) parsed, once per process and content:
    ``create_app`` reads it in five places, and every server process and test server builds
    an app. With libyaml when PyYAML has it (its safe loader, the same document as
    ``yaml.safe_load`` about 20 times faster: 0.6 s of pure-Python parsing per read on a busy
    2-core machine). The document is shared: callers only read it. Raises ``yaml.YAMLError``
    for text that is not YAML."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(spec_bytes, Loader=loader)  # noqa: S506 - a safe loader
    return spec


def spec_operations(spec_bytes: bytes) -> dict[str, tuple[str, str]]:
    """Operation id -> (HTTP method, path template) for every operation of the spec."""
    spec = load_spec(spec_bytes)
    return {
        op["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS and isinstance(op, dict) and "operationId" in op
    }


def served_operations(routers: Iterable[APIRouter]) -> set[str]:
    """Names of the routes the routers serve (route names are operation ids)."""
    return {
        route.name for router in routers for route in router.routes if isinstance(route, APIRoute)
    }


def _refusal(operation_id: str) -> Callable[..., Any]:
    def endpoint(p: CurrentPrincipal) -> None:
        raise NotServed(
            "not_implemented",
            f"operation {operation_id!r} is part of the API but not served by this server yet",
        )

    endpoint.__name__ = operation_id
    endpoint.__qualname__ = operation_id
    return endpoint


def unserved_router(spec_bytes: bytes, served: set[str]) -> APIRouter:
    """A router answering 501 for every spec operation not in ``served``."""
    router = APIRouter()
    for operation_id, (method, path) in sorted(spec_operations(spec_bytes).items()):
        if operation_id in served or operation_id == "system_openapi":
            continue
        router.add_api_route(
            path,
            _refusal(operation_id),
            methods=[method],
            name=operation_id,
            status_code=501,
            include_in_schema=False,
        )
    return router
