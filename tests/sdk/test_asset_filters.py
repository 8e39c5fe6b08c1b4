"""The asset filters' mapping to query parameters, checked before any request (no server)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bucketry.resources.asset_filters import matches_nothing, query_params


def test_kili_names_map_to_the_query_parameters() -> None:
    params = query_params(
        {
            "asset_id": "ast_2",
            "asset_id_in": ["ast_1"],
            "external_id_strictly_in": ["b"],
            "external_id_in": ["a"],
            "status_in": ["TODO", "LABELED"],
            "metadata_where": {"size": [1, 5], "color": "red"},
            "updated_at_gte": "2026-01-02T03:04:05+00:00",
            "label_created_at": "2026-01-02T10:00:00",
            "consensus_mark_gt": 1,
            "skipped": False,
            "label_type_in": ["REVIEW"],
            "label_category_search": "JOB.A.count > 0",
            "honeypot_mark_lt": None,
        }
    )
    assert params["asset_id_in"] == ["ast_1", "ast_2"]
    assert params["external_id_in"] == ["a", "b"]
    assert json.loads(params["metadata_where"]) == {"size": [1, 5], "color": "red"}
    assert params["updated_at_gte"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert params["label_created_at"] == date(2026, 1, 2)
    assert params["consensus_mark_gt"] == 1.0 and params["skipped"] is False
    assert "honeypot_mark_lt" not in params


@pytest.mark.parametrize(
    ("filters", "error", "match"),
    [
        ({"colour": "red"}, TypeError, "colour"),
        ({"status_in": "TODO"}, TypeError, "status_in must be a list"),
        ({"status_in": ["DONE"]}, ValueError, "DONE"),
        ({"label_type_in": ["GUESS"]}, ValueError, "GUESS"),
        ({"skipped": "yes"}, TypeError, "skipped"),
        ({"consensus_mark_gt": True}, TypeError, "consensus_mark_gt"),
        ({"updated_at_lte": "yesterday"}, ValueError, "updated_at_lte"),
        ({"metadata_where": ["k"]}, TypeError, "metadata_where"),
        ({"asset_id": 3}, TypeError, "asset_id"),
    ],
)
def test_bad_filters_are_named(filters: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        query_params(filters)


def test_an_empty_list_matches_nothing() -> None:
    assert matches_nothing(query_params({"asset_id_in": []}))
    assert matches_nothing(query_params({"status_in": []}))
    assert not matches_nothing(query_params({"status_in": ["TODO"]}))
    assert not matches_nothing(query_params({}))
