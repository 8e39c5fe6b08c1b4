from typing import Literal, cast

SortDirection = Literal["asc", "desc"]

SORT_DIRECTION_VALUES: set[SortDirection] = {
    "asc",
    "desc",
}


def check_sort_direction(value: str) -> SortDirection:
    """Return ``value`` typed as ``SortDirection``.  Values outside
    ``SORT_DIRECTION_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(SortDirection, value)
