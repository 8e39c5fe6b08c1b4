"""The kinds this server runs: importing this module registers them (:mod:`.kinds`). A new
kind module is added here (one import line, and a ``register`` call if it is written in
another shape, see :mod:`.adapters`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import copying, deleting, export, url_import
from .adapters import keyed, single
from .kinds import register


def _export_source(params: Mapping[str, Any]) -> tuple[str, str | None]:
    """EXPORT's source bucket and prefix (None: a single blob)."""
    path = str(params["source_path"])
    return str(params["source_bucket_id"]), path if path == "" or path.endswith("/") else None


IMPORT_URL = register(
    single("IMPORT_URL", url_import.validate_import_url, url_import.run_import_url)
)
EXPORT = register(keyed("EXPORT", export.validate_export, export.run_export, _export_source))

__all__ = ["EXPORT", "IMPORT_URL", "copying", "deleting"]
