"""Shared helpers for resource proxies (kept for old imports; see :mod:`bucketry.types`)."""

from __future__ import annotations

from ..types import arg, model_dict, opt

__all__ = ["arg", "model_dict", "opt"]
