from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ZipMember")


@_attrs_define
class ZipMember:
    """
    Attributes:
        name (str): Full name inside the archive.
        size (int): Uncompressed size.
        compressed_size (int):
        offset (int): Offset of the member's local header in the blob.
        method (int): Compression method (0 stored, 8 deflate, …).
        is_dir (bool):
        crc32 (int | None | Unset):
        modified_at (datetime.datetime | None | Unset):
        encrypted (bool | Unset): The member is encrypted (general purpose flag bit 0); its data cannot be read without
            the password. Default: False.
    """

    name: str
    size: int
    compressed_size: int
    offset: int
    method: int
    is_dir: bool
    crc32: int | None | Unset = UNSET
    modified_at: datetime.datetime | None | Unset = UNSET
    encrypted: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        size = self.size

        compressed_size = self.compressed_size

        offset = self.offset

        method = self.method

        is_dir = self.is_dir

        crc32: int | None | Unset
        if isinstance(self.crc32, Unset):
            crc32 = UNSET
        else:
            crc32 = self.crc32

        modified_at: None | str | Unset
        if isinstance(self.modified_at, Unset):
            modified_at = UNSET
        elif isinstance(self.modified_at, datetime.datetime):
            modified_at = self.modified_at.isoformat()
        else:
            modified_at = self.modified_at

        encrypted = self.encrypted

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "size": size,
                "compressed_size": compressed_size,
                "offset": offset,
                "method": method,
                "is_dir": is_dir,
            }
        )
        if crc32 is not UNSET:
            field_dict["crc32"] = crc32
        if modified_at is not UNSET:
            field_dict["modified_at"] = modified_at
        if encrypted is not UNSET:
            field_dict["encrypted"] = encrypted

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        size = d.pop("size")

        compressed_size = d.pop("compressed_size")

        offset = d.pop("offset")

        method = d.pop("method")

        is_dir = d.pop("is_dir")

        def _parse_crc32(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        crc32 = _parse_crc32(d.pop("crc32", UNSET))

        def _parse_modified_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                modified_at_type_0 = datetime.datetime.fromisoformat(data)

                return modified_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        modified_at = _parse_modified_at(d.pop("modified_at", UNSET))

        encrypted = d.pop("encrypted", UNSET)

        zip_member = cls(
            name=name,
            size=size,
            compressed_size=compressed_size,
            offset=offset,
            method=method,
            is_dir=is_dir,
            crc32=crc32,
            modified_at=modified_at,
            encrypted=encrypted,
        )

        zip_member.additional_properties = d
        return zip_member

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
