from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FolderEntry")


@_attrs_define
class FolderEntry:
    """
    Attributes:
        prefix (str): The folder (a common prefix ending with the delimiter).
        size (int): Total size of the blobs below it (all levels).
        count (int): Number of blobs below it (all levels).
        latest_at (datetime.datetime | None): Latest creation time of a blob below it.
        complete (bool): False when the folder holds more blobs than one page may examine (ordered by name):
            `size`, `count` and `latest_at` then cover only the first of its blobs (lower bounds).
    """

    prefix: str
    size: int
    count: int
    latest_at: datetime.datetime | None
    complete: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prefix = self.prefix

        size = self.size

        count = self.count

        latest_at: None | str
        if isinstance(self.latest_at, datetime.datetime):
            latest_at = self.latest_at.isoformat()
        else:
            latest_at = self.latest_at

        complete = self.complete

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prefix": prefix,
                "size": size,
                "count": count,
                "latest_at": latest_at,
                "complete": complete,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prefix = d.pop("prefix")

        size = d.pop("size")

        count = d.pop("count")

        def _parse_latest_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                latest_at_type_0 = datetime.datetime.fromisoformat(data)

                return latest_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        latest_at = _parse_latest_at(d.pop("latest_at"))

        complete = d.pop("complete")

        folder_entry = cls(
            prefix=prefix,
            size=size,
            count=count,
            latest_at=latest_at,
            complete=complete,
        )

        folder_entry.additional_properties = d
        return folder_entry

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
