from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.input_type import InputType, check_input_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.project_create_json_interface_type_0 import ProjectCreateJsonInterfaceType0


T = TypeVar("T", bound="ProjectCreate")


@_attrs_define
class ProjectCreate:
    """
    Attributes:
        title (str):
        description (None | str | Unset):
        input_type (InputType | Unset): Kind of data a project's assets hold.
        json_interface (None | ProjectCreateJsonInterfaceType0 | Unset):
        org (None | str | Unset):
    """

    title: str
    description: None | str | Unset = UNSET
    input_type: InputType | Unset = UNSET
    json_interface: None | ProjectCreateJsonInterfaceType0 | Unset = UNSET
    org: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.project_create_json_interface_type_0 import ProjectCreateJsonInterfaceType0

        title = self.title

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        input_type: str | Unset = UNSET
        if not isinstance(self.input_type, Unset):
            input_type = self.input_type

        json_interface: dict[str, Any] | None | Unset
        if isinstance(self.json_interface, Unset):
            json_interface = UNSET
        elif isinstance(self.json_interface, ProjectCreateJsonInterfaceType0):
            json_interface = self.json_interface.to_dict()
        else:
            json_interface = self.json_interface

        org: None | str | Unset
        if isinstance(self.org, Unset):
            org = UNSET
        else:
            org = self.org

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "title": title,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if input_type is not UNSET:
            field_dict["input_type"] = input_type
        if json_interface is not UNSET:
            field_dict["json_interface"] = json_interface
        if org is not UNSET:
            field_dict["org"] = org

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.project_create_json_interface_type_0 import ProjectCreateJsonInterfaceType0

        d = dict(src_dict)
        title = d.pop("title")

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        _input_type = d.pop("input_type", UNSET)
        input_type: InputType | Unset
        if isinstance(_input_type, Unset):
            input_type = UNSET
        else:
            input_type = check_input_type(_input_type)

        def _parse_json_interface(data: object) -> None | ProjectCreateJsonInterfaceType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_interface_type_0 = ProjectCreateJsonInterfaceType0.from_dict(data)

                return json_interface_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProjectCreateJsonInterfaceType0 | Unset, data)

        json_interface = _parse_json_interface(d.pop("json_interface", UNSET))

        def _parse_org(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        org = _parse_org(d.pop("org", UNSET))

        project_create = cls(
            title=title,
            description=description,
            input_type=input_type,
            json_interface=json_interface,
            org=org,
        )

        return project_create
