from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.asset_status import AssetStatus, check_asset_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.asset_input_json_content_type_0 import AssetInputJsonContentType0
    from ..models.asset_input_json_metadata_type_0 import AssetInputJsonMetadataType0


T = TypeVar("T", bound="AssetInput")


@_attrs_define
class AssetInput:
    """
    Attributes:
        content (None | str | Unset): URL or `bkt://bucket/key`; omit when json_content is given.
        json_content (AssetInputJsonContentType0 | None | Unset):
        external_id (None | str | Unset): Defaults to the key or a generated id.
        json_metadata (AssetInputJsonMetadataType0 | None | Unset):
        status (AssetStatus | Unset): Labelling workflow state of an asset.
        priority (int | Unset):  Default: 0.
        is_honeypot (bool | Unset):  Default: False.
        to_be_labeled_by (list[str] | Unset):
    """

    content: None | str | Unset = UNSET
    json_content: AssetInputJsonContentType0 | None | Unset = UNSET
    external_id: None | str | Unset = UNSET
    json_metadata: AssetInputJsonMetadataType0 | None | Unset = UNSET
    status: AssetStatus | Unset = UNSET
    priority: int | Unset = 0
    is_honeypot: bool | Unset = False
    to_be_labeled_by: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.asset_input_json_content_type_0 import AssetInputJsonContentType0
        from ..models.asset_input_json_metadata_type_0 import AssetInputJsonMetadataType0

        content: None | str | Unset
        if isinstance(self.content, Unset):
            content = UNSET
        else:
            content = self.content

        json_content: dict[str, Any] | None | Unset
        if isinstance(self.json_content, Unset):
            json_content = UNSET
        elif isinstance(self.json_content, AssetInputJsonContentType0):
            json_content = self.json_content.to_dict()
        else:
            json_content = self.json_content

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        json_metadata: dict[str, Any] | None | Unset
        if isinstance(self.json_metadata, Unset):
            json_metadata = UNSET
        elif isinstance(self.json_metadata, AssetInputJsonMetadataType0):
            json_metadata = self.json_metadata.to_dict()
        else:
            json_metadata = self.json_metadata

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status

        priority = self.priority

        is_honeypot = self.is_honeypot

        to_be_labeled_by: list[str] | Unset = UNSET
        if not isinstance(self.to_be_labeled_by, Unset):
            to_be_labeled_by = self.to_be_labeled_by

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if content is not UNSET:
            field_dict["content"] = content
        if json_content is not UNSET:
            field_dict["json_content"] = json_content
        if external_id is not UNSET:
            field_dict["external_id"] = external_id
        if json_metadata is not UNSET:
            field_dict["json_metadata"] = json_metadata
        if status is not UNSET:
            field_dict["status"] = status
        if priority is not UNSET:
            field_dict["priority"] = priority
        if is_honeypot is not UNSET:
            field_dict["is_honeypot"] = is_honeypot
        if to_be_labeled_by is not UNSET:
            field_dict["to_be_labeled_by"] = to_be_labeled_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.asset_input_json_content_type_0 import AssetInputJsonContentType0
        from ..models.asset_input_json_metadata_type_0 import AssetInputJsonMetadataType0

        d = dict(src_dict)

        def _parse_content(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        content = _parse_content(d.pop("content", UNSET))

        def _parse_json_content(data: object) -> AssetInputJsonContentType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_content_type_0 = AssetInputJsonContentType0.from_dict(data)

                return json_content_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AssetInputJsonContentType0 | None | Unset, data)

        json_content = _parse_json_content(d.pop("json_content", UNSET))

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("external_id", UNSET))

        def _parse_json_metadata(data: object) -> AssetInputJsonMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_metadata_type_0 = AssetInputJsonMetadataType0.from_dict(data)

                return json_metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AssetInputJsonMetadataType0 | None | Unset, data)

        json_metadata = _parse_json_metadata(d.pop("json_metadata", UNSET))

        _status = d.pop("status", UNSET)
        status: AssetStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = check_asset_status(_status)

        priority = d.pop("priority", UNSET)

        is_honeypot = d.pop("is_honeypot", UNSET)

        to_be_labeled_by = cast(list[str], d.pop("to_be_labeled_by", UNSET))

        asset_input = cls(
            content=content,
            json_content=json_content,
            external_id=external_id,
            json_metadata=json_metadata,
            status=status,
            priority=priority,
            is_honeypot=is_honeypot,
            to_be_labeled_by=to_be_labeled_by,
        )

        return asset_input
