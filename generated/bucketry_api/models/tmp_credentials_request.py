from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.access_mode import AccessMode, check_access_mode
from ..types import UNSET, Unset

T = TypeVar("T", bound="TmpCredentialsRequest")


@_attrs_define
class TmpCredentialsRequest:
    """
    Attributes:
        mode (AccessMode | Unset): Scope of a credential.
        expires_in (int | Unset): Lifetime in seconds. Default: 3600.
    """

    mode: AccessMode | Unset = UNSET
    expires_in: int | Unset = 3600
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode

        expires_in = self.expires_in

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if mode is not UNSET:
            field_dict["mode"] = mode
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _mode = d.pop("mode", UNSET)
        mode: AccessMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = check_access_mode(_mode)

        expires_in = d.pop("expires_in", UNSET)

        tmp_credentials_request = cls(
            mode=mode,
            expires_in=expires_in,
        )

        tmp_credentials_request.additional_properties = d
        return tmp_credentials_request

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
