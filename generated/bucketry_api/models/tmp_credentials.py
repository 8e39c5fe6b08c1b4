from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.access_mode import AccessMode, check_access_mode

T = TypeVar("T", bound="TmpCredentials")


@_attrs_define
class TmpCredentials:
    """
    Attributes:
        token (str): Bearer token limited to this bucket. Shown once.
        bucket_id (str):
        mode (AccessMode): Scope of a credential.
        expires_at (datetime.datetime):
    """

    token: str
    bucket_id: str
    mode: AccessMode
    expires_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        bucket_id = self.bucket_id

        mode: str = self.mode

        expires_at = self.expires_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "token": token,
                "bucket_id": bucket_id,
                "mode": mode,
                "expires_at": expires_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        token = d.pop("token")

        bucket_id = d.pop("bucket_id")

        mode = check_access_mode(d.pop("mode"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        tmp_credentials = cls(
            token=token,
            bucket_id=bucket_id,
            mode=mode,
            expires_at=expires_at,
        )

        tmp_credentials.additional_properties = d
        return tmp_credentials

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
