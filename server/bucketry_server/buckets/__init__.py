"""Buckets: create/update/delete, visibility and filters (JSON Logic), content browsing and
manifests, preview thumbnails, usage. Callable without a request."""
