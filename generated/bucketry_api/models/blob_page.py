from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.blob import Blob
    from ..models.folder_entry import FolderEntry


T = TypeVar("T", bound="BlobPage")


@_attrs_define
class BlobPage:
    """
    Attributes:
        results (list[Blob]):
        prefixes (list[str]): Common prefixes ("folders") when a delimiter is used, each ending with it.
        next_cursor (None | str): Cursor of the next page; null only at the end. A sparse glob may return a short (even
            empty) page with a non-null cursor: keep going until the cursor is null.
        folders (list[FolderEntry] | Unset): The same folders as `prefixes`, in the same order, with their aggregates
            (total size,
            blob count, latest creation time; in an imported bucket the latest modification).
            Given with a delimiter and no glob; absent with a glob.
    """

    results: list[Blob]
    prefixes: list[str]
    next_cursor: None | str
    folders: list[FolderEntry] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        prefixes = self.prefixes

        next_cursor: None | str
        next_cursor = self.next_cursor

        folders: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.folders, Unset):
            folders = []
            for folders_item_data in self.folders:
                folders_item = folders_item_data.to_dict()
                folders.append(folders_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "results": results,
                "prefixes": prefixes,
                "next_cursor": next_cursor,
            }
        )
        if folders is not UNSET:
            field_dict["folders"] = folders

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.blob import Blob
        from ..models.folder_entry import FolderEntry

        d = dict(src_dict)
        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = Blob.from_dict(results_item_data)

            results.append(results_item)

        prefixes = cast(list[str], d.pop("prefixes"))

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        _folders = d.pop("folders", UNSET)
        folders: list[FolderEntry] | Unset = UNSET
        if _folders is not UNSET:
            folders = []
            for folders_item_data in _folders:
                folders_item = FolderEntry.from_dict(folders_item_data)

                folders.append(folders_item)

        blob_page = cls(
            results=results,
            prefixes=prefixes,
            next_cursor=next_cursor,
            folders=folders,
        )

        blob_page.additional_properties = d
        return blob_page

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
