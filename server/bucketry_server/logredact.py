"""Secrets never reach the logs: signed-URL tokens in request paths are redacted.

A signed URL's token is a bearer capability, like an ``Authorization`` header (which no log
line includes). uvicorn's access log writes every request path, so a filter on its loggers
(and the server's own) replaces ``/signed/<token>`` by ``/signed/<redacted>`` in each record.
"""

from __future__ import annotations

import logging
import re

_SIGNED = re.compile(r"(/signed/)[^/?#\s\"']+")
REDACTED = "<redacted>"
#: Loggers whose records may carry request paths.
LOGGERS = ("uvicorn.access", "uvicorn.error", "bucketry_server")


def redact(text: str) -> str:
    """``text`` with every signed-URL token replaced by ``<redacted>``."""
    return _SIGNED.sub(r"\1" + REDACTED, text) if "/signed/" in text else text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and string arguments with :func:`redact` (keeps them all)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install() -> None:
    """Add the filter to :data:`LOGGERS` (once per process, however many apps are built)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
