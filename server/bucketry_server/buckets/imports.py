"""Registering external provider buckets (``POST /buckets/import``) and replacing their
credentials: validation (provider, required credential fields, prefix, endpoint through the
SSRF guard, FILESYSTEM roots and admin rights), one bounded probe, then one insert. Nothing is
stored when any check fails; credentials are sealed with the server's key ring and never
returned or logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..accounts.access import resolve_org
from ..accounts.principals import Principal
from ..backends.registry import backend_for
from ..backends.remote.addresses import check_addresses
from ..backends.remote.folders import confine_folder
from ..errors import Forbidden, Invalid
from ..ids import new_id
from ..keys import key_error
from ..models import Bucket
from ..netguard import check_url
from ..state import AppState
from ..timeutil import utcnow
from .names import check_bucket_name, ensure_name_free, flush_name

#: Providers a bucket can be imported from.
IMPORTABLE = ("AWS_S3", "S3_COMPATIBLE", "AZURE_BLOB", "GCS", "FILESYSTEM")
#: Per provider, the accepted credential sets (any one complete set will do); the first set
#: is the one named when none is complete.
CREDENTIAL_SETS: dict[str, list[tuple[str, ...]]] = {
    "AWS_S3": [("access_key_id", "secret_access_key")],
    "S3_COMPATIBLE": [("access_key_id", "secret_access_key")],
    "AZURE_BLOB": [("connection_string",), ("account_name", "account_key"), ("sas_token",)],
    "GCS": [("service_account_json",), ("anonymous",)],
    "FILESYSTEM": [()],
}
#: Optional credential fields per provider (anything else is refused, so a typo is caught).
CREDENTIAL_EXTRAS: dict[str, tuple[str, ...]] = {
    "AWS_S3": ("session_token",),
    "S3_COMPATIBLE": ("session_token",),
    "AZURE_BLOB": ("account_name",),
    "GCS": (),
    "FILESYSTEM": (),
}
#: The kinds of credentials a bucket can hold (``Bucket.credentials_type``), by the field
#: that identifies each accepted set.
CREDENTIAL_TYPES = (
    "KEY_SECRET_KEY_PAIR",
    "ACCOUNT_NAME_TOKEN_PAIR",
    "CONNECTION_STRING",
    "SAS_TOKEN",
    "KEY_FILE_PATH",
    "ANONYMOUS_ACCESS",
)
_KIND_BY_FIELD = {
    "secret_access_key": "KEY_SECRET_KEY_PAIR",
    "account_key": "ACCOUNT_NAME_TOKEN_PAIR",
    "connection_string": "CONNECTION_STRING",
    "sas_token": "SAS_TOKEN",
    "service_account_json": "KEY_FILE_PATH",
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")


def bad(field: str, msg: str, code: str = "invalid_parameter") -> Invalid:
    """``Invalid`` (400) naming the body ``field``."""
    return Invalid(
        code,
        f"{field}: {msg}",
        errors=[{"loc": ["body", field], "msg": msg, "type": "value_error"}],
    )


@dataclass
class ImportRequest:
    """The body of ``POST /buckets/import`` (``BucketImport``)."""

    provider: str
    provider_bucket: str
    name: str | None = None
    prefix: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    credentials: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    org: str | None = None
    manifests: list[str] = field(default_factory=list)


def check_provider(provider: str) -> str:
    """The provider if importable, else 400 naming ``provider``."""
    if provider not in IMPORTABLE:
        raise bad(
            "provider",
            f"unknown or not importable provider {provider!r} (one of {', '.join(IMPORTABLE)})",
            "unknown_provider",
        )
    return provider


def check_credentials(provider: str, credentials: Mapping[str, str]) -> dict[str, str]:
    """The credentials if one accepted set is complete (non-empty values) and no unknown field
    is given; else 400 naming the missing (or unknown) field. Values are never echoed."""
    sets = CREDENTIAL_SETS[provider]
    known = {f for s in sets for f in s} | set(CREDENTIAL_EXTRAS[provider])
    for name in credentials:
        if name not in known:
            raise bad(
                f"credentials.{name}", f"not a credential field of {provider}", "unknown_credential"
            )
    given = {k for k, v in credentials.items() if v}
    if not any(set(s) <= given for s in sets):
        best = max(sets, key=lambda s: len(set(s) & given))
        missing = next(f for f in best if f not in given)
        raise bad(f"credentials.{missing}", f"required for {provider}", "missing_credential")
    if provider == "GCS" and credentials.get("anonymous") not in (None, "true"):
        raise bad("credentials.anonymous", 'must be "true" when given')
    return dict(credentials)


def credentials_type(credentials: Mapping[str, str]) -> str:
    """The kind of checked ``credentials`` (one of :data:`CREDENTIAL_TYPES`): the first
    identifying field given, else ``ANONYMOUS_ACCESS`` (public GCS, a server folder)."""
    for name, kind in _KIND_BY_FIELD.items():
        if credentials.get(name):
            return kind
    return "ANONYMOUS_ACCESS"


def check_import_prefix(prefix: str | None) -> str:
    """The bucket prefix: key rules (no ``..`` or ``.`` segment, no leading ``/``, no control
    characters); may end with ``/``. 400 naming ``prefix`` otherwise."""
    if not prefix:
        return ""
    body = prefix[:-1] if prefix.endswith("/") else prefix
    if ".." in body.split("/"):
        raise bad("prefix", "must not contain a '..' segment", "invalid_prefix")
    if (problem := key_error(body)) is not None:
        raise bad("prefix", problem, "invalid_prefix")
    return prefix


def default_name(req: ImportRequest) -> str:
    """``name``, or one derived from the provider bucket (folder base name for FILESYSTEM)."""
    if req.name is not None:
        return req.name
    base = req.provider_bucket.rstrip("/").rsplit("/", 1)[-1].lower()
    name = re.sub(r"[^a-z0-9.-]+", "-", base).strip(".-")[:63]
    if not _NAME.match(name):
        raise bad("name", "required (the provider bucket name is not a valid bucket name)")
    return name


def check_location(state: AppState, p: Principal, req: ImportRequest) -> tuple[str, str | None]:
    """``(provider_bucket, endpoint_url)`` once checked: FILESYSTEM admin-only and inside the
    roots (real path returned); endpoints through the SSRF guard; S3_COMPATIBLE needs one."""
    settings = state.settings
    if req.provider == "FILESYSTEM":
        if not p.is_admin:
            raise Forbidden("admin_only", "provider: FILESYSTEM buckets are for administrators")
        if req.endpoint_url:
            raise bad("endpoint_url", "FILESYSTEM buckets have no endpoint")
        return str(confine_folder(req.provider_bucket, settings.filesystem_roots)), None
    if req.provider == "S3_COMPATIBLE" and not req.endpoint_url:
        raise bad("endpoint_url", "required for S3_COMPATIBLE")
    if req.endpoint_url:
        check_url(req.endpoint_url, settings.allowed_networks)
    return req.provider_bucket, req.endpoint_url


def _new_bucket(state: AppState, p: Principal, req: ImportRequest) -> Bucket:
    """Validate everything that needs no network round trip to the provider; the unsaved row."""
    uid = p.require_unscoped()
    provider = check_provider(req.provider)
    if provider == "FILESYSTEM" and not p.is_admin:
        raise Forbidden("admin_only", "provider: FILESYSTEM buckets are for administrators")
    credentials = check_credentials(provider, req.credentials)
    prefix = check_import_prefix(req.prefix)
    for i, key in enumerate(req.manifests):
        if (problem := key_error(key)) is not None:
            raise bad("manifests", f"item {i}: {problem}")
    name = default_name(req)
    check_bucket_name(name)
    folder, endpoint = check_location(state, p, req)
    check_addresses(
        provider, credentials, endpoint, state.settings.allowed_networks, endpoint=False
    )
    with state.db.session() as s:
        org_row = resolve_org(s, p, req.org) if req.org else None
        ensure_name_free(s, name, uid, org_row.id if org_row else None)
    now = utcnow()
    b = Bucket(
        id=new_id("bkt"),
        name=name,
        owner_id=uid,
        org_id=org_row.id if org_row else None,
        description=req.description,
        provider=provider,
        provider_bucket=folder,
        prefix=prefix or None,
        endpoint_url=endpoint,
        region=req.region,
        public=False,
        status="CHECKING",
        actions=[],
        manifests=list(dict.fromkeys(req.manifests)),
        version=1,
        created_at=now,
        updated_at=now,
        bytes_used=0,
        object_count=0,
    )
    b.credentials_enc = state.keys.seal(b.id, credentials) if credentials else None
    b.credentials_type = credentials_type(credentials)
    return b


def _insert(state: AppState, b: Bucket) -> Bucket:
    with state.db.session() as s:
        ensure_name_free(s, b.name, b.owner_id, b.org_id)
        s.add(b)
        flush_name(s, b.name)
    return b


async def import_bucket(state: AppState, p: Principal, req: ImportRequest) -> Bucket:
    """Register an external bucket: validate (400/403/409 with nothing stored), probe the
    provider once (bounded; the answer is recorded, whatever it is), insert the row."""
    b = await run_in_threadpool(_new_bucket, state, p, req)
    probe = await backend_for(state, b).probe()
    b.status = probe.status
    b.actions = list(probe.actions)
    b.last_checked_at = probe.checked_at
    return await run_in_threadpool(_insert, state, b)


def replace_credentials(state: AppState, b: Bucket, credentials: Mapping[str, str]) -> None:
    """Seal new credentials on an imported bucket (same id) after checking them like an
    import does (400 naming the missing field, or an address they name that the SSRF guard
    refuses); the cached client and probe are dropped."""
    from ..backends.remote import cache

    checked = check_credentials(check_provider(b.provider), credentials)
    allowed = state.settings.allowed_networks
    check_addresses(b.provider, checked, b.endpoint_url, allowed, endpoint=False)
    b.credentials_enc = state.keys.seal(b.id, checked) if checked else None
    b.credentials_type = credentials_type(checked)
    cache.forget(state, b.id)


def request_from(body: Any) -> ImportRequest:
    """An :class:`ImportRequest` from the route's validated body model."""
    return ImportRequest(
        **{name: getattr(body, name) for name in ImportRequest.__dataclass_fields__}
    )
