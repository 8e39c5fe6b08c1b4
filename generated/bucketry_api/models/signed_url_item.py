from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.signed_url_item_method import SignedUrlItemMethod, check_signed_url_item_method
from ..types import UNSET, Unset

T = TypeVar("T", bound="SignedUrlItem")


@_attrs_define
class SignedUrlItem:
    """
    Attributes:
        key (str):
        method (SignedUrlItemMethod | Unset):  Default: 'GET'.
        expires_in (int | Unset): Lifetime in seconds (≤ 7 days; cut to the creating token's own expiry). Default: 3600.
    """

    key: str
    method: SignedUrlItemMethod | Unset = "GET"
    expires_in: int | Unset = 3600
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        method: str | Unset = UNSET
        if not isinstance(self.method, Unset):
            method = self.method

        expires_in = self.expires_in

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
            }
        )
        if method is not UNSET:
            field_dict["method"] = method
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        key = d.pop("key")

        _method = d.pop("method", UNSET)
        method: SignedUrlItemMethod | Unset
        if isinstance(_method, Unset):
            method = UNSET
        else:
            method = check_signed_url_item_method(_method)

        expires_in = d.pop("expires_in", UNSET)

        signed_url_item = cls(
            key=key,
            method=method,
            expires_in=expires_in,
        )

        signed_url_item.additional_properties = d
        return signed_url_item

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
