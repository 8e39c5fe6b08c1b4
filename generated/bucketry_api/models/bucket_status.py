from typing import Literal, cast

BucketStatus = Literal["AVAILABLE", "CHECKING", "FORBIDDEN", "NOT_FOUND", "UNREACHABLE"]

BUCKET_STATUS_VALUES: set[BucketStatus] = {
    "AVAILABLE",
    "CHECKING",
    "FORBIDDEN",
    "NOT_FOUND",
    "UNREACHABLE",
}


def check_bucket_status(value: str) -> BucketStatus:
    """Return ``value`` typed as ``BucketStatus``.  Values outside
    ``BUCKET_STATUS_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(BucketStatus, value)
