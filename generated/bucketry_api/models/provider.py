from typing import Literal, cast

Provider = Literal["AWS_S3", "AZURE_BLOB", "FILESYSTEM", "GCS", "MANAGED", "S3_COMPATIBLE"]

PROVIDER_VALUES: set[Provider] = {
    "AWS_S3",
    "AZURE_BLOB",
    "FILESYSTEM",
    "GCS",
    "MANAGED",
    "S3_COMPATIBLE",
}


def check_provider(value: str) -> Provider:
    """Return ``value`` typed as ``Provider``.  Values outside
    ``PROVIDER_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(Provider, value)
