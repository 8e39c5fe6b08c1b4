from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.asset_input import AssetInput


T = TypeVar("T", bound="AssetAppend")


@_attrs_define
class AssetAppend:
    """
    Attributes:
        assets (list[AssetInput]):
    """

    assets: list[AssetInput]

    def to_dict(self) -> dict[str, Any]:
        assets = []
        for assets_item_data in self.assets:
            assets_item = assets_item_data.to_dict()
            assets.append(assets_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assets": assets,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.asset_input import AssetInput

        d = dict(src_dict)
        assets = []
        _assets = d.pop("assets")
        for assets_item_data in _assets:
            assets_item = AssetInput.from_dict(assets_item_data)

            assets.append(assets_item)

        asset_append = cls(
            assets=assets,
        )

        return asset_append
