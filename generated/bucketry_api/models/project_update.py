from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.project_update_json_interface_type_0 import ProjectUpdateJsonInterfaceType0


T = TypeVar("T", bound="ProjectUpdate")


@_attrs_define
class ProjectUpdate:
    """
    Attributes:
        title (str | Unset):
        description (None | str | Unset):
        json_interface (None | ProjectUpdateJsonInterfaceType0 | Unset):
    """

    title: str | Unset = UNSET
    description: None | str | Unset = UNSET
    json_interface: None | ProjectUpdateJsonInterfaceType0 | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.project_update_json_interface_type_0 import ProjectUpdateJsonInterfaceType0

        title = self.title

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        json_interface: dict[str, Any] | None | Unset
        if isinstance(self.json_interface, Unset):
            json_interface = UNSET
        elif isinstance(self.json_interface, ProjectUpdateJsonInterfaceType0):
            json_interface = self.json_interface.to_dict()
        else:
            json_interface = self.json_interface

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if title is not UNSET:
            field_dict["title"] = title
        if description is not UNSET:
            field_dict["description"] = description
        if json_interface is not UNSET:
            field_dict["json_interface"] = json_interface

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.project_update_json_interface_type_0 import ProjectUpdateJsonInterfaceType0

        d = dict(src_dict)
        title = d.pop("title", UNSET)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_json_interface(data: object) -> None | ProjectUpdateJsonInterfaceType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                json_interface_type_0 = ProjectUpdateJsonInterfaceType0.from_dict(data)

                return json_interface_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProjectUpdateJsonInterfaceType0 | Unset, data)

        json_interface = _parse_json_interface(d.pop("json_interface", UNSET))

        project_update = cls(
            title=title,
            description=description,
            json_interface=json_interface,
        )

        return project_update
