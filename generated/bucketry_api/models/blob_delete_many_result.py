from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.blob_delete_item import BlobDeleteItem


T = TypeVar("T", bound="BlobDeleteManyResult")


@_attrs_define
class BlobDeleteManyResult:
    """
    Attributes:
        results (list[BlobDeleteItem]):
        deleted (int): Count deleted (or that would be in a dry run).
        dry_run (bool):
        bytes_ (int | Unset): Bytes freed.
    """

    results: list[BlobDeleteItem]
    deleted: int
    dry_run: bool
    bytes_: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        deleted = self.deleted

        dry_run = self.dry_run

        bytes_ = self.bytes_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "results": results,
                "deleted": deleted,
                "dry_run": dry_run,
            }
        )
        if bytes_ is not UNSET:
            field_dict["bytes"] = bytes_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.blob_delete_item import BlobDeleteItem

        d = dict(src_dict)
        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = BlobDeleteItem.from_dict(results_item_data)

            results.append(results_item)

        deleted = d.pop("deleted")

        dry_run = d.pop("dry_run")

        bytes_ = d.pop("bytes", UNSET)

        blob_delete_many_result = cls(
            results=results,
            deleted=deleted,
            dry_run=dry_run,
            bytes_=bytes_,
        )

        blob_delete_many_result.additional_properties = d
        return blob_delete_many_result

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
