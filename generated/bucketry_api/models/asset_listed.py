from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.asset_listed_labels_item import AssetListedLabelsItem


T = TypeVar("T", bound="AssetListed")


@_attrs_define
class AssetListed:
    """An asset of a listing: the fields of `Asset` selected by `fields` (all of them by default), plus `labels` (label
    objects with the selected label fields) when asked.

        Attributes:
            id (str | Unset):
            labels (list[AssetListedLabelsItem] | Unset):
    """

    id: str | Unset = UNSET
    labels: list[AssetListedLabelsItem] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        labels: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.labels, Unset):
            labels = []
            for labels_item_data in self.labels:
                labels_item = labels_item_data.to_dict()
                labels.append(labels_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if labels is not UNSET:
            field_dict["labels"] = labels

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.asset_listed_labels_item import AssetListedLabelsItem

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        _labels = d.pop("labels", UNSET)
        labels: list[AssetListedLabelsItem] | Unset = UNSET
        if _labels is not UNSET:
            labels = []
            for labels_item_data in _labels:
                labels_item = AssetListedLabelsItem.from_dict(labels_item_data)

                labels.append(labels_item)

        asset_listed = cls(
            id=id,
            labels=labels,
        )

        asset_listed.additional_properties = d
        return asset_listed

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
