"""The kinds this server runs: importing this module registers them (:mod:`.kinds`). A new
kind module is added here (one import line)."""

from __future__ import annotations

from . import copying, deleting

__all__ = ["copying", "deleting"]
