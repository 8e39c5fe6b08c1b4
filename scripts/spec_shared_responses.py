#!/usr/bin/env python3
"""Check (or add) the answers every operation of ``openapi.yaml`` can get whatever its route.

Some refusals happen before any route or in code every route shares, so every operation must
document them: 408 (the request head or body did not arrive in time:
``bucketry_server.protocol``, ``BodyTimeoutMiddleware``), 414 and 431 (the server's HTTP
protocol refuses an oversized request head) and 503 (a shared resource stayed busy past its
bounded wait: the SQLite write gate, the spool budget). Each is one entry of
``components/responses`` referenced by every operation; a HEAD operation, which has no body,
documents them with a plain description instead.

Usage: ``scripts/spec_shared_responses.py [--fix] [SPEC]``. Without ``--fix`` it prints each
operation lacking one and exits 1 (``tests/test_contract.py`` runs the check); ``--fix``
inserts the missing entries in status order, each as one line, leaving the rest of the file
as it is.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"
#: status -> the shared response every operation references for it.
SHARED = {
    "408": "RequestTimeout",
    "414": "UriTooLong",
    "431": "RequestHeaderFieldsTooLarge",
    "503": "ServiceUnavailable",
}
#: status -> what a HEAD operation says instead (no body on HEAD).
HEAD_TEXT = {
    "408": "The request head did not arrive in time (no body on HEAD).",
    "414": "The request target made the request head too large (no body on HEAD).",
    "431": "The request head is too large (no body on HEAD).",
    "503": "The server is busy; retry after `Retry-After` seconds (no body on HEAD).",
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

_PATH = re.compile(r"^  (/\S*):\s*$")
_METHOD = re.compile(r"^    (" + "|".join(METHODS) + r"):\s*$")
_RESPONSES = re.compile(r"^      responses:\s*$")
_ENTRY = re.compile(r'^        "(\d{3})":')


def expected_entry(method: str, status: str) -> dict[str, Any]:
    """The entry ``status`` must have in a ``method`` operation's responses."""
    if method == "head":
        return {"description": HEAD_TEXT[status]}
    return {"$ref": f"#/components/responses/{SHARED[status]}"}


def missing(spec: dict[str, Any]) -> list[str]:
    """``"METHOD /path: status"`` for every operation whose responses lack a shared entry
    (or carry a different one); also names a shared response absent from the components."""
    problems = [
        f"components/responses/{name} is missing"
        for name in SHARED.values()
        if name not in spec.get("components", {}).get("responses", {})
    ]
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            responses = op.get("responses", {})
            for status in SHARED:
                if responses.get(status) != expected_entry(method, status):
                    problems.append(f"{method.upper()} {path}: {status}")
    return problems


def _line(method: str, status: str) -> str:
    if method == "head":
        return f'        "{status}": {{description: "{HEAD_TEXT[status]}"}}\n'
    return f'        "{status}": {{$ref: "#/components/responses/{SHARED[status]}"}}\n'


def fix(text: str) -> str:
    """``text`` with every missing shared entry inserted into each operation's responses, in
    status order (the responses blocks must be indented as the spec's are)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    method = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := _METHOD.match(line):
            method = m.group(1)
        elif _PATH.match(line):
            method = ""
        out.append(line)
        i += 1
        if not (method and _RESPONSES.match(line)):
            continue
        end = i
        while end < len(lines) and _in_block(lines, end):
            end += 1
        out.extend(_merge(lines[i:end], method))
        i = end
    return "".join(out)


def _in_block(lines: list[str], i: int) -> bool:
    """Whether line ``i`` still belongs to the responses block above it (indented into it, or
    blank with the block going on after it)."""
    if lines[i].strip():
        return lines[i].startswith("        ")
    rest = [line for line in lines[i + 1 :] if line.strip()]
    return bool(rest) and rest[0].startswith("        ")


def _merge(block: list[str], method: str) -> list[str]:
    """A responses block with the shared entries it lacks inserted before the first entry of
    a higher status (each entry's continuation lines stay with it)."""
    present = {m.group(1) for line in block if (m := _ENTRY.match(line))}
    todo = sorted(s for s in SHARED if s not in present)
    merged: list[str] = []
    for line in block:
        m = _ENTRY.match(line)
        while m and todo and todo[0] < m.group(1):
            merged.append(_line(method, todo.pop(0)))
        merged.append(line)
    merged.extend(_line(method, s) for s in todo)
    return merged


def main(argv: list[str]) -> int:
    """Check (or with ``--fix`` complete) the spec named in ``argv`` (default openapi.yaml)."""
    args = [a for a in argv if a != "--fix"]
    path = Path(args[0]) if args else SPEC
    if "--fix" in argv:
        path.write_text(fix(path.read_text()))
    problems = missing(yaml.load(path.read_text(), Loader=yaml.CSafeLoader))
    for problem in problems:
        print(f"{path.name}: lacks the shared answer {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
