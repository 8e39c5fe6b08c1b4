from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Connection")


@_attrs_define
class Connection:
    """
    Attributes:
        id (str): Connection id (`con_…`).
        project_id (str):
        bucket_id (str):
        selected_folders (list[str]): Prefixes synchronised (empty = the whole bucket).
        include (list[str]): Globs a key must match (empty = all).
        exclude (list[str]): Globs that drop a key.
        number_of_assets (int):
        created_at (datetime.datetime):
        last_checked (datetime.datetime | None | Unset):
    """

    id: str
    project_id: str
    bucket_id: str
    selected_folders: list[str]
    include: list[str]
    exclude: list[str]
    number_of_assets: int
    created_at: datetime.datetime
    last_checked: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        project_id = self.project_id

        bucket_id = self.bucket_id

        selected_folders = self.selected_folders

        include = self.include

        exclude = self.exclude

        number_of_assets = self.number_of_assets

        created_at = self.created_at.isoformat()

        last_checked: None | str | Unset
        if isinstance(self.last_checked, Unset):
            last_checked = UNSET
        elif isinstance(self.last_checked, datetime.datetime):
            last_checked = self.last_checked.isoformat()
        else:
            last_checked = self.last_checked

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "project_id": project_id,
                "bucket_id": bucket_id,
                "selected_folders": selected_folders,
                "include": include,
                "exclude": exclude,
                "number_of_assets": number_of_assets,
                "created_at": created_at,
            }
        )
        if last_checked is not UNSET:
            field_dict["last_checked"] = last_checked

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        project_id = d.pop("project_id")

        bucket_id = d.pop("bucket_id")

        selected_folders = cast(list[str], d.pop("selected_folders"))

        include = cast(list[str], d.pop("include"))

        exclude = cast(list[str], d.pop("exclude"))

        number_of_assets = d.pop("number_of_assets")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_last_checked(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_checked_type_0 = datetime.datetime.fromisoformat(data)

                return last_checked_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_checked = _parse_last_checked(d.pop("last_checked", UNSET))

        connection = cls(
            id=id,
            project_id=project_id,
            bucket_id=bucket_id,
            selected_folders=selected_folders,
            include=include,
            exclude=exclude,
            number_of_assets=number_of_assets,
            created_at=created_at,
            last_checked=last_checked,
        )

        connection.additional_properties = d
        return connection

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
