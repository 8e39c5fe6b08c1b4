from typing import Literal, cast

AccessMode = Literal["READ", "READ_WRITE"]

ACCESS_MODE_VALUES: set[AccessMode] = {
    "READ",
    "READ_WRITE",
}


def check_access_mode(value: str) -> AccessMode:
    """Return ``value`` typed as ``AccessMode``.  Values outside
    ``ACCESS_MODE_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(AccessMode, value)
