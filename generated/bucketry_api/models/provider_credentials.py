from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ProviderCredentials")


@_attrs_define
class ProviderCredentials:
    """Write-only provider secrets, by provider:
    AWS_S3 / S3_COMPATIBLE `access_key_id`, `secret_access_key`, optional `session_token`;
    AZURE_BLOB `connection_string`, or `account_name` + `account_key`, or `sas_token`;
    GCS `service_account_json` (the key file's JSON text) or `anonymous: "true"`.

    """

    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        provider_credentials = cls()

        provider_credentials.additional_properties = d
        return provider_credentials

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> str:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
