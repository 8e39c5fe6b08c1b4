from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.operation_kind import OperationKind, check_operation_kind
from ..types import UNSET, Unset

T = TypeVar("T", bound="OperationCreate")


@_attrs_define
class OperationCreate:
    """Fields by kind:
    COPY `source` and `destination` (`bkt://bucket/key` or `bkt://bucket/prefix/`);
    IMPORT_URL `url` (http/https; private and loopback addresses refused) and `destination`;
    EXPORT `source`, `destination` (an imported bucket, `bkt://…`) and `part_size_mb`;
    DELETE_PREFIX `source` (`bkt://bucket/prefix/`, non-empty, ending in `/`) and `dry_run`;
    CONNECTION_SYNC `connection_id` and `delete_extraneous_files`.
    A `source` or `destination` ending in `/` (or naming only a bucket) is a prefix: COPY
    copies every key under it (a prefix goes to a prefix; a blob copied to a prefix keeps
    its name). Everything is checked before the operation exists (buckets, access, keys);
    a kind this server does not run answers 501.

        Attributes:
            kind (OperationKind): What an operation does.
            source (None | str | Unset):
            destination (None | str | Unset):
            url (None | str | Unset):
            part_size_mb (int | None | Unset): EXPORT: the part size in MiB (default 8). A part is held in memory while it
                is sent, so a server takes at most its BUCKETRY_EXPORT_MAX_PART_MB (default 256) and answers 400 above.
            connection_id (None | str | Unset):
            delete_extraneous_files (bool | Unset):  Default: False.
            overwrite (bool | Unset): COPY: replace existing keys (false: skip them, counted in `skipped`). Default: True.
            dry_run (bool | Unset): DELETE_PREFIX: count what would be deleted, delete nothing. Default: False.
    """

    kind: OperationKind
    source: None | str | Unset = UNSET
    destination: None | str | Unset = UNSET
    url: None | str | Unset = UNSET
    part_size_mb: int | None | Unset = UNSET
    connection_id: None | str | Unset = UNSET
    delete_extraneous_files: bool | Unset = False
    overwrite: bool | Unset = True
    dry_run: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind: str = self.kind

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        destination: None | str | Unset
        if isinstance(self.destination, Unset):
            destination = UNSET
        else:
            destination = self.destination

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        part_size_mb: int | None | Unset
        if isinstance(self.part_size_mb, Unset):
            part_size_mb = UNSET
        else:
            part_size_mb = self.part_size_mb

        connection_id: None | str | Unset
        if isinstance(self.connection_id, Unset):
            connection_id = UNSET
        else:
            connection_id = self.connection_id

        delete_extraneous_files = self.delete_extraneous_files

        overwrite = self.overwrite

        dry_run = self.dry_run

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
            }
        )
        if source is not UNSET:
            field_dict["source"] = source
        if destination is not UNSET:
            field_dict["destination"] = destination
        if url is not UNSET:
            field_dict["url"] = url
        if part_size_mb is not UNSET:
            field_dict["part_size_mb"] = part_size_mb
        if connection_id is not UNSET:
            field_dict["connection_id"] = connection_id
        if delete_extraneous_files is not UNSET:
            field_dict["delete_extraneous_files"] = delete_extraneous_files
        if overwrite is not UNSET:
            field_dict["overwrite"] = overwrite
        if dry_run is not UNSET:
            field_dict["dry_run"] = dry_run

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = check_operation_kind(d.pop("kind"))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        def _parse_destination(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        destination = _parse_destination(d.pop("destination", UNSET))

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_part_size_mb(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        part_size_mb = _parse_part_size_mb(d.pop("part_size_mb", UNSET))

        def _parse_connection_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        connection_id = _parse_connection_id(d.pop("connection_id", UNSET))

        delete_extraneous_files = d.pop("delete_extraneous_files", UNSET)

        overwrite = d.pop("overwrite", UNSET)

        dry_run = d.pop("dry_run", UNSET)

        operation_create = cls(
            kind=kind,
            source=source,
            destination=destination,
            url=url,
            part_size_mb=part_size_mb,
            connection_id=connection_id,
            delete_extraneous_files=delete_extraneous_files,
            overwrite=overwrite,
            dry_run=dry_run,
        )

        operation_create.additional_properties = d
        return operation_create

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
