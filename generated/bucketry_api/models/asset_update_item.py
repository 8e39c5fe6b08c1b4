from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.asset_status import AssetStatus, check_asset_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.asset_update_item_json_content_type_0 import AssetUpdateItemJsonContentType0
    from ..models.asset_update_item_json_metadata_type_0 import AssetUpdateItemJsonMetadataType0


T = TypeVar("T", bound="AssetUpdateItem")


@_attrs_define
class AssetUpdateItem:
    """One asset to change, named by `asset_id` or `external_id`; `new_external_id` renames.

    Attributes:
        asset_id (None | str | Unset):
        external_id (None | str | Unset):
        new_external_id (None | str | Unset):
        content (None | str | Unset):
        json_content (AssetUpdateItemJsonContentType0 | None | Unset):
        json_metadata (AssetUpdateItemJsonMetadataType0 | None | Unset):
        status (AssetStatus | Unset): Labelling workflow state of an asset.
        priority (int | None | Unset):
        consensus_mark (float | None | Unset):
        honeypot_mark (float | None | Unset):
        is_honeypot (bool | None | Unset):
        is_used_for_consensus (bool | None | Unset):
        to_be_labeled_by (list[str] | None | Unset):
    """

    asset_id: None | str | Unset = UNSET
    external_id: None | str | Unset = UNSET
    new_external_id: None | str | Unset = UNSET
    content: None | str | Unset = UNSET
    json_content: AssetUpdateItemJsonContentType0 | None | Unset = UNSET
    json_metadata: AssetUpdateItemJsonMetadataType0 | None | Unset = UNSET
    status: AssetStatus | Unset = UNSET
    priority: int | None | Unset = UNSET
    consensus_mark: float | None | Unset = UNSET
    honeypot_mark: float | None | Unset = UNSET
    is_honeypot: bool | None | Unset = UNSET
    is_used_for_consensus: bool | None | Unset = UNSET
    to_be_labeled_by: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.asset_update_item_json_content_type_0 import AssetUpdateItemJsonContentType0
        from ..models.asset_update_item_json_metadata_type_0 import AssetUpdateItemJsonMetadataType0

        asset_id: None | str | Unset
        if isinstance(self.asset_id, Unset):
            asset_id = UNSET
        else:
            asset_id = self.asset_id

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        new_external_id: None | str | Unset
        if isinstance(self.new_external_id, Unset):
            new_external_id = UNSET
        else:
            new_external_id = self.new_external_id

        content: None | str | Unset
        if isinstance(self.content, Unset):
            content = UNSET
        else:
            content = self.content

        json_content: dict[str, Any] | None | Unset
        if isinstance(self.json_content, Unset):
            json_content = UNSET
        elif isinstance(self.json_content, AssetUpdateItemJsonContentType0):
            json_content = self.json_content.to_dict()
        else:
            json_content = self.json_content

        json_metadata: dict[str, Any] | None | Unset
        if isinstance(self.json_metadata, Unset):
            json_metadata = UNSET
        elif isinstance(self.json_metadata, AssetUpdateItemJsonMetadataType0):
            json_metadata = self.json_metadata.to_dict()
        else:
            json_metadata = self.json_metadata

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status

        priority: int | None | Unset
        if isinstance(self.priority, Unset):
            priority = UNSET
        else:
            priority = self.priority

        consensus_mark: float | None | Unset
        if isinstance(self.consensus_mark, Unset):
            consensus_mark = UNSET
        else:
            consensus_mark = self.consensus_mark

        honeypot_mark: float | None | Unset
        if isinstance(self.honeypot_mark, Unset):
            honeypot_mark = UNSET
        else:
            honeypot_mark = self.honeypot_mark

        is_honeypot: bool | None | Unset
        if isinstance(self.is_honeypot, Unset):
            is_honeypot = UNSET
        else:
            is_honeypot = self.is_honeypot

        is_used_for_consensus: bool | None | Unset
        if isinstance(self.is_used_for_consensus, Unset):
            is_used_for_consensus = UNSET
        else:
            is_used_for_consensus = self.is_used_for_consensus

        to_be_labeled_by: list[str] | None | Unset
        if isinstance(self.to_be_labeled_by, Unset):
            to_be_labeled_by = UNSET
        elif isinstance(self.to_be_labeled_by, list):
            to_be_labeled_by = self.to_be_labeled_by

        else:
            to_be_labeled_by = self.to_be_labeled_by

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if asset_id is not UNSET:
            field_dict["asset_id"] = asset_id
        if external_id is not UNSET:
            field_dict["external_id"] = external_id
        if new_external_id is not UNSET:
            field_dict["new_external_id"] = new_external_id
        if content is not UNSET:
            field_dict["content"] = content
        if json_content is not UNSET:
            field_dict["json_content"] = json_content
        if json_metadata is not UNSET:
            field_dict["json_metadata"] = json_metadata
        if status is not UNSET:
            field_dict["status"] = status
        if priority is not UNSET:
            field_dict["priority"] = priority
        if consensus_mark is not UNSET:
            field_dict["consensus_mark"] = consensus_mark
        if honeypot_mark is not UNSET:
            field_dict["honeypot_mark"] = honeypot_mark
        if is_honeypot is not UNSET:
            field_dict["is_honeypot"] = is_honeypot
        if is_used_for_consensus is not UNSET:
            field_dict["is_used_for_consensus"] = is_used_for_consensus
        if to_be_labeled_by is not UNSET:
            field_dict["to_be_labeled_by"] = to_be_labeled_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.asset_update_item_json_content_type_0 import AssetUpdateItemJsonContentType0
        from ..models.asset_update_item_json_metadata_type_0 import AssetUpdateItemJsonMetadataType0

        d = dict(src_dict)

        def _parse_asset_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        asset_id = _parse_asset_id(d.pop("asset_id", UNSET))

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("external_id", UNSET))

        def _parse_new_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        new_external_id = _parse_new_external_id(d.pop("new_external_id", UNSET))

        def _parse_content(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        content = _parse_content(d.pop("content", UNSET))

        def _parse_json_content(data: object) -> AssetUpdateItemJsonContentType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_content_type_0 = AssetUpdateItemJsonContentType0.from_dict(data)

                return json_content_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AssetUpdateItemJsonContentType0 | None | Unset, data)

        json_content = _parse_json_content(d.pop("json_content", UNSET))

        def _parse_json_metadata(data: object) -> AssetUpdateItemJsonMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_metadata_type_0 = AssetUpdateItemJsonMetadataType0.from_dict(data)

                return json_metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AssetUpdateItemJsonMetadataType0 | None | Unset, data)

        json_metadata = _parse_json_metadata(d.pop("json_metadata", UNSET))

        _status = d.pop("status", UNSET)
        status: AssetStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = check_asset_status(_status)

        def _parse_priority(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        priority = _parse_priority(d.pop("priority", UNSET))

        def _parse_consensus_mark(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        consensus_mark = _parse_consensus_mark(d.pop("consensus_mark", UNSET))

        def _parse_honeypot_mark(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        honeypot_mark = _parse_honeypot_mark(d.pop("honeypot_mark", UNSET))

        def _parse_is_honeypot(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        is_honeypot = _parse_is_honeypot(d.pop("is_honeypot", UNSET))

        def _parse_is_used_for_consensus(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        is_used_for_consensus = _parse_is_used_for_consensus(d.pop("is_used_for_consensus", UNSET))

        def _parse_to_be_labeled_by(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                to_be_labeled_by_type_0 = cast(list[str], data)

                return to_be_labeled_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        to_be_labeled_by = _parse_to_be_labeled_by(d.pop("to_be_labeled_by", UNSET))

        asset_update_item = cls(
            asset_id=asset_id,
            external_id=external_id,
            new_external_id=new_external_id,
            content=content,
            json_content=json_content,
            json_metadata=json_metadata,
            status=status,
            priority=priority,
            consensus_mark=consensus_mark,
            honeypot_mark=honeypot_mark,
            is_honeypot=is_honeypot,
            is_used_for_consensus=is_used_for_consensus,
            to_be_labeled_by=to_be_labeled_by,
        )

        return asset_update_item
