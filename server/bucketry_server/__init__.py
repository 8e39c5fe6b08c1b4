"""Bucketry reference server: FastAPI + SQLAlchemy over a local folder or an S3 store."""

__version__ = "0.1.0"
