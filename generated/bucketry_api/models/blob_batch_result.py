from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.blob_batch_item import BlobBatchItem


T = TypeVar("T", bound="BlobBatchResult")


@_attrs_define
class BlobBatchResult:
    """
    Attributes:
        results (list[BlobBatchItem]):
        stored (int):
        failed (int):
        bytes_ (int | Unset): Bytes stored.
    """

    results: list[BlobBatchItem]
    stored: int
    failed: int
    bytes_: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        stored = self.stored

        failed = self.failed

        bytes_ = self.bytes_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "results": results,
                "stored": stored,
                "failed": failed,
            }
        )
        if bytes_ is not UNSET:
            field_dict["bytes"] = bytes_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.blob_batch_item import BlobBatchItem

        d = dict(src_dict)
        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = BlobBatchItem.from_dict(results_item_data)

            results.append(results_item)

        stored = d.pop("stored")

        failed = d.pop("failed")

        bytes_ = d.pop("bytes", UNSET)

        blob_batch_result = cls(
            results=results,
            stored=stored,
            failed=failed,
            bytes_=bytes_,
        )

        blob_batch_result.additional_properties = d
        return blob_batch_result

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
