"""Blobs: validation of what is written (checksums, metadata, media types), the blob services
(put/copy/delete/bulk delete/listing through the bucket's backend), tar batches and zip
indexes. Callable without a request."""
