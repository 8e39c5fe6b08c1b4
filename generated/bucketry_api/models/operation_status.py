from typing import Literal, cast

OperationStatus = Literal["CANCELLED", "FAILED", "PENDING", "RUNNING", "SUCCEEDED"]

OPERATION_STATUS_VALUES: set[OperationStatus] = {
    "CANCELLED",
    "FAILED",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
}


def check_operation_status(value: str) -> OperationStatus:
    """Return ``value`` typed as ``OperationStatus``.  Values outside
    ``OPERATION_STATUS_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(OperationStatus, value)
