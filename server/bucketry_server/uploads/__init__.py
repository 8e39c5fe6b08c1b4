"""Multipart uploads: the protocol (create, parts, complete, abort, expiry) and the rolling
hash of parts as they arrive. Callable without a request."""
