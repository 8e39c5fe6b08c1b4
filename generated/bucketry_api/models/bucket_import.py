from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.bucket_import_provider import BucketImportProvider, check_bucket_import_provider
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.provider_credentials import ProviderCredentials


T = TypeVar("T", bound="BucketImport")


@_attrs_define
class BucketImport:
    """
    Attributes:
        provider (BucketImportProvider): The external provider (any provider but MANAGED).
        provider_bucket (str): Provider bucket/container, or an absolute server folder for FILESYSTEM.
        name (None | str | Unset): Defaults to the provider bucket name.
        prefix (None | str | Unset): Expose only keys under this prefix.
        endpoint_url (None | str | Unset): Required for S3_COMPATIBLE.
        region (None | str | Unset):
        credentials (ProviderCredentials | Unset): Write-only provider secrets, by provider:
            AWS_S3 / S3_COMPATIBLE `access_key_id`, `secret_access_key`, optional `session_token`;
            AZURE_BLOB `connection_string`, or `account_name` + `account_key`, or `sas_token`;
            GCS `service_account_json` (the key file's JSON text) or `anonymous: "true"`.
        description (None | str | Unset):
        org (None | str | Unset):
        manifests (list[str] | Unset): Keys of manifest files (key rules).
    """

    provider: BucketImportProvider
    provider_bucket: str
    name: None | str | Unset = UNSET
    prefix: None | str | Unset = UNSET
    endpoint_url: None | str | Unset = UNSET
    region: None | str | Unset = UNSET
    credentials: ProviderCredentials | Unset = UNSET
    description: None | str | Unset = UNSET
    org: None | str | Unset = UNSET
    manifests: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        provider: str = self.provider

        provider_bucket = self.provider_bucket

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

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

        credentials: dict[str, Any] | Unset = UNSET
        if not isinstance(self.credentials, Unset):
            credentials = self.credentials.to_dict()

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        org: None | str | Unset
        if isinstance(self.org, Unset):
            org = UNSET
        else:
            org = self.org

        manifests: list[str] | Unset = UNSET
        if not isinstance(self.manifests, Unset):
            manifests = self.manifests

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "provider": provider,
                "provider_bucket": provider_bucket,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if prefix is not UNSET:
            field_dict["prefix"] = prefix
        if endpoint_url is not UNSET:
            field_dict["endpoint_url"] = endpoint_url
        if region is not UNSET:
            field_dict["region"] = region
        if credentials is not UNSET:
            field_dict["credentials"] = credentials
        if description is not UNSET:
            field_dict["description"] = description
        if org is not UNSET:
            field_dict["org"] = org
        if manifests is not UNSET:
            field_dict["manifests"] = manifests

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.provider_credentials import ProviderCredentials

        d = dict(src_dict)
        provider = check_bucket_import_provider(d.pop("provider"))

        provider_bucket = d.pop("provider_bucket")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

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

        _credentials = d.pop("credentials", UNSET)
        credentials: ProviderCredentials | Unset
        if isinstance(_credentials, Unset):
            credentials = UNSET
        else:
            credentials = ProviderCredentials.from_dict(_credentials)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_org(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        org = _parse_org(d.pop("org", UNSET))

        manifests = cast(list[str], d.pop("manifests", UNSET))

        bucket_import = cls(
            provider=provider,
            provider_bucket=provider_bucket,
            name=name,
            prefix=prefix,
            endpoint_url=endpoint_url,
            region=region,
            credentials=credentials,
            description=description,
            org=org,
            manifests=manifests,
        )

        bucket_import.additional_properties = d
        return bucket_import

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
