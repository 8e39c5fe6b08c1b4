from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.label_type import LabelType, check_label_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.label_json_response import LabelJsonResponse


T = TypeVar("T", bound="Label")


@_attrs_define
class Label:
    """
    Attributes:
        id (str): Label id (`lbl_…`).
        asset_id (str):
        author (str): Author's user name.
        label_type (LabelType): Origin of a label.
        json_response (LabelJsonResponse): Answers per job, e.g. `{"JOB": {"categories": [{"name": "CAT"}]}}`.
        created_at (datetime.datetime):
        consensus_mark (float | None | Unset):
        honeypot_mark (float | None | Unset):
        seconds_to_label (float | None | Unset):
    """

    id: str
    asset_id: str
    author: str
    label_type: LabelType
    json_response: LabelJsonResponse
    created_at: datetime.datetime
    consensus_mark: float | None | Unset = UNSET
    honeypot_mark: float | None | Unset = UNSET
    seconds_to_label: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        asset_id = self.asset_id

        author = self.author

        label_type: str = self.label_type

        json_response = self.json_response.to_dict()

        created_at = self.created_at.isoformat()

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

        seconds_to_label: float | None | Unset
        if isinstance(self.seconds_to_label, Unset):
            seconds_to_label = UNSET
        else:
            seconds_to_label = self.seconds_to_label

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "asset_id": asset_id,
                "author": author,
                "label_type": label_type,
                "json_response": json_response,
                "created_at": created_at,
            }
        )
        if consensus_mark is not UNSET:
            field_dict["consensus_mark"] = consensus_mark
        if honeypot_mark is not UNSET:
            field_dict["honeypot_mark"] = honeypot_mark
        if seconds_to_label is not UNSET:
            field_dict["seconds_to_label"] = seconds_to_label

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.label_json_response import LabelJsonResponse

        d = dict(src_dict)
        id = d.pop("id")

        asset_id = d.pop("asset_id")

        author = d.pop("author")

        label_type = check_label_type(d.pop("label_type"))

        json_response = LabelJsonResponse.from_dict(d.pop("json_response"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

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

        def _parse_seconds_to_label(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        seconds_to_label = _parse_seconds_to_label(d.pop("seconds_to_label", UNSET))

        label = cls(
            id=id,
            asset_id=asset_id,
            author=author,
            label_type=label_type,
            json_response=json_response,
            created_at=created_at,
            consensus_mark=consensus_mark,
            honeypot_mark=honeypot_mark,
            seconds_to_label=seconds_to_label,
        )

        label.additional_properties = d
        return label

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
