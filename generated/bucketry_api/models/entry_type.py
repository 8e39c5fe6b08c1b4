from typing import Literal, cast

EntryType = Literal["DIR", "FILE"]

ENTRY_TYPE_VALUES: set[EntryType] = {
    "DIR",
    "FILE",
}


def check_entry_type(value: str) -> EntryType:
    """Return ``value`` typed as ``EntryType``.  Values outside
    ``ENTRY_TYPE_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(EntryType, value)
