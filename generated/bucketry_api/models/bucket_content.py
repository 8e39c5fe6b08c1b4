from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.bucket_content_entry import BucketContentEntry


T = TypeVar("T", bound="BucketContent")


@_attrs_define
class BucketContent:
    """
    Attributes:
        prefix (str):
        content (list[BucketContentEntry]):
        next_token (None | str): Token for the next page; null on the last.
    """

    prefix: str
    content: list[BucketContentEntry]
    next_token: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prefix = self.prefix

        content = []
        for content_item_data in self.content:
            content_item = content_item_data.to_dict()
            content.append(content_item)

        next_token: None | str
        next_token = self.next_token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prefix": prefix,
                "content": content,
                "next_token": next_token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.bucket_content_entry import BucketContentEntry

        d = dict(src_dict)
        prefix = d.pop("prefix")

        content = []
        _content = d.pop("content")
        for content_item_data in _content:
            content_item = BucketContentEntry.from_dict(content_item_data)

            content.append(content_item)

        def _parse_next_token(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_token = _parse_next_token(d.pop("next_token"))

        bucket_content = cls(
            prefix=prefix,
            content=content,
            next_token=next_token,
        )

        bucket_content.additional_properties = d
        return bucket_content

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
