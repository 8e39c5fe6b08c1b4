from typing import Literal, cast

OperationKind = Literal["CONNECTION_SYNC", "COPY", "DELETE_PREFIX", "EXPORT", "IMPORT_URL"]

OPERATION_KIND_VALUES: set[OperationKind] = {
    "CONNECTION_SYNC",
    "COPY",
    "DELETE_PREFIX",
    "EXPORT",
    "IMPORT_URL",
}


def check_operation_kind(value: str) -> OperationKind:
    """Return ``value`` typed as ``OperationKind``.  Values outside
    ``OPERATION_KIND_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(OperationKind, value)
