"""What JSON Schema cannot say, applied to the fuzzer's positive cases (not a test module).

A positive case is one schemathesis believes valid, and with every check on, a 4xx answer to it
fails the run. The spec's schemas carry every rule a schema can express (key and prefix
patterns, cursor alphabet, media types, checksum formats, "exactly one of keys/prefix"); the
rules below cannot be expressed, so a generated value can only satisfy them by luck:

- cursors and ``next_token`` are opaque values the server issued for that very listing;
- ``filter`` is a JSON Logic expression (JSON text with its own grammar); likewise
  ``metadata_where`` (JSON) and ``label_category_search`` (the category grammar);
- checksum headers must match the body, ``X-Blob-Metadata`` is JSON text;
- blob listings: a delimiter (or ``recursive=false``) needs ``order_by=name``, and
  ``recursive=false`` means ``delimiter=/``;
- completed parts are listed once each, by ascending part number;
- an operation's ``source``/``destination`` are ``bkt://`` addresses of buckets that exist
  (the seed), and only the kinds this server runs are accepted (others: 501);
- zip member listings need a blob that is a zip archive (any other blob is a 422 ``not_a_zip``,
  which depends on the data, not on the request): they read the seeded ``ZIP_KEY``.

Each fixup makes the case meaningful without narrowing what else is generated; negative cases
are never touched (their bad values must reach the server).
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import zipfile
from typing import Any

import google_crc32c
import schemathesis

#: A zip archive the fuzz fixture stores in its seed bucket, for the zip member operations.
ZIP_KEY = "archive.zip"
_IMPORTS = itertools.count()

#: Valid JSON Logic filters over the bucket listing's fields, picked by the generated value.
FILTERS = (
    "true",
    '{"==": [{"var": "provider"}, "MANAGED"]}',
    '{"in": ["ee", {"var": "name"}]}',
    '{"and": [{"!": {"var": "public"}}, {"!=": [{"var": "org"}, null]}]}',
    '{"<": ["2000-01-01T00:00:00Z", {"var": "created_at"}, "2100-01-01T00:00:00Z"]}',
    '{"or": [{"in": [{"var": "status"}, ["AVAILABLE", "CHECKING"]]}, {"var": "imported"}]}',
)

#: Valid ``metadata_where`` JSON (equality, any of, numeric range), picked likewise.
METADATA_WHERE = ('{"k": "v"}', '{"k": ["a", "b"]}', '{"n": [1, 10]}', '{"flag": true}')
#: Valid ``label_category_search`` expressions of the category grammar.
CATEGORY_SEARCHES = (
    "JOB.A.count > 0",
    "JOB.A.count == 1 OR JOB.B.count >= 2",
    "(JOB.A.count < 3 OR JOB.B.count <= 0) AND OTHER.C.count > 10",
)


def _pick(options: tuple[str, ...], seed: object) -> str:
    digest = hashlib.sha256(repr(seed).encode("utf-8", "surrogatepass")).digest()
    return options[digest[0] % len(options)]


def _body_bytes(case: schemathesis.Case) -> bytes | None:
    body: Any = case.body
    body = getattr(body, "data", body)
    return body if isinstance(body, bytes) else None


def _query(case: schemathesis.Case) -> None:
    query = case.query
    if not query:
        return
    query.pop("cursor", None)
    query.pop("next_token", None)
    if "/blob/zip" in case.operation.path:
        query["key"] = ZIP_KEY
    if "filter" in query:
        query["filter"] = _pick(FILTERS, query["filter"])
    if "metadata_where" in query:
        query["metadata_where"] = _pick(METADATA_WHERE, query["metadata_where"])
    if "label_category_search" in query:
        query["label_category_search"] = _pick(CATEGORY_SEARCHES, query["label_category_search"])
    if case.operation.path.endswith("/blobs") and case.method.upper() == "GET":
        recursive = str(query.get("recursive", "true")).lower() != "false"
        if not recursive:
            query.pop("delimiter", None)
        if not recursive or query.get("delimiter"):
            query["order_by"] = "name"


def _headers(case: schemathesis.Case) -> None:
    headers = case.headers
    if not headers:
        return
    data = _body_bytes(case)
    if data is not None:
        if "X-Checksum-SHA256" in headers:
            headers["X-Checksum-SHA256"] = hashlib.sha256(data).hexdigest()
        if "Content-MD5" in headers:
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        if "X-Checksum-CRC32C" in headers:
            crc = google_crc32c.value(data).to_bytes(4, "big")
            headers["X-Checksum-CRC32C"] = base64.b64encode(crc).decode()
    elif "X-Checksum-CRC32C" in headers:  # a completion's full-object CRC: unknowable here
        del headers["X-Checksum-CRC32C"]
    if "X-Blob-Metadata" in headers:
        headers["X-Blob-Metadata"] = json.dumps({"fuzz": headers["X-Blob-Metadata"][:200]})


def _import_body(body: dict[str, object]) -> None:
    """A schema-valid import made acceptable: rules JSON Schema cannot say (the credential
    fields each provider needs, an endpoint for S3_COMPATIBLE, key rules of the prefix, a
    FILESYSTEM root) are met by an S3-compatible bucket at a dead loopback endpoint (the probe
    answers UNREACHABLE at once; the fuzz server allows 127.0.0.0/8)."""
    body["provider"] = "S3_COMPATIBLE"
    body["endpoint_url"] = "http://127.0.0.1:9"
    body["credentials"] = {"access_key_id": "fuzz", "secret_access_key": "fuzz-secret"}
    body["prefix"] = "fuzz/"
    if not body.get("name") or body["name"] == "count":  # "count" is reserved (422)
        body["name"] = f"fuzz-import-{next(_IMPORTS)}"


def _connection_body(body: dict[str, object]) -> None:
    """A schema-valid connection made acceptable: folder segments that are not empty, ``.``
    or ``..`` and globs without a reversed class range (rules JSON Schema cannot say) keep
    their number of items."""
    for name, make in (("selected_folders", "f{}"), ("include", "**/*.x{}"), ("exclude", "z{}/**")):
        items = body.get(name)
        if isinstance(items, list):
            body[name] = [make.format(i) for i in range(len(items))]


def _operation_body(body: dict[str, object]) -> None:
    """A schema-valid operation made acceptable: a kind this server runs, with addresses in
    the seed bucket that leave the seeded blobs alone (a copy of one of them, a delete of a
    prefix that holds nothing)."""
    if body.get("kind") == "DELETE_PREFIX":
        body["source"] = "bkt://seed/fuzz-nothing/"
    else:
        body["kind"] = "COPY"
        body["source"] = "bkt://seed/a/b.txt"
        body["destination"] = "bkt://seed/fuzz-copies/"


def _body(case: schemathesis.Case) -> None:
    if case.operation.path == "/buckets/import" and isinstance(case.body, dict):
        _import_body(case.body)
    if case.operation.path == "/connections" and isinstance(case.body, dict):
        _connection_body(case.body)
    if case.operation.path == "/operations" and isinstance(case.body, dict):
        _operation_body(case.body)
    if case.operation.path.endswith("/complete") and isinstance(case.body, dict):
        parts = case.body.get("parts")
        if isinstance(parts, list) and all(isinstance(p, dict) for p in parts):
            by_number = {p.get("part_number"): p for p in parts}
            if all(isinstance(n, int | float) for n in by_number):
                case.body["parts"] = [by_number[n] for n in sorted(by_number)]


def zip_archive() -> bytes:
    """A small zip archive (a folder, a stored and a deflated member) for ``ZIP_KEY``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("docs/", b"")
        archive.writestr("docs/readme.txt", b"hello", compress_type=zipfile.ZIP_STORED)
        archive.writestr("data/table.csv", b"a,b\n" * 100, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def fix_positive(case: schemathesis.Case) -> None:
    """Make a positive case satisfy the server's rules that JSON Schema cannot express."""
    _body(case)
    _query(case)
    _headers(case)
