from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ConnectionSyncRequest")


@_attrs_define
class ConnectionSyncRequest:
    """
    Attributes:
        dry_run (bool | Unset): Return the plan and change nothing. Default: False.
        delete_extraneous_files (bool | Unset): Remove assets whose files are gone. Default: False.
    """

    dry_run: bool | Unset = False
    delete_extraneous_files: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dry_run = self.dry_run

        delete_extraneous_files = self.delete_extraneous_files

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if dry_run is not UNSET:
            field_dict["dry_run"] = dry_run
        if delete_extraneous_files is not UNSET:
            field_dict["delete_extraneous_files"] = delete_extraneous_files

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        dry_run = d.pop("dry_run", UNSET)

        delete_extraneous_files = d.pop("delete_extraneous_files", UNSET)

        connection_sync_request = cls(
            dry_run=dry_run,
            delete_extraneous_files=delete_extraneous_files,
        )

        connection_sync_request.additional_properties = d
        return connection_sync_request

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
