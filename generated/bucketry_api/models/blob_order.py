from typing import Literal, cast

BlobOrder = Literal["created_at", "name", "size"]

BLOB_ORDER_VALUES: set[BlobOrder] = {
    "created_at",
    "name",
    "size",
}


def check_blob_order(value: str) -> BlobOrder:
    """Return ``value`` typed as ``BlobOrder``.  Values outside
    ``BLOB_ORDER_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(BlobOrder, value)
