"""Shared helpers for resource proxies."""

from __future__ import annotations

from typing import Any, TypeVar

from bucketry_api.types import UNSET, Unset

T = TypeVar("T")


def opt(value: T | Unset | None) -> T | None:
    """The generated models use ``UNSET`` for absent fields; the SDK speaks ``None``."""
    return None if isinstance(value, Unset) else value


def arg(value: T | None) -> T | Unset:
    """``None`` → ``UNSET`` for optional arguments of the generated layer."""
    return UNSET if value is None else value


def model_dict(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.to_dict()
    return data
