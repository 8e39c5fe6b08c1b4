from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.organization import Organization


T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """
    Attributes:
        id (str): User id (`usr_…`).
        name (str): Unique user name.
        is_admin (bool): Service administrator.
        orgs (list[Organization]): Organizations the user belongs to.
        created_at (datetime.datetime):
        email (None | str | Unset): Contact address.
        auth_kind (None | str | Unset): How this call authenticated: `token`, `tmp_credentials` or `credentials`.
    """

    id: str
    name: str
    is_admin: bool
    orgs: list[Organization]
    created_at: datetime.datetime
    email: None | str | Unset = UNSET
    auth_kind: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        is_admin = self.is_admin

        orgs = []
        for orgs_item_data in self.orgs:
            orgs_item = orgs_item_data.to_dict()
            orgs.append(orgs_item)

        created_at = self.created_at.isoformat()

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        auth_kind: None | str | Unset
        if isinstance(self.auth_kind, Unset):
            auth_kind = UNSET
        else:
            auth_kind = self.auth_kind

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "is_admin": is_admin,
                "orgs": orgs,
                "created_at": created_at,
            }
        )
        if email is not UNSET:
            field_dict["email"] = email
        if auth_kind is not UNSET:
            field_dict["auth_kind"] = auth_kind

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.organization import Organization

        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        is_admin = d.pop("is_admin")

        orgs = []
        _orgs = d.pop("orgs")
        for orgs_item_data in _orgs:
            orgs_item = Organization.from_dict(orgs_item_data)

            orgs.append(orgs_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_auth_kind(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        auth_kind = _parse_auth_kind(d.pop("auth_kind", UNSET))

        user = cls(
            id=id,
            name=name,
            is_admin=is_admin,
            orgs=orgs,
            created_at=created_at,
            email=email,
            auth_kind=auth_kind,
        )

        user.additional_properties = d
        return user

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
