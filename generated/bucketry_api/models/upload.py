from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.upload_metadata import UploadMetadata
    from ..models.upload_part import UploadPart


T = TypeVar("T", bound="Upload")


@_attrs_define
class Upload:
    """
    Attributes:
        id (str): Upload id (`upl_…`).
        bucket_id (str):
        key (str):
        created_at (datetime.datetime):
        expires_at (datetime.datetime): An upload left open past this is aborted and its space reclaimed.
        parts (list[UploadPart]): Parts received so far
        content_type (None | str | Unset):
        metadata (UploadMetadata | Unset):
        size (int | None | Unset):
        min_part_size (int | Unset): Smallest allowed part except the last (bytes).
        max_parts (int | Unset):
        preferred_max_part_size (int | Unset): The largest part that suits this upload (bytes): a client joining parts
            to save per-part work keeps them at most this large. Where the server stores a part as its bytes arrive (a local
            folder; an imported folder, GCS or Azure bucket), the largest part it takes (5 GiB); where it holds each part
            whole before storing it (an S3 store; an imported S3 bucket's own multipart upload), a sixteenth of its spool
            budget (`BUCKETRY_SPOOL_MAX_BYTES`: 128 MiB by default; at most 5 GiB), so that concurrent uploads do not fill
            it. Not a limit: a larger part is taken as long as the spool can hold it.
    """

    id: str
    bucket_id: str
    key: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    parts: list[UploadPart]
    content_type: None | str | Unset = UNSET
    metadata: UploadMetadata | Unset = UNSET
    size: int | None | Unset = UNSET
    min_part_size: int | Unset = UNSET
    max_parts: int | Unset = UNSET
    preferred_max_part_size: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        bucket_id = self.bucket_id

        key = self.key

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        parts = []
        for parts_item_data in self.parts:
            parts_item = parts_item_data.to_dict()
            parts.append(parts_item)

        content_type: None | str | Unset
        if isinstance(self.content_type, Unset):
            content_type = UNSET
        else:
            content_type = self.content_type

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        size: int | None | Unset
        if isinstance(self.size, Unset):
            size = UNSET
        else:
            size = self.size

        min_part_size = self.min_part_size

        max_parts = self.max_parts

        preferred_max_part_size = self.preferred_max_part_size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "bucket_id": bucket_id,
                "key": key,
                "created_at": created_at,
                "expires_at": expires_at,
                "parts": parts,
            }
        )
        if content_type is not UNSET:
            field_dict["content_type"] = content_type
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if size is not UNSET:
            field_dict["size"] = size
        if min_part_size is not UNSET:
            field_dict["min_part_size"] = min_part_size
        if max_parts is not UNSET:
            field_dict["max_parts"] = max_parts
        if preferred_max_part_size is not UNSET:
            field_dict["preferred_max_part_size"] = preferred_max_part_size

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.upload_metadata import UploadMetadata
        from ..models.upload_part import UploadPart

        d = dict(src_dict)
        id = d.pop("id")

        bucket_id = d.pop("bucket_id")

        key = d.pop("key")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        parts = []
        _parts = d.pop("parts")
        for parts_item_data in _parts:
            parts_item = UploadPart.from_dict(parts_item_data)

            parts.append(parts_item)

        def _parse_content_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        content_type = _parse_content_type(d.pop("content_type", UNSET))

        _metadata = d.pop("metadata", UNSET)
        metadata: UploadMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = UploadMetadata.from_dict(_metadata)

        def _parse_size(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        size = _parse_size(d.pop("size", UNSET))

        min_part_size = d.pop("min_part_size", UNSET)

        max_parts = d.pop("max_parts", UNSET)

        preferred_max_part_size = d.pop("preferred_max_part_size", UNSET)

        upload = cls(
            id=id,
            bucket_id=bucket_id,
            key=key,
            created_at=created_at,
            expires_at=expires_at,
            parts=parts,
            content_type=content_type,
            metadata=metadata,
            size=size,
            min_part_size=min_part_size,
            max_parts=max_parts,
            preferred_max_part_size=preferred_max_part_size,
        )

        upload.additional_properties = d
        return upload

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
