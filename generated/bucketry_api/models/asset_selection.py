from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AssetSelection")


@_attrs_define
class AssetSelection:
    """Assets named by id and/or external id.

    Attributes:
        asset_ids (list[str] | Unset):
        external_ids (list[str] | Unset):
    """

    asset_ids: list[str] | Unset = UNSET
    external_ids: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        asset_ids: list[str] | Unset = UNSET
        if not isinstance(self.asset_ids, Unset):
            asset_ids = self.asset_ids

        external_ids: list[str] | Unset = UNSET
        if not isinstance(self.external_ids, Unset):
            external_ids = self.external_ids

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if asset_ids is not UNSET:
            field_dict["asset_ids"] = asset_ids
        if external_ids is not UNSET:
            field_dict["external_ids"] = external_ids

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        asset_ids = cast(list[str], d.pop("asset_ids", UNSET))

        external_ids = cast(list[str], d.pop("external_ids", UNSET))

        asset_selection = cls(
            asset_ids=asset_ids,
            external_ids=external_ids,
        )

        return asset_selection
