"""Bucket backends: the data plane of a bucket behind one interface (:class:`.base.BucketBackend`),
looked up with :func:`.registry.backend_for`. ``managed`` is the server's own catalogue + object
store; each external provider will be one module here (``aws_s3.py``, ``azure_blob.py``,
``gcs.py``, ``s3_compatible.py``, ``filesystem.py``), found by name (see :mod:`.registry`).

The package imports nothing on its own: import from ``.base`` and ``.registry``.
"""
