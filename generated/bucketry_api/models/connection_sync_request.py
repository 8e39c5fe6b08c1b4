from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ConnectionSyncRequest")


@_attrs_define
class ConnectionSyncRequest:
    """
    Attributes:
        dry_run (bool | Unset): Return the plan and change nothing. Default: False.
        delete_extraneous_files (bool | Unset): Remove assets whose files are gone. Default: False.
        plan_limit (int | Unset): Items listed on each side of the returned plan. Default: 100.
    """

    dry_run: bool | Unset = False
    delete_extraneous_files: bool | Unset = False
    plan_limit: int | Unset = 100

    def to_dict(self) -> dict[str, Any]:
        dry_run = self.dry_run

        delete_extraneous_files = self.delete_extraneous_files

        plan_limit = self.plan_limit

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if dry_run is not UNSET:
            field_dict["dry_run"] = dry_run
        if delete_extraneous_files is not UNSET:
            field_dict["delete_extraneous_files"] = delete_extraneous_files
        if plan_limit is not UNSET:
            field_dict["plan_limit"] = plan_limit

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        dry_run = d.pop("dry_run", UNSET)

        delete_extraneous_files = d.pop("delete_extraneous_files", UNSET)

        plan_limit = d.pop("plan_limit", UNSET)

        connection_sync_request = cls(
            dry_run=dry_run,
            delete_extraneous_files=delete_extraneous_files,
            plan_limit=plan_limit,
        )

        return connection_sync_request
