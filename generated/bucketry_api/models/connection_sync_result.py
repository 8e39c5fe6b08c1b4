from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.connection import Connection
    from ..models.connection_diff import ConnectionDiff


T = TypeVar("T", bound="ConnectionSyncResult")


@_attrs_define
class ConnectionSyncResult:
    """
    Attributes:
        dry_run (bool):
        plan (ConnectionDiff):
        added (int): Assets created (0 in a dry run).
        removed (int): Assets deleted (0 in a dry run).
        connection (Connection | Unset):
    """

    dry_run: bool
    plan: ConnectionDiff
    added: int
    removed: int
    connection: Connection | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dry_run = self.dry_run

        plan = self.plan.to_dict()

        added = self.added

        removed = self.removed

        connection: dict[str, Any] | Unset = UNSET
        if not isinstance(self.connection, Unset):
            connection = self.connection.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dry_run": dry_run,
                "plan": plan,
                "added": added,
                "removed": removed,
            }
        )
        if connection is not UNSET:
            field_dict["connection"] = connection

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.connection import Connection
        from ..models.connection_diff import ConnectionDiff

        d = dict(src_dict)
        dry_run = d.pop("dry_run")

        plan = ConnectionDiff.from_dict(d.pop("plan"))

        added = d.pop("added")

        removed = d.pop("removed")

        _connection = d.pop("connection", UNSET)
        connection: Connection | Unset
        if isinstance(_connection, Unset):
            connection = UNSET
        else:
            connection = Connection.from_dict(_connection)

        connection_sync_result = cls(
            dry_run=dry_run,
            plan=plan,
            added=added,
            removed=removed,
            connection=connection,
        )

        connection_sync_result.additional_properties = d
        return connection_sync_result

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
