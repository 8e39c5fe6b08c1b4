"""Helpers for the generated-client tests: read openapi.yaml and build minimal valid JSON
examples from its schemas, so the tests follow the spec instead of hard-coding payloads."""

from __future__ import annotations

import keyword
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def spec() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read openapi.yaml")
    with SPEC_PATH.open(encoding="utf-8") as f:
        document: dict[str, Any] = yaml.safe_load(f)
    return document


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation)."""
    result = {}
    for path, item in spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                result[op["operationId"]] = (method, path, op)
    return result


def method_name(operation_id: str, tag: str) -> str:
    """The ApiClient method name the templates derive from an operationId."""
    name = operation_id.removeprefix(f"{tag}_") if operation_id != f"{tag}_" else operation_id
    return f"{name}_" if keyword.iskeyword(name) else name


def success_responses(operation_id: str) -> dict[str, dict[str, Any]]:
    op = operations()[operation_id][2]
    return {code: resolve(r) for code, r in op["responses"].items() if str(code).startswith("2")}


def json_response_schema(operation_id: str) -> tuple[int, dict[str, Any]]:
    """(status, schema) of the first 2xx JSON response."""
    for code, response in sorted(success_responses(operation_id).items()):
        for content_type, media in (response.get("content") or {}).items():
            if content_type == "application/json" or content_type.endswith("+json"):
                return int(code), media["schema"]
    raise LookupError(f"{operation_id} has no 2xx JSON response")


def schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def example(schema: dict[str, Any], depth: int = 0) -> Any:
    """A minimal instance of ``schema``: required properties only, first enum value, ..."""
    schema = resolve(schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if "example" in schema:
        return schema["example"]
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            options = [resolve(s) for s in schema[combinator]]
            non_null = [s for s in options if s.get("type") != "null"] or options
            return example(non_null[0], depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example(part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    types = schema.get("type", "object")
    if isinstance(types, list):
        types = next((t for t in types if t != "null"), "null")
    if types == "object":
        props = schema.get("properties", {})
        return {
            name: example(props[name], depth + 1)
            for name in schema.get("required", [])
            if name in props
        }
    if types == "array":
        return [] if depth > 4 else [example(schema.get("items", {}), depth + 1)]
    if types == "string":
        return {
            "date-time": "2024-01-02T03:04:05+00:00",
            "date": "2024-01-02",
            "uuid": "00000000-0000-0000-0000-000000000000",
        }.get(schema.get("format", ""), "x")
    if types == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if types == "number":
        return float(schema.get("minimum", 1.0))
    if types == "boolean":
        return True
    return None


def response_example(operation_id: str) -> tuple[int, Any, str | None]:
    """(status, JSON body, schema name) for the first 2xx JSON response of an operation."""
    status, schema = json_response_schema(operation_id)
    return status, example(schema), schema_name(schema)


def body_example(operation_id: str) -> tuple[Any, str | None]:
    """(JSON body, schema name) of an operation's JSON request body."""
    op = operations()[operation_id][2]
    body = resolve(op["requestBody"])
    schema = body["content"]["application/json"]["schema"]
    return example(schema), schema_name(schema)
