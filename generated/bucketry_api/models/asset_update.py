from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.asset_status import AssetStatus, check_asset_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.asset_update_json_content_type_0 import AssetUpdateJsonContentType0
    from ..models.asset_update_json_metadata import AssetUpdateJsonMetadata


T = TypeVar("T", bound="AssetUpdate")


@_attrs_define
class AssetUpdate:
    """Only the fields present change.

    Attributes:
        content (str | Unset):
        json_content (AssetUpdateJsonContentType0 | None | Unset):
        external_id (str | Unset): New external id (unique per project).
        json_metadata (AssetUpdateJsonMetadata | Unset):
        status (AssetStatus | Unset): Labelling workflow state of an asset.
        priority (int | Unset):
        consensus_mark (float | None | Unset):
        honeypot_mark (float | None | Unset):
        is_honeypot (bool | Unset):
        is_used_for_consensus (bool | Unset):
        to_be_labeled_by (list[str] | Unset):
        skipped (bool | Unset):
    """

    content: str | Unset = UNSET
    json_content: AssetUpdateJsonContentType0 | None | Unset = UNSET
    external_id: str | Unset = UNSET
    json_metadata: AssetUpdateJsonMetadata | Unset = UNSET
    status: AssetStatus | Unset = UNSET
    priority: int | Unset = UNSET
    consensus_mark: float | None | Unset = UNSET
    honeypot_mark: float | None | Unset = UNSET
    is_honeypot: bool | Unset = UNSET
    is_used_for_consensus: bool | Unset = UNSET
    to_be_labeled_by: list[str] | Unset = UNSET
    skipped: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.asset_update_json_content_type_0 import AssetUpdateJsonContentType0

        content = self.content

        json_content: dict[str, Any] | None | Unset
        if isinstance(self.json_content, Unset):
            json_content = UNSET
        elif isinstance(self.json_content, AssetUpdateJsonContentType0):
            json_content = self.json_content.to_dict()
        else:
            json_content = self.json_content

        external_id = self.external_id

        json_metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.json_metadata, Unset):
            json_metadata = self.json_metadata.to_dict()

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status

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

        is_honeypot = self.is_honeypot

        is_used_for_consensus = self.is_used_for_consensus

        to_be_labeled_by: list[str] | Unset = UNSET
        if not isinstance(self.to_be_labeled_by, Unset):
            to_be_labeled_by = self.to_be_labeled_by

        skipped = self.skipped

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
        if skipped is not UNSET:
            field_dict["skipped"] = skipped

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.asset_update_json_content_type_0 import AssetUpdateJsonContentType0
        from ..models.asset_update_json_metadata import AssetUpdateJsonMetadata

        d = dict(src_dict)
        content = d.pop("content", UNSET)

        def _parse_json_content(data: object) -> AssetUpdateJsonContentType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_content_type_0 = AssetUpdateJsonContentType0.from_dict(data)

                return json_content_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AssetUpdateJsonContentType0 | None | Unset, data)

        json_content = _parse_json_content(d.pop("json_content", UNSET))

        external_id = d.pop("external_id", UNSET)

        _json_metadata = d.pop("json_metadata", UNSET)
        json_metadata: AssetUpdateJsonMetadata | Unset
        if isinstance(_json_metadata, Unset):
            json_metadata = UNSET
        else:
            json_metadata = AssetUpdateJsonMetadata.from_dict(_json_metadata)

        _status = d.pop("status", UNSET)
        status: AssetStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = check_asset_status(_status)

        priority = d.pop("priority", UNSET)

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

        is_honeypot = d.pop("is_honeypot", UNSET)

        is_used_for_consensus = d.pop("is_used_for_consensus", UNSET)

        to_be_labeled_by = cast(list[str], d.pop("to_be_labeled_by", UNSET))

        skipped = d.pop("skipped", UNSET)

        asset_update = cls(
            content=content,
            json_content=json_content,
            external_id=external_id,
            json_metadata=json_metadata,
            status=status,
            priority=priority,
            consensus_mark=consensus_mark,
            honeypot_mark=honeypot_mark,
            is_honeypot=is_honeypot,
            is_used_for_consensus=is_used_for_consensus,
            to_be_labeled_by=to_be_labeled_by,
            skipped=skipped,
        )

        return asset_update
