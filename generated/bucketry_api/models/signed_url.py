from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.signed_url_kind import SignedUrlKind, check_signed_url_kind
from ..types import UNSET, Unset

T = TypeVar("T", bound="SignedUrl")


@_attrs_define
class SignedUrl:
    """
    Attributes:
        key (str):
        method (str):
        url (str): Path (`/api/v1/signed/…`) or absolute URL when the server knows its public address; for `kind:
            provider`, the provider's own presigned URL.
        expires_at (datetime.datetime):
        kind (SignedUrlKind | Unset): `provider`: the URL is the provider's own presigned URL (imported buckets whose
            provider can sign: S3 with keys, Azure with an account key, GCS with a service account; same expiry cap; the
            bytes do not pass through the server, an Azure PUT needs `x-ms-blob-type: BlockBlob`, and it stays valid until
            it expires even if the token that made it is deleted, so it is only given for lifetimes of at most 900 s).
            `server`: the server's signed URL (`/signed/…`), which stops working once the access behind it is gone.
    """

    key: str
    method: str
    url: str
    expires_at: datetime.datetime
    kind: SignedUrlKind | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        method = self.method

        url = self.url

        expires_at = self.expires_at.isoformat()

        kind: str | Unset = UNSET
        if not isinstance(self.kind, Unset):
            kind = self.kind

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "method": method,
                "url": url,
                "expires_at": expires_at,
            }
        )
        if kind is not UNSET:
            field_dict["kind"] = kind

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        key = d.pop("key")

        method = d.pop("method")

        url = d.pop("url")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        _kind = d.pop("kind", UNSET)
        kind: SignedUrlKind | Unset
        if isinstance(_kind, Unset):
            kind = UNSET
        else:
            kind = check_signed_url_kind(_kind)

        signed_url = cls(
            key=key,
            method=method,
            url=url,
            expires_at=expires_at,
            kind=kind,
        )

        signed_url.additional_properties = d
        return signed_url

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
