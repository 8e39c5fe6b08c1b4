from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.input_type import InputType, check_input_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.project_json_interface_type_0 import ProjectJsonInterfaceType0


T = TypeVar("T", bound="Project")


@_attrs_define
class Project:
    """
    Attributes:
        id (str): Project id (`prj_…`).
        title (str):
        input_type (InputType): Kind of data a project's assets hold.
        owner (str):
        number_of_assets (int):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        description (None | str | Unset):
        json_interface (None | ProjectJsonInterfaceType0 | Unset): The labelling interface (jobs and categories).
        org (None | str | Unset):
    """

    id: str
    title: str
    input_type: InputType
    owner: str
    number_of_assets: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    description: None | str | Unset = UNSET
    json_interface: None | ProjectJsonInterfaceType0 | Unset = UNSET
    org: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.project_json_interface_type_0 import ProjectJsonInterfaceType0

        id = self.id

        title = self.title

        input_type: str = self.input_type

        owner = self.owner

        number_of_assets = self.number_of_assets

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        json_interface: dict[str, Any] | None | Unset
        if isinstance(self.json_interface, Unset):
            json_interface = UNSET
        elif isinstance(self.json_interface, ProjectJsonInterfaceType0):
            json_interface = self.json_interface.to_dict()
        else:
            json_interface = self.json_interface

        org: None | str | Unset
        if isinstance(self.org, Unset):
            org = UNSET
        else:
            org = self.org

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "title": title,
                "input_type": input_type,
                "owner": owner,
                "number_of_assets": number_of_assets,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if json_interface is not UNSET:
            field_dict["json_interface"] = json_interface
        if org is not UNSET:
            field_dict["org"] = org

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.project_json_interface_type_0 import ProjectJsonInterfaceType0

        d = dict(src_dict)
        id = d.pop("id")

        title = d.pop("title")

        input_type = check_input_type(d.pop("input_type"))

        owner = d.pop("owner")

        number_of_assets = d.pop("number_of_assets")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_json_interface(data: object) -> None | ProjectJsonInterfaceType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_interface_type_0 = ProjectJsonInterfaceType0.from_dict(data)

                return json_interface_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProjectJsonInterfaceType0 | Unset, data)

        json_interface = _parse_json_interface(d.pop("json_interface", UNSET))

        def _parse_org(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        org = _parse_org(d.pop("org", UNSET))

        project = cls(
            id=id,
            title=title,
            input_type=input_type,
            owner=owner,
            number_of_assets=number_of_assets,
            created_at=created_at,
            updated_at=updated_at,
            description=description,
            json_interface=json_interface,
            org=org,
        )

        project.additional_properties = d
        return project

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
