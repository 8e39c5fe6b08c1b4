from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.blob import Blob


T = TypeVar("T", bound="BlobBatchItem")


@_attrs_define
class BlobBatchItem:
    """
    Attributes:
        key (str): The member's key (prefix + member name).
        ok (bool): Stored.
        blob (Blob | None | Unset):
        error (None | str | Unset): Why not, e.g. `invalid_key`, `checksum_mismatch`, `exists`, `too_large`,
            `unsupported_member`, `duplicate`, `invalid_content_type`, `invalid_metadata` (open list).
    """

    key: str
    ok: bool
    blob: Blob | None | Unset = UNSET
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.blob import Blob

        key = self.key

        ok = self.ok

        blob: dict[str, Any] | None | Unset
        if isinstance(self.blob, Unset):
            blob = UNSET
        elif isinstance(self.blob, Blob):
            blob = self.blob.to_dict()
        else:
            blob = self.blob

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "ok": ok,
            }
        )
        if blob is not UNSET:
            field_dict["blob"] = blob
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.blob import Blob

        d = dict(src_dict)
        key = d.pop("key")

        ok = d.pop("ok")

        def _parse_blob(data: object) -> Blob | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                blob_type_0 = Blob.from_dict(data)

                return blob_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Blob | None | Unset, data)

        blob = _parse_blob(d.pop("blob", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        blob_batch_item = cls(
            key=key,
            ok=ok,
            blob=blob,
            error=error,
        )

        blob_batch_item.additional_properties = d
        return blob_batch_item

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
