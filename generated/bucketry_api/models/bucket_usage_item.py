from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BucketUsageItem")


@_attrs_define
class BucketUsageItem:
    """
    Attributes:
        bucket_id (str):
        name (str):
        bytes_ (int):
        objects (int):
    """

    bucket_id: str
    name: str
    bytes_: int
    objects: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bucket_id = self.bucket_id

        name = self.name

        bytes_ = self.bytes_

        objects = self.objects

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bucket_id": bucket_id,
                "name": name,
                "bytes": bytes_,
                "objects": objects,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        bucket_id = d.pop("bucket_id")

        name = d.pop("name")

        bytes_ = d.pop("bytes")

        objects = d.pop("objects")

        bucket_usage_item = cls(
            bucket_id=bucket_id,
            name=name,
            bytes_=bytes_,
            objects=objects,
        )

        bucket_usage_item.additional_properties = d
        return bucket_usage_item

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
