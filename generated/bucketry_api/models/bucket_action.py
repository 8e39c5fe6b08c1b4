from typing import Literal, cast

BucketAction = Literal["READ", "WRITE"]

BUCKET_ACTION_VALUES: set[BucketAction] = {
    "READ",
    "WRITE",
}


def check_bucket_action(value: str) -> BucketAction:
    """Return ``value`` typed as ``BucketAction``.  Values outside
    ``BUCKET_ACTION_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(BucketAction, value)
