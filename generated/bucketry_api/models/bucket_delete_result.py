from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BucketDeleteResult")


@_attrs_define
class BucketDeleteResult:
    """
    Attributes:
        deleted (bool): Whether the bucket is gone (false in a dry run).
        dry_run (bool):
        blobs (int): Blobs deleted (or that would be); after a forced delete some may still be being purged in the
            background, unreachable.
        bytes_ (int): Bytes freed (or that would be); the store frees them as the background purge goes.
    """

    deleted: bool
    dry_run: bool
    blobs: int
    bytes_: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        deleted = self.deleted

        dry_run = self.dry_run

        blobs = self.blobs

        bytes_ = self.bytes_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "deleted": deleted,
                "dry_run": dry_run,
                "blobs": blobs,
                "bytes": bytes_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        deleted = d.pop("deleted")

        dry_run = d.pop("dry_run")

        blobs = d.pop("blobs")

        bytes_ = d.pop("bytes")

        bucket_delete_result = cls(
            deleted=deleted,
            dry_run=dry_run,
            blobs=blobs,
            bytes_=bytes_,
        )

        bucket_delete_result.additional_properties = d
        return bucket_delete_result

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
