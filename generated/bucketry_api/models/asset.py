from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.asset_status import AssetStatus, check_asset_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.asset_json_content_type_0 import AssetJsonContentType0
    from ..models.asset_json_metadata import AssetJsonMetadata
    from ..models.label import Label


T = TypeVar("T", bound="Asset")


@_attrs_define
class Asset:
    """
    Attributes:
        id (str): Asset id (`ast_…`).
        project_id (str):
        content (str): URL or `bkt://bucket/key` of the data.
        external_id (str): Unique per project.
        status (AssetStatus): Labelling workflow state of an asset.
        priority (int):
        is_honeypot (bool):
        is_used_for_consensus (bool):
        skipped (bool):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        json_content (AssetJsonContentType0 | None | Unset): Inline content (e.g. text or a rich document).
        json_metadata (AssetJsonMetadata | Unset):
        consensus_mark (float | None | Unset):
        honeypot_mark (float | None | Unset):
        to_be_labeled_by (list[str] | Unset): User names allowed to label it (empty = anyone).
        connection_id (None | str | Unset): The connection that created it
        latest_label (Label | None | Unset):
    """

    id: str
    project_id: str
    content: str
    external_id: str
    status: AssetStatus
    priority: int
    is_honeypot: bool
    is_used_for_consensus: bool
    skipped: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    json_content: AssetJsonContentType0 | None | Unset = UNSET
    json_metadata: AssetJsonMetadata | Unset = UNSET
    consensus_mark: float | None | Unset = UNSET
    honeypot_mark: float | None | Unset = UNSET
    to_be_labeled_by: list[str] | Unset = UNSET
    connection_id: None | str | Unset = UNSET
    latest_label: Label | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.asset_json_content_type_0 import AssetJsonContentType0
        from ..models.label import Label

        id = self.id

        project_id = self.project_id

        content = self.content

        external_id = self.external_id

        status: str = self.status

        priority = self.priority

        is_honeypot = self.is_honeypot

        is_used_for_consensus = self.is_used_for_consensus

        skipped = self.skipped

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        json_content: dict[str, Any] | None | Unset
        if isinstance(self.json_content, Unset):
            json_content = UNSET
        elif isinstance(self.json_content, AssetJsonContentType0):
            json_content = self.json_content.to_dict()
        else:
            json_content = self.json_content

        json_metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.json_metadata, Unset):
            json_metadata = self.json_metadata.to_dict()

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

        to_be_labeled_by: list[str] | Unset = UNSET
        if not isinstance(self.to_be_labeled_by, Unset):
            to_be_labeled_by = self.to_be_labeled_by

        connection_id: None | str | Unset
        if isinstance(self.connection_id, Unset):
            connection_id = UNSET
        else:
            connection_id = self.connection_id

        latest_label: dict[str, Any] | None | Unset
        if isinstance(self.latest_label, Unset):
            latest_label = UNSET
        elif isinstance(self.latest_label, Label):
            latest_label = self.latest_label.to_dict()
        else:
            latest_label = self.latest_label

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "project_id": project_id,
                "content": content,
                "external_id": external_id,
                "status": status,
                "priority": priority,
                "is_honeypot": is_honeypot,
                "is_used_for_consensus": is_used_for_consensus,
                "skipped": skipped,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if json_content is not UNSET:
            field_dict["json_content"] = json_content
        if json_metadata is not UNSET:
            field_dict["json_metadata"] = json_metadata
        if consensus_mark is not UNSET:
            field_dict["consensus_mark"] = consensus_mark
        if honeypot_mark is not UNSET:
            field_dict["honeypot_mark"] = honeypot_mark
        if to_be_labeled_by is not UNSET:
            field_dict["to_be_labeled_by"] = to_be_labeled_by
        if connection_id is not UNSET:
            field_dict["connection_id"] = connection_id
        if latest_label is not UNSET:
            field_dict["latest_label"] = latest_label

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.asset_json_content_type_0 import AssetJsonContentType0
        from ..models.asset_json_metadata import AssetJsonMetadata
        from ..models.label import Label

        d = dict(src_dict)
        id = d.pop("id")

        project_id = d.pop("project_id")

        content = d.pop("content")

        external_id = d.pop("external_id")

        status = check_asset_status(d.pop("status"))

        priority = d.pop("priority")

        is_honeypot = d.pop("is_honeypot")

        is_used_for_consensus = d.pop("is_used_for_consensus")

        skipped = d.pop("skipped")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_json_content(data: object) -> AssetJsonContentType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_content_type_0 = AssetJsonContentType0.from_dict(data)

                return json_content_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AssetJsonContentType0 | None | Unset, data)

        json_content = _parse_json_content(d.pop("json_content", UNSET))

        _json_metadata = d.pop("json_metadata", UNSET)
        json_metadata: AssetJsonMetadata | Unset
        if isinstance(_json_metadata, Unset):
            json_metadata = UNSET
        else:
            json_metadata = AssetJsonMetadata.from_dict(_json_metadata)

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

        to_be_labeled_by = cast(list[str], d.pop("to_be_labeled_by", UNSET))

        def _parse_connection_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        connection_id = _parse_connection_id(d.pop("connection_id", UNSET))

        def _parse_latest_label(data: object) -> Label | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                latest_label_type_0 = Label.from_dict(data)

                return latest_label_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Label | None | Unset, data)

        latest_label = _parse_latest_label(d.pop("latest_label", UNSET))

        asset = cls(
            id=id,
            project_id=project_id,
            content=content,
            external_id=external_id,
            status=status,
            priority=priority,
            is_honeypot=is_honeypot,
            is_used_for_consensus=is_used_for_consensus,
            skipped=skipped,
            created_at=created_at,
            updated_at=updated_at,
            json_content=json_content,
            json_metadata=json_metadata,
            consensus_mark=consensus_mark,
            honeypot_mark=honeypot_mark,
            to_be_labeled_by=to_be_labeled_by,
            connection_id=connection_id,
            latest_label=latest_label,
        )

        asset.additional_properties = d
        return asset

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
