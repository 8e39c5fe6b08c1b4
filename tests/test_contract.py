"""The contract: a valid OpenAPI 3.1 document covering DESIGN §7, served verbatim, and in
one-to-one correspondence with the server's routes."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_spec_validator import validate

from bucketry_server.routes import ROUTERS
from tests.support.live_server import LiveServer

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# DESIGN §7, transcribed: method + path under /api/v1.
DESIGN_SURFACE = """
GET /users/self
GET /tokens
POST /tokens
DELETE /tokens/{token_id}
GET /buckets
POST /buckets
POST /buckets/import
GET /buckets/{bucket}
PATCH /buckets/{bucket}
DELETE /buckets/{bucket}
GET /buckets/{bucket}/status
GET /buckets/{bucket}/actions
GET /buckets/{bucket}/content
GET /buckets/{bucket}/preview
GET /buckets/{bucket}/usage
PUT /buckets/{bucket}/public
POST /buckets/{bucket}/tmp-credentials
GET /buckets/{bucket}/blobs
GET /buckets/{bucket}/blob
HEAD /buckets/{bucket}/blob
PUT /buckets/{bucket}/blob
DELETE /buckets/{bucket}/blob
POST /buckets/{bucket}/blob/copy
GET /buckets/{bucket}/blob/zip
GET /buckets/{bucket}/blob/zip/range
POST /buckets/{bucket}/uploads
GET /buckets/{bucket}/uploads/{upload_id}
DELETE /buckets/{bucket}/uploads/{upload_id}
PUT /buckets/{bucket}/uploads/{upload_id}/parts/{part_number}
POST /buckets/{bucket}/uploads/{upload_id}/complete
POST /buckets/{bucket}/signed-urls
GET /signed/{token}
PUT /signed/{token}
GET /credentials
POST /credentials
GET /credentials/{credential_id}
DELETE /credentials/{credential_id}
GET /usage
GET /projects
POST /projects
GET /projects/{project_id}
PATCH /projects/{project_id}
DELETE /projects/{project_id}
GET /projects/{project_id}/assets
GET /projects/{project_id}/assets/count
POST /projects/{project_id}/assets
PATCH /projects/{project_id}/assets
POST /projects/{project_id}/assets/delete
POST /projects/{project_id}/assets/review
POST /projects/{project_id}/assets/queue
GET /assets/{asset_id}
PATCH /assets/{asset_id}
GET /assets/{asset_id}/labels
POST /assets/{asset_id}/labels
GET /connections
POST /connections
GET /connections/{connection_id}
DELETE /connections/{connection_id}
POST /connections/{connection_id}/diff
POST /connections/{connection_id}/sync
GET /operations
POST /operations
GET /operations/{operation_id}
POST /operations/{operation_id}/cancel
"""

# Operations of the contract whose server side belongs to later issues (external providers,
# projects/assets, connections, operations). Each issue that implements one removes it here;
# the parity test fails both if one of these gains a route and if any other lacks one.
NOT_YET_SERVED: set[str] = set()


@functools.cache
def load_spec() -> dict[str, Any]:
    """``openapi.yaml`` read by PyYAML's reference (pure-Python) safe loader, once per session
    (shared: callers only read it)."""
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return spec


def spec_operations(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        op["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_spec_is_valid_openapi_31() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_server_parses_the_spec_as_the_reference_loader_does() -> None:
    """The server parses the contract once per process with libyaml when it can
    (``load_spec``): the same document as PyYAML's reference safe loader gives, and one parse
    however many apps are built from it."""
    from bucketry_server.routes.unserved import load_spec as server_load_spec

    data = SPEC_PATH.read_bytes()
    assert server_load_spec(data) == load_spec()
    assert server_load_spec(data) is server_load_spec(data)


def test_spec_covers_the_design_surface() -> None:
    ops = set(spec_operations(load_spec()).values())
    wanted = {tuple(line.split(" ", 1)) for line in DESIGN_SURFACE.strip().splitlines()}
    assert wanted - ops == set()


def test_operation_ids_follow_tag_verb_and_are_unique() -> None:
    spec = load_spec()
    seen = []
    for item in spec["paths"].values():
        for method, op in item.items():
            if method not in METHODS:
                continue
            tag = op["tags"][0]
            assert op["operationId"].startswith(f"{tag}_"), op["operationId"]
            assert op.get("summary"), op["operationId"]
            seen.append(op["operationId"])
    assert len(seen) == len(set(seen))


def test_every_operation_documents_its_errors_as_problem_details() -> None:
    spec = load_spec()
    for item in spec["paths"].values():
        for method, op in item.items():
            if method not in METHODS or method == "head":
                continue
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    ref = response.get("$ref", "")
                    assert ref.startswith("#/components/responses/"), (op["operationId"], status)


def _shared_responses_script() -> Any:
    """``scripts/spec_shared_responses.py`` as a module."""
    path = SPEC_PATH.parent / "scripts" / "spec_shared_responses.py"
    spec = importlib.util.spec_from_file_location("spec_shared_responses", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_operation_documents_the_refusals_any_route_can_get() -> None:
    """414 and 431 (an oversized request head, refused by the server's HTTP protocol before
    any route) and 503 ``busy`` are documented by every operation
    (``scripts/spec_shared_responses.py``), and that script's ``--fix`` adds exactly the
    lines a spec lacking them needs."""
    script = _shared_responses_script()
    assert script.missing(load_spec()) == []
    text = SPEC_PATH.read_text()
    shared = re.compile(r'^        "(408|414|431|503)": .*\n', re.MULTILINE)
    stripped = shared.sub("", text)
    assert stripped != text and script.missing(yaml.safe_load(stripped))
    assert script.fix(stripped) == text
    assert script.fix(text) == text


def _served_routes() -> dict[str, tuple[str, str]]:
    routes: dict[str, tuple[str, str]] = {"system_openapi": ("GET", "/openapi.yaml")}
    for router in ROUTERS:
        for route in router.routes:
            methods = sorted(m for m in route.methods if m != "HEAD" or route.name.endswith("head"))  # type: ignore[attr-defined]
            assert len(methods) == 1, route
            routes[route.name] = (methods[0], route.path)  # type: ignore[attr-defined]
    return routes


def test_route_parity_with_the_spec() -> None:
    ops = spec_operations(load_spec())
    served = _served_routes()
    extra = {name: r for name, r in served.items() if ops.get(name) != r}
    assert extra == {}, "routes that are not spec operations (or differ in method/path)"
    missing = set(ops) - set(served) - NOT_YET_SERVED
    assert missing == set(), "spec operations without a route"
    assert NOT_YET_SERVED & set(served) == set(), "served now: remove from NOT_YET_SERVED"


def test_unserved_operations_answer_501_naming_the_operation(
    server: LiveServer, users: dict[str, str]
) -> None:
    """Issue 8 D4: a spec operation without a route is a 501 ``not_implemented`` problem that
    names it (not a generic 404, nor a 405 for ``POST /buckets/import``), and declares it."""
    spec = load_spec()
    ops = spec_operations(spec)
    headers = {"Authorization": f"Bearer {users['alice']}"}
    for op_id in sorted(NOT_YET_SERVED):
        method, template = ops[op_id]
        path = re.sub(r"\{[^}]+\}", "x1", template)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        r = httpx.request(method, server.api + path, json=body, headers=headers)
        assert r.status_code == 501, (op_id, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["code"] == "not_implemented" and op_id in problem["detail"], problem
        declared = spec["paths"][template][method.lower()]["responses"]
        assert declared.get("501") == {"$ref": "#/components/responses/NotImplemented"}, op_id
    # Credentials are still checked first.
    assert httpx.get(server.api + "/projects").status_code == 401


def test_spec_is_served_verbatim(server: LiveServer) -> None:
    response = httpx.get(server.api + "/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.content == SPEC_PATH.read_bytes()
    assert response.headers["x-request-id"]


def test_every_response_has_a_request_id_and_errors_are_problems(server: LiveServer) -> None:
    r = httpx.get(server.api + "/no/such/route", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 404 and r.headers["x-request-id"] == "abc-123"
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and body["request_id"] == "abc-123" and body["code"] == "not_found"
    bad = httpx.get(server.api + "/health", headers={"X-Request-ID": "x" * 500})
    assert bad.headers["x-request-id"].startswith("req_")


def test_unknown_query_parameters_are_refused(server: LiveServer, users: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {users['alice']}"}
    r = httpx.get(server.api + "/buckets", params={"serach": "x"}, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "unknown_parameter"
    assert "serach" in r.json()["detail"] and "search" in r.json()["detail"]
    assert (
        httpx.get(server.api + "/buckets", params={"search": "x"}, headers=headers).status_code
        == 200
    )
