from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CredentialCreate")


@_attrs_define
class CredentialCreate:
    """
    Attributes:
        name (str): Unique per user.
        buckets (list[str]): Bucket ids or names.
        read_only (bool | Unset):  Default: False.
        expires_in (int | None | Unset):
    """

    name: str
    buckets: list[str]
    read_only: bool | Unset = False
    expires_in: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        buckets = self.buckets

        read_only = self.read_only

        expires_in: int | None | Unset
        if isinstance(self.expires_in, Unset):
            expires_in = UNSET
        else:
            expires_in = self.expires_in

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "buckets": buckets,
            }
        )
        if read_only is not UNSET:
            field_dict["read_only"] = read_only
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        buckets = cast(list[str], d.pop("buckets"))

        read_only = d.pop("read_only", UNSET)

        def _parse_expires_in(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expires_in = _parse_expires_in(d.pop("expires_in", UNSET))

        credential_create = cls(
            name=name,
            buckets=buckets,
            read_only=read_only,
            expires_in=expires_in,
        )

        credential_create.additional_properties = d
        return credential_create

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
