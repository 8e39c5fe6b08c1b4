from typing import Literal, cast

BucketImportProvider = Literal["AWS_S3", "AZURE_BLOB", "FILESYSTEM", "GCS", "S3_COMPATIBLE"]

BUCKET_IMPORT_PROVIDER_VALUES: set[BucketImportProvider] = {
    "AWS_S3",
    "AZURE_BLOB",
    "FILESYSTEM",
    "GCS",
    "S3_COMPATIBLE",
}


def check_bucket_import_provider(value: str) -> BucketImportProvider:
    """Return ``value`` typed as ``BucketImportProvider``.  Values outside
    ``BUCKET_IMPORT_PROVIDER_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(BucketImportProvider, value)
