from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="BlobCopy")


@_attrs_define
class BlobCopy:
    """
    Attributes:
        source_key (str):
        key (str): Destination key in this bucket.
        source_bucket (None | str | Unset): Source bucket id or name (default this bucket).
        overwrite (bool | Unset): false = fail with 412 if the destination exists. Default: True.
    """

    source_key: str
    key: str
    source_bucket: None | str | Unset = UNSET
    overwrite: bool | Unset = True
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        source_key = self.source_key

        key = self.key

        source_bucket: None | str | Unset
        if isinstance(self.source_bucket, Unset):
            source_bucket = UNSET
        else:
            source_bucket = self.source_bucket

        overwrite = self.overwrite

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "source_key": source_key,
                "key": key,
            }
        )
        if source_bucket is not UNSET:
            field_dict["source_bucket"] = source_bucket
        if overwrite is not UNSET:
            field_dict["overwrite"] = overwrite

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        source_key = d.pop("source_key")

        key = d.pop("key")

        def _parse_source_bucket(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source_bucket = _parse_source_bucket(d.pop("source_bucket", UNSET))

        overwrite = d.pop("overwrite", UNSET)

        blob_copy = cls(
            source_key=source_key,
            key=key,
            source_bucket=source_bucket,
            overwrite=overwrite,
        )

        blob_copy.additional_properties = d
        return blob_copy

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
