from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.blob_metadata import BlobMetadata


T = TypeVar("T", bound="Blob")


@_attrs_define
class Blob:
    """
    Attributes:
        key (str):
        size (int):
        etag (str): Entity tag (quoted) of this version.
        content_type (str):
        created_at (datetime.datetime):
        modified_at (datetime.datetime):
        sha256 (None | str | Unset): Hex SHA-256 of the content when known.
        crc32c (None | str | Unset): Base64 of the big-endian CRC32C of the content when known (as the `X-Checksum-
            CRC32C` header).
        metadata (BlobMetadata | Unset): User metadata.
    """

    key: str
    size: int
    etag: str
    content_type: str
    created_at: datetime.datetime
    modified_at: datetime.datetime
    sha256: None | str | Unset = UNSET
    crc32c: None | str | Unset = UNSET
    metadata: BlobMetadata | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        size = self.size

        etag = self.etag

        content_type = self.content_type

        created_at = self.created_at.isoformat()

        modified_at = self.modified_at.isoformat()

        sha256: None | str | Unset
        if isinstance(self.sha256, Unset):
            sha256 = UNSET
        else:
            sha256 = self.sha256

        crc32c: None | str | Unset
        if isinstance(self.crc32c, Unset):
            crc32c = UNSET
        else:
            crc32c = self.crc32c

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "size": size,
                "etag": etag,
                "content_type": content_type,
                "created_at": created_at,
                "modified_at": modified_at,
            }
        )
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256
        if crc32c is not UNSET:
            field_dict["crc32c"] = crc32c
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.blob_metadata import BlobMetadata

        d = dict(src_dict)
        key = d.pop("key")

        size = d.pop("size")

        etag = d.pop("etag")

        content_type = d.pop("content_type")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        modified_at = datetime.datetime.fromisoformat(d.pop("modified_at"))

        def _parse_sha256(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sha256 = _parse_sha256(d.pop("sha256", UNSET))

        def _parse_crc32c(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        crc32c = _parse_crc32c(d.pop("crc32c", UNSET))

        _metadata = d.pop("metadata", UNSET)
        metadata: BlobMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = BlobMetadata.from_dict(_metadata)

        blob = cls(
            key=key,
            size=size,
            etag=etag,
            content_type=content_type,
            created_at=created_at,
            modified_at=modified_at,
            sha256=sha256,
            crc32c=crc32c,
            metadata=metadata,
        )

        blob.additional_properties = d
        return blob

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
