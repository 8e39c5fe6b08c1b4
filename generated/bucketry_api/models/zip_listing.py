from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.zip_member import ZipMember


T = TypeVar("T", bound="ZipListing")


@_attrs_define
class ZipListing:
    """
    Attributes:
        size (int): Size of the zip blob.
        members (list[ZipMember]):
    """

    size: int
    members: list[ZipMember]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        size = self.size

        members = []
        for members_item_data in self.members:
            members_item = members_item_data.to_dict()
            members.append(members_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "size": size,
                "members": members,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.zip_member import ZipMember

        d = dict(src_dict)
        size = d.pop("size")

        members = []
        _members = d.pop("members")
        for members_item_data in _members:
            members_item = ZipMember.from_dict(members_item_data)

            members.append(members_item)

        zip_listing = cls(
            size=size,
            members=members,
        )

        zip_listing.additional_properties = d
        return zip_listing

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
