from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.bucket_status import BucketStatus, check_bucket_status
from ..models.provider import Provider, check_provider
from ..types import UNSET, Unset

T = TypeVar("T", bound="Bucket")


@_attrs_define
class Bucket:
    """
    Attributes:
        id (str): Bucket id (`bkt_…`).
        name (str): Name
        owner (str): Owner's user name.
        provider (Provider): Where a bucket's data lives. MANAGED is the service's own storage; the others are
            imported external buckets. FILESYSTEM is a folder on the server host (administrators only).
        imported (bool): True for an external provider bucket.
        public (bool): Anonymous read allowed.
        status (BucketStatus): Result of the last check against the provider.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        org (None | str | Unset): Organization slug
        description (None | str | Unset):
        provider_bucket (None | str | Unset): The provider's bucket/container name, or the folder for FILESYSTEM.
        prefix (None | str | Unset): Key prefix inside the provider bucket that this bucket exposes.
        endpoint_url (None | str | Unset): Endpoint of an S3-compatible store.
        region (None | str | Unset): Provider region.
        credentials_set (bool | Unset): Whether credentials are stored (they are never returned).
        actions (list[str] | Unset): Allowed actions at the last check.
        manifests (list[str] | Unset): Keys of manifest files usable for browsing.
        last_checked_at (datetime.datetime | None | Unset):
    """

    id: str
    name: str
    owner: str
    provider: Provider
    imported: bool
    public: bool
    status: BucketStatus
    created_at: datetime.datetime
    updated_at: datetime.datetime
    org: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    provider_bucket: None | str | Unset = UNSET
    prefix: None | str | Unset = UNSET
    endpoint_url: None | str | Unset = UNSET
    region: None | str | Unset = UNSET
    credentials_set: bool | Unset = UNSET
    actions: list[str] | Unset = UNSET
    manifests: list[str] | Unset = UNSET
    last_checked_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        owner = self.owner

        provider: str = self.provider

        imported = self.imported

        public = self.public

        status: str = self.status

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        org: None | str | Unset
        if isinstance(self.org, Unset):
            org = UNSET
        else:
            org = self.org

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        provider_bucket: None | str | Unset
        if isinstance(self.provider_bucket, Unset):
            provider_bucket = UNSET
        else:
            provider_bucket = self.provider_bucket

        prefix: None | str | Unset
        if isinstance(self.prefix, Unset):
            prefix = UNSET
        else:
            prefix = self.prefix

        endpoint_url: None | str | Unset
        if isinstance(self.endpoint_url, Unset):
            endpoint_url = UNSET
        else:
            endpoint_url = self.endpoint_url

        region: None | str | Unset
        if isinstance(self.region, Unset):
            region = UNSET
        else:
            region = self.region

        credentials_set = self.credentials_set

        actions: list[str] | Unset = UNSET
        if not isinstance(self.actions, Unset):
            actions = self.actions

        manifests: list[str] | Unset = UNSET
        if not isinstance(self.manifests, Unset):
            manifests = self.manifests

        last_checked_at: None | str | Unset
        if isinstance(self.last_checked_at, Unset):
            last_checked_at = UNSET
        elif isinstance(self.last_checked_at, datetime.datetime):
            last_checked_at = self.last_checked_at.isoformat()
        else:
            last_checked_at = self.last_checked_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "owner": owner,
                "provider": provider,
                "imported": imported,
                "public": public,
                "status": status,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if org is not UNSET:
            field_dict["org"] = org
        if description is not UNSET:
            field_dict["description"] = description
        if provider_bucket is not UNSET:
            field_dict["provider_bucket"] = provider_bucket
        if prefix is not UNSET:
            field_dict["prefix"] = prefix
        if endpoint_url is not UNSET:
            field_dict["endpoint_url"] = endpoint_url
        if region is not UNSET:
            field_dict["region"] = region
        if credentials_set is not UNSET:
            field_dict["credentials_set"] = credentials_set
        if actions is not UNSET:
            field_dict["actions"] = actions
        if manifests is not UNSET:
            field_dict["manifests"] = manifests
        if last_checked_at is not UNSET:
            field_dict["last_checked_at"] = last_checked_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        owner = d.pop("owner")

        provider = check_provider(d.pop("provider"))

        imported = d.pop("imported")

        public = d.pop("public")

        status = check_bucket_status(d.pop("status"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_org(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        org = _parse_org(d.pop("org", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_provider_bucket(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        provider_bucket = _parse_provider_bucket(d.pop("provider_bucket", UNSET))

        def _parse_prefix(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        prefix = _parse_prefix(d.pop("prefix", UNSET))

        def _parse_endpoint_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        endpoint_url = _parse_endpoint_url(d.pop("endpoint_url", UNSET))

        def _parse_region(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        region = _parse_region(d.pop("region", UNSET))

        credentials_set = d.pop("credentials_set", UNSET)

        actions = cast(list[str], d.pop("actions", UNSET))

        manifests = cast(list[str], d.pop("manifests", UNSET))

        def _parse_last_checked_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_checked_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_checked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_checked_at = _parse_last_checked_at(d.pop("last_checked_at", UNSET))

        bucket = cls(
            id=id,
            name=name,
            owner=owner,
            provider=provider,
            imported=imported,
            public=public,
            status=status,
            created_at=created_at,
            updated_at=updated_at,
            org=org,
            description=description,
            provider_bucket=provider_bucket,
            prefix=prefix,
            endpoint_url=endpoint_url,
            region=region,
            credentials_set=credentials_set,
            actions=actions,
            manifests=manifests,
            last_checked_at=last_checked_at,
        )

        bucket.additional_properties = d
        return bucket

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
