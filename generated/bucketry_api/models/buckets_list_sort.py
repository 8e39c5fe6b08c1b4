from typing import Literal, cast

BucketsListSort = Literal[
    "-created_at",
    "-id",
    "-name",
    "-owner",
    "-provider",
    "-resource",
    "-updated_at",
    "created_at",
    "id",
    "name",
    "owner",
    "provider",
    "resource",
    "updated_at",
]

BUCKETS_LIST_SORT_VALUES: set[BucketsListSort] = {
    "-created_at",
    "-id",
    "-name",
    "-owner",
    "-provider",
    "-resource",
    "-updated_at",
    "created_at",
    "id",
    "name",
    "owner",
    "provider",
    "resource",
    "updated_at",
}


def check_buckets_list_sort(value: str) -> BucketsListSort:
    """Return ``value`` typed as ``BucketsListSort``.  Values outside
    ``BUCKETS_LIST_SORT_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(BucketsListSort, value)
