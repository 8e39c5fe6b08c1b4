from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ZipRange")


@_attrs_define
class ZipRange:
    """
    Attributes:
        member (str):
        start (int): First byte of the member's data in the blob.
        end (int): Last byte (inclusive) of the member's data.
        compressed_size (int):
        size (int):
        method (int): 0 stored (bytes are the file), 8 raw deflate.
        crc32 (int | None | Unset):
        encrypted (bool | Unset): The member is encrypted (its data is not the plain or deflated file). Default: False.
    """

    member: str
    start: int
    end: int
    compressed_size: int
    size: int
    method: int
    crc32: int | None | Unset = UNSET
    encrypted: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        member = self.member

        start = self.start

        end = self.end

        compressed_size = self.compressed_size

        size = self.size

        method = self.method

        crc32: int | None | Unset
        if isinstance(self.crc32, Unset):
            crc32 = UNSET
        else:
            crc32 = self.crc32

        encrypted = self.encrypted

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "member": member,
                "start": start,
                "end": end,
                "compressed_size": compressed_size,
                "size": size,
                "method": method,
            }
        )
        if crc32 is not UNSET:
            field_dict["crc32"] = crc32
        if encrypted is not UNSET:
            field_dict["encrypted"] = encrypted

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        member = d.pop("member")

        start = d.pop("start")

        end = d.pop("end")

        compressed_size = d.pop("compressed_size")

        size = d.pop("size")

        method = d.pop("method")

        def _parse_crc32(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        crc32 = _parse_crc32(d.pop("crc32", UNSET))

        encrypted = d.pop("encrypted", UNSET)

        zip_range = cls(
            member=member,
            start=start,
            end=end,
            compressed_size=compressed_size,
            size=size,
            method=method,
            crc32=crc32,
            encrypted=encrypted,
        )

        zip_range.additional_properties = d
        return zip_range

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
