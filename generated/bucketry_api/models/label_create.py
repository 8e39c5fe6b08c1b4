from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.label_type import LabelType, check_label_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.label_create_json_response import LabelCreateJsonResponse


T = TypeVar("T", bound="LabelCreate")


@_attrs_define
class LabelCreate:
    """
    Attributes:
        json_response (LabelCreateJsonResponse):
        label_type (LabelType | Unset): Origin of a label.
        seconds_to_label (float | None | Unset):
        consensus_mark (float | None | Unset):
        honeypot_mark (float | None | Unset):
    """

    json_response: LabelCreateJsonResponse
    label_type: LabelType | Unset = UNSET
    seconds_to_label: float | None | Unset = UNSET
    consensus_mark: float | None | Unset = UNSET
    honeypot_mark: float | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        json_response = self.json_response.to_dict()

        label_type: str | Unset = UNSET
        if not isinstance(self.label_type, Unset):
            label_type = self.label_type

        seconds_to_label: float | None | Unset
        if isinstance(self.seconds_to_label, Unset):
            seconds_to_label = UNSET
        else:
            seconds_to_label = self.seconds_to_label

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

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "json_response": json_response,
            }
        )
        if label_type is not UNSET:
            field_dict["label_type"] = label_type
        if seconds_to_label is not UNSET:
            field_dict["seconds_to_label"] = seconds_to_label
        if consensus_mark is not UNSET:
            field_dict["consensus_mark"] = consensus_mark
        if honeypot_mark is not UNSET:
            field_dict["honeypot_mark"] = honeypot_mark

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.label_create_json_response import LabelCreateJsonResponse

        d = dict(src_dict)
        json_response = LabelCreateJsonResponse.from_dict(d.pop("json_response"))

        _label_type = d.pop("label_type", UNSET)
        label_type: LabelType | Unset
        if isinstance(_label_type, Unset):
            label_type = UNSET
        else:
            label_type = check_label_type(_label_type)

        def _parse_seconds_to_label(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        seconds_to_label = _parse_seconds_to_label(d.pop("seconds_to_label", UNSET))

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

        label_create = cls(
            json_response=json_response,
            label_type=label_type,
            seconds_to_label=seconds_to_label,
            consensus_mark=consensus_mark,
            honeypot_mark=honeypot_mark,
        )

        return label_create
