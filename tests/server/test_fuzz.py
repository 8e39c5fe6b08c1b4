"""Schemathesis against the live server with all of its checks: for every operation served so
far, generated requests never cause a 5xx, every response conforms to the spec (status, headers,
body schema), requests the spec forbids are refused and requests it allows are accepted.

Every case is authenticated as the fuzzer (except negative cases about the Authorization header
itself); positive cases get the fixups of :mod:`tests.server.fuzz_fixups` for the few rules JSON
Schema cannot express. The run is bounded (a few examples per operation) to keep CI fast;
``scripts/fuzz`` runs a longer campaign with the same settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.server.fuzz_fixups import ZIP_KEY, fix_positive, zip_archive
from tests.support.live_server import LiveServer, live_server
from tests.test_contract import NOT_YET_SERVED, SPEC_PATH

schema = schemathesis.openapi.from_path(str(SPEC_PATH))
# Tar batches are bytes like any binary body (random bytes are rightly refused as invalid_tar).
schemathesis.serializer.alias("application/x-tar", "application/octet-stream")
# An oversized body is rightly refused with 413 (the JSON body limit) before it is parsed.
schema.config.checks.negative_data_rejection.expected_statuses.append("413")
# A generated query string over the head limit (e.g. hundreds of asset_id_in values) is
# refused by the server's HTTP protocol before any route: 414 (documented on every operation).
# A schema-valid one may be that long too (asset_id_in allows 1000 ids of any length).
HEAD_LIMITS = ["414", "431"]
schema.config.checks.negative_data_rejection.expected_statuses.extend(HEAD_LIMITS)
# A valid request may still find a precondition false (random If-Match: 412) or a range
# outside a blob (416): both are answers to a well-formed request, not a refusal of it.
schema.config.checks.positive_data_acceptance.expected_statuses.extend(["412", "416", *HEAD_LIMITS])
EXAMPLES = int(os.environ.get("BUCKETRY_FUZZ_EXAMPLES", "8"))
#: Seconds one generated request may take.
CALL_TIMEOUT = 30
# CI replays the same examples every run (a red build must mean a regression, not bad luck);
# scripts/fuzz explores new ones with BUCKETRY_FUZZ_RANDOM=1.
DERANDOMIZE = os.environ.get("BUCKETRY_FUZZ_RANDOM", "") in ("", "0")
# Schemathesis cannot generate a tar stream, so a schema-valid batch body is random bytes and
# rightly refused (400 invalid_tar): only for that body is "valid data is accepted" not checked.
TAR_BODY = {"blobs_put_batch"}
# Operations that would destroy the seeded fixtures the other cases aim at.
KEEP_SEED = {"buckets_delete", "buckets_update", "tokens_delete"}
# The fuzzer's token, once its user exists (cases built at collection carry PENDING).
_TOKEN: dict[str, str] = {}
PENDING = "fuzzer-token-pending"


@schema.auth(refresh_interval=None)
class _FuzzerToken:
    """Every case carries the fuzzer's own bearer token, except negative cases whose point is a
    missing or malformed ``Authorization`` header (schemathesis leaves those alone)."""

    def get(self, case: schemathesis.Case, context: Any) -> str:
        return _TOKEN.get("token", PENDING)

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from bucketry_server.accounts.users import create_user

    data: Path = tmp_path_factory.mktemp("fuzz-data")
    with live_server(data, min_part_size=1024) as srv:
        _, token = create_user(srv.state.db, "fuzzer", org="fuzzorg")
        _TOKEN["token"] = token
        headers = {"Authorization": f"Bearer {token}"}
        r = httpx.post(srv.api + "/buckets", json={"name": "seed"}, headers=headers)
        assert r.status_code == 201, r.text
        r = httpx.put(
            srv.api + "/buckets/seed/blob",
            params={"key": "a/b.txt"},
            content=b"hello",
            headers=headers,
        )
        assert r.status_code == 201, r.text
        r = httpx.put(
            srv.api + "/buckets/seed/blob",
            params={"key": ZIP_KEY},
            content=zip_archive(),
            headers=headers,
        )
        assert r.status_code == 201, r.text
        yield {"server": srv, "headers": headers}


@schema.include(operation_id_regex=".*").parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=DERANDOMIZE,
)
def test_api_conforms(case: schemathesis.Case, fuzz_env: dict[str, Any]) -> None:
    op_id = case.operation.definition.raw.get("operationId")
    if op_id in NOT_YET_SERVED:
        pytest.skip("served by a later issue")
    srv: LiveServer = fuzz_env["server"]
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    if (
        positive
        and case.path_parameters
        and "bucket" in case.path_parameters
        and op_id not in KEEP_SEED
    ):
        case.path_parameters["bucket"] = "seed"
    if case.headers and case.headers.get("Authorization") == f"Bearer {PENDING}":
        case.headers["Authorization"] = f"Bearer {_TOKEN['token']}"
    if positive:
        fix_positive(case)
    # A generous bound: on a busy machine (CI sharing its disk) an import's probe and commit
    # once took more than the default 10 s; a hang would still fail the case.
    response = case.call(base_url=srv.api, timeout=CALL_TIMEOUT)
    if response.status_code == 400 and response.text.startswith("Invalid HTTP request"):
        return  # refused by uvicorn's HTTP parser before reaching the application
    excluded = [positive_data_acceptance] if op_id in TAR_BODY else []
    case.validate_response(response, excluded_checks=excluded)
