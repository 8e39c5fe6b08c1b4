from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.diff_add import DiffAdd
    from ..models.diff_remove import DiffRemove


T = TypeVar("T", bound="ConnectionDiff")


@_attrs_define
class ConnectionDiff:
    """
    Attributes:
        to_add (list[DiffAdd]): The first `plan_limit` files to add, by key.
        to_remove (list[DiffRemove]): The first `plan_limit` assets whose files are gone, by key.
        unchanged (int): Files already present as assets.
        to_add_count (int): Files to add in all.
        to_remove_count (int): Assets whose files are gone in all.
        conflicting (int): Files whose key is the external id of another asset of the project (left alone).
    """

    to_add: list[DiffAdd]
    to_remove: list[DiffRemove]
    unchanged: int
    to_add_count: int
    to_remove_count: int
    conflicting: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        to_add = []
        for to_add_item_data in self.to_add:
            to_add_item = to_add_item_data.to_dict()
            to_add.append(to_add_item)

        to_remove = []
        for to_remove_item_data in self.to_remove:
            to_remove_item = to_remove_item_data.to_dict()
            to_remove.append(to_remove_item)

        unchanged = self.unchanged

        to_add_count = self.to_add_count

        to_remove_count = self.to_remove_count

        conflicting = self.conflicting

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "to_add": to_add,
                "to_remove": to_remove,
                "unchanged": unchanged,
                "to_add_count": to_add_count,
                "to_remove_count": to_remove_count,
                "conflicting": conflicting,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.diff_add import DiffAdd
        from ..models.diff_remove import DiffRemove

        d = dict(src_dict)
        to_add = []
        _to_add = d.pop("to_add")
        for to_add_item_data in _to_add:
            to_add_item = DiffAdd.from_dict(to_add_item_data)

            to_add.append(to_add_item)

        to_remove = []
        _to_remove = d.pop("to_remove")
        for to_remove_item_data in _to_remove:
            to_remove_item = DiffRemove.from_dict(to_remove_item_data)

            to_remove.append(to_remove_item)

        unchanged = d.pop("unchanged")

        to_add_count = d.pop("to_add_count")

        to_remove_count = d.pop("to_remove_count")

        conflicting = d.pop("conflicting")

        connection_diff = cls(
            to_add=to_add,
            to_remove=to_remove,
            unchanged=unchanged,
            to_add_count=to_add_count,
            to_remove_count=to_remove_count,
            conflicting=conflicting,
        )

        connection_diff.additional_properties = d
        return connection_diff

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
