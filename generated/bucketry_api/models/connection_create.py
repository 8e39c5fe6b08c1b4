from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ConnectionCreate")


@_attrs_define
class ConnectionCreate:
    """
    Attributes:
        project_id (str):
        bucket (str): Bucket id or name.
        selected_folders (list[str] | Unset): Folders to synchronise (`raw/` or `raw`; a trailing `/` is added); empty
            or absent = the whole bucket.
        include (list[str] | Unset): Globs over whole keys (`**/*.jpg`); a key is taken if it matches any (empty = every
            key).
        exclude (list[str] | Unset): Globs that drop a key matching any of them.
    """

    project_id: str
    bucket: str
    selected_folders: list[str] | Unset = UNSET
    include: list[str] | Unset = UNSET
    exclude: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        project_id = self.project_id

        bucket = self.bucket

        selected_folders: list[str] | Unset = UNSET
        if not isinstance(self.selected_folders, Unset):
            selected_folders = self.selected_folders

        include: list[str] | Unset = UNSET
        if not isinstance(self.include, Unset):
            include = self.include

        exclude: list[str] | Unset = UNSET
        if not isinstance(self.exclude, Unset):
            exclude = self.exclude

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "project_id": project_id,
                "bucket": bucket,
            }
        )
        if selected_folders is not UNSET:
            field_dict["selected_folders"] = selected_folders
        if include is not UNSET:
            field_dict["include"] = include
        if exclude is not UNSET:
            field_dict["exclude"] = exclude

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        project_id = d.pop("project_id")

        bucket = d.pop("bucket")

        selected_folders = cast(list[str], d.pop("selected_folders", UNSET))

        include = cast(list[str], d.pop("include", UNSET))

        exclude = cast(list[str], d.pop("exclude", UNSET))

        connection_create = cls(
            project_id=project_id,
            bucket=bucket,
            selected_folders=selected_folders,
            include=include,
            exclude=exclude,
        )

        return connection_create
