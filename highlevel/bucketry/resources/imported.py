"""Imported buckets: what the SDK adds for buckets whose data lives with a provider (AWS S3, an
S3-compatible store, Azure Blob, Google Cloud Storage, or a folder on the server host).

``client.buckets.import_external(...)`` registers one (:class:`ImportOps`); the ``Bucket``
proxy gains :class:`ImportedOps` (``status``, ``actions``, ``content``, ``preview``,
``update_credentials``). Everything else (upload, download, sync, glob, delete) is the same call
as on a managed bucket.

Provider credentials are write-only: they go into one request body and nowhere else. No proxy
keeps them, ``repr``/``to_dict`` cannot show them, the SDK logs only method and path, and an
error raised while sending them is rebuilt with every credential value replaced by
``<redacted>`` and without the request it came from (:func:`_scrubbed`).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bucketry_api.models import Bucket as BucketModel
from bucketry_api.models import BucketContent, BucketImport, BucketUpdate, ProviderCredentials
from bucketry_api.models.bucket_import_provider import check_bucket_import_provider

from ..pagination import Pager
from ..types import Session, arg, opt

if TYPE_CHECKING:
    from .buckets import Bucket

__all__ = ["ContentEntry", "ImportOps", "ImportedOps", "StatusReport"]

REDACTED = "<redacted>"

#: Provider names the server knows today (others are passed through for newer servers).
PROVIDERS = ("AWS_S3", "S3_COMPATIBLE", "AZURE_BLOB", "GCS", "FILESYSTEM")


@dataclass(frozen=True)
class StatusReport:
    """A bucket's availability as its provider answered: ``status`` is ``AVAILABLE``,
    ``NOT_FOUND``, ``FORBIDDEN``, ``UNREACHABLE`` (or ``CHECKING``), ``checked_at`` when the
    server last asked the provider, ``detail`` the provider's message when not available."""

    status: str
    checked_at: datetime
    detail: str | None = None

    @property
    def available(self) -> bool:
        """Whether the provider answered that the bucket is there and readable."""
        return self.status == "AVAILABLE"

    def to_dict(self) -> dict[str, Any]:
        """The report as a plain dict (``checked_at`` stays a ``datetime``)."""
        return {"status": self.status, "checked_at": self.checked_at, "detail": self.detail}


@dataclass(frozen=True)
class ContentEntry:
    """One entry of a bucket's folder view (:meth:`ImportedOps.content`): ``name`` relative to
    the browsed prefix (folders end with ``/``), ``key`` the full key (prefix + name), ``type``
    ``"file"`` or ``"folder"``, ``size`` in bytes and ``modified_at`` for files (``None`` when
    the provider does not say, and for folders), ``mime_type`` guessed by the server from a
    file's name (``None`` for folders, unknown extensions and older servers)."""

    name: str
    key: str
    type: Literal["file", "folder"]
    size: int | None = None
    modified_at: datetime | None = None
    mime_type: str | None = None

    @property
    def is_dir(self) -> bool:
        """Whether the entry is a folder."""
        return self.type == "folder"

    def to_dict(self) -> dict[str, Any]:
        """The entry as a plain dict."""
        return {
            "name": self.name,
            "key": self.key,
            "type": self.type,
            "size": self.size,
            "modified_at": self.modified_at,
            "mime_type": self.mime_type,
        }


# ---------------------------------------------------------------------------- credentials
def _credentials_body(credentials: Mapping[str, str]) -> ProviderCredentials:
    """The write-only body part; a non-string key or value raises ``TypeError`` naming the
    key (never the value)."""
    if not isinstance(credentials, Mapping):
        raise TypeError("credentials must be a mapping of field name to string value")
    fields: dict[str, str] = {}
    for key, value in credentials.items():
        if not isinstance(key, str):
            raise TypeError(f"credential field names must be strings, not {type(key).__name__}")
        if not isinstance(value, str):
            raise TypeError(f"credential {key!r} must be a string, not {type(value).__name__}")
        fields[key] = value
    body = ProviderCredentials()
    body.additional_properties = fields
    return body


def _secrets_of(credentials: Mapping[str, Any] | None) -> builtins.list[str]:
    """The strings an error message must not contain: each value, also as JSON would escape
    it (a service-account key echoed inside a JSON text), longest first."""
    found: set[str] = set()
    for value in (credentials or {}).values():
        if isinstance(value, str) and len(value) >= 4:
            found.add(value)
            found.add(json.dumps(value)[1:-1])
            found.update(line for line in value.splitlines() if len(line) >= 8)
    return sorted(found, key=len, reverse=True)


def _scrub(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


@contextlib.contextmanager
def _scrubbed(credentials: Mapping[str, Any] | None, subject: str = "") -> Iterator[None]:
    """Re-raise an SDK error of a request that carried ``credentials`` with every credential
    value redacted from its message and problem, and without its response (whose request
    holds the body), so neither a traceback nor a log of the exception can show a secret.
    ``subject`` (what the request was about) prefixes an API error's message."""
    from ..errors import ApiError, BucketryError

    secrets = _secrets_of(credentials)
    try:
        yield
    except ApiError as exc:
        message = f"{subject}: {exc}" if subject else str(exc)
        raise type(exc)(
            _scrub(message, secrets),
            status_code=exc.status_code,
            problem=_scrub(exc.problem, secrets),
            request_id=exc.request_id,
        ) from None
    except BucketryError as exc:
        raise type(exc)(_scrub(str(exc), secrets)) from None


def _bucket_name_argument(name: str | None, alias: str | None) -> str:
    """The provider bucket name given as ``provider_bucket_name`` or by its deprecated alias
    ``provider_bucket`` (which warns with ``DeprecationWarning``). Raises ``TypeError`` when
    neither or both are given."""
    if alias is not None:
        if name is not None:
            raise TypeError(
                "import_external() got both provider_bucket_name and its deprecated alias "
                "provider_bucket; pass provider_bucket_name only"
            )
        warnings.warn(
            "import_external(provider_bucket=...) is deprecated; use provider_bucket_name=...",
            DeprecationWarning,
            stacklevel=3,
        )
        name = alias
    if name is None:
        raise TypeError(
            "import_external() missing required keyword argument: 'provider_bucket_name'"
        )
    return name


class ImportOps:
    """``client.buckets.import_external``: the registering side of imported buckets."""

    if TYPE_CHECKING:
        _session: Session

    def import_external(
        self,
        *,
        provider: str,
        provider_bucket_name: str | None = None,
        credentials: Mapping[str, str] | None = None,
        name: str | None = None,
        prefix: str | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        description: str | None = None,
        org: str | None = None,
        manifests: Sequence[str] | None = None,
        provider_bucket: str | None = None,
    ) -> Bucket:
        """Register a provider's bucket as a Bucketry bucket (``POST /buckets/import``); every
        blob, transfer, glob and sync call then works on it as on a managed bucket.

        ``provider``: ``AWS_S3``, ``S3_COMPATIBLE``, ``AZURE_BLOB``, ``GCS`` or ``FILESYSTEM``
        (a folder on the server host under a root the server allows; administrators only).
        ``provider_bucket_name`` (required): the provider's bucket, container or folder
        (``provider_bucket`` is its deprecated alias). ``credentials``: the
        provider's fields (S3: ``access_key_id``, ``secret_access_key``, optional
        ``session_token``; Azure: ``connection_string``, or ``account_name`` + ``account_key``,
        or ``sas_token``; GCS: ``service_account_json`` or ``anonymous="true"``): sent once,
        stored encrypted by the server, never returned, never kept by the SDK. ``name``: the
        Bucketry name (default: the provider bucket's); ``prefix``: scope everything to keys
        under it; ``endpoint_url``/``region``: of an S3-compatible or emulated service;
        ``description``, ``org``; ``manifests``: keys of manifest files for huge buckets.

        Raises ``BadRequestError`` naming the bad parameter (unknown provider, missing
        credential fields, a prefix with ``..``, an endpoint on a private network, a folder
        outside the allowed roots), ``PermissionDeniedError`` (e.g. FILESYSTEM as a non-admin),
        ``ConflictError`` when the name is taken, ``TypeError`` for non-string credential
        values, and when ``provider_bucket_name`` is missing or given twice (by its name and
        by the alias); the alias alone works with a ``DeprecationWarning``. API errors name the
        import (``import of S3_COMPATIBLE bucket 'raw' as 'x'``); no error message contains a
        credential value."""
        provider_bucket_name = _bucket_name_argument(provider_bucket_name, provider_bucket)
        if isinstance(manifests, str):
            raise TypeError("manifests must be a list of keys, not one string")
        body = BucketImport(
            provider=check_bucket_import_provider(provider.strip().upper().replace("-", "_")),
            provider_bucket=provider_bucket_name,
            name=arg(name),
            prefix=arg(prefix),
            endpoint_url=arg(endpoint_url),
            region=arg(region),
            credentials=_credentials_body(credentials) if credentials is not None else arg(None),
            description=arg(description),
            org=arg(org),
            manifests=list(manifests) if manifests is not None else arg(None),
        )
        subject = f"import of {body.provider} bucket {provider_bucket_name!r}"
        if name is not None:
            subject += f" as {name!r}"
        with _scrubbed(credentials, subject):
            model = self._session.call(self._session.api.buckets.import_, body=body)
        from .buckets import Bucket

        return Bucket(self._session, model.id, model)


# ---------------------------------------------------------------------------- the proxy side
def _entry(prefix: str, m: Any) -> ContentEntry:
    kind = str(m.type_).upper()
    return ContentEntry(
        name=m.name,
        key=prefix + m.name,
        type="folder" if kind == "DIR" else "file",
        size=opt(m.size),
        modified_at=opt(m.modified_at),
        mime_type=opt(m.mime_type),
    )


class ImportedOps:
    """The provider-facing operations of a ``Bucket`` (managed buckets answer them too: always
    AVAILABLE with READ and WRITE)."""

    if TYPE_CHECKING:
        _session: Session
        ref: str
        _model: BucketModel | None

        @property
        def model(self) -> BucketModel: ...

    @property
    def imported(self) -> bool:
        """Whether the bucket's data lives with an external provider."""
        return bool(self.model.imported)

    @property
    def provider_bucket_name(self) -> str | None:
        """The provider's own bucket (or container, or folder) name; ``None`` if managed."""
        return opt(self.model.provider_bucket)

    @property
    def provider_bucket(self) -> str | None:
        """The same as :attr:`provider_bucket_name` (the API field's name)."""
        return self.provider_bucket_name

    @property
    def credentials_set(self) -> bool:
        """Whether the server holds credentials for the provider (never the credentials)."""
        return bool(opt(self.model.credentials_set))

    def status(self, *, refresh: bool = False) -> StatusReport:
        """The bucket's availability at its provider (``GET /buckets/{b}/status``), as a
        frozen :class:`StatusReport` (``status``, ``checked_at``, ``detail``).

        The server caches a probe briefly; ``checked_at`` says when it asked the provider.
        ``refresh=True`` also re-reads the bucket itself, so that ``bucket.model`` (its
        ``status`` and ``last_checked_at``) agrees with the report. The server bounds each probe
        in time: an unreachable provider is ``UNREACHABLE``, never a hang. Raises
        ``NotFoundError`` naming the bucket."""
        report = self._session.call(self._session.api.buckets.status, self.ref)
        result = StatusReport(
            status=str(report.status), checked_at=report.checked_at, detail=opt(report.detail)
        )
        if refresh:
            self._model = self._session.call(self._session.api.buckets.get, self.ref)
        return result

    def actions(self) -> builtins.list[str]:
        """What the stored credentials allow at the provider: ``"READ"`` and/or ``"WRITE"``.
        A write without ``WRITE`` is refused with ``PermissionDeniedError`` naming the action.
        Raises ``NotFoundError`` naming the bucket."""
        return list(self._session.call(self._session.api.buckets.actions, self.ref).actions)

    def content(
        self,
        prefix: str = "",
        *,
        page_size: int = 100,
        first: int | None = None,
        manifest_path: str | None = None,
    ) -> Pager[ContentEntry]:
        """Browse one folder level under ``prefix`` like a file tree: a lazy
        :class:`~bucketry.Pager` of :class:`ContentEntry` (files and sub-folders), one request
        per ``page_size`` entries (1..1000), up to ``first`` entries. ``manifest_path``: the
        key of a manifest file in the bucket to browse instead of the provider listing (huge
        buckets). A bad prefix raises ``BadRequestError`` naming it; a missing bucket
        ``NotFoundError``."""
        session, ref = self._session, self.ref

        def fetch(token: str | None, size: int) -> tuple[builtins.list[ContentEntry], str | None]:
            page: BucketContent = session.call(
                session.api.buckets.content,
                ref,
                prefix=prefix,
                next_token=arg(token),
                page_size=size,
                manifest_path=arg(manifest_path),
            )
            return [_entry(page.prefix, m) for m in page.content], opt(page.next_token)

        return Pager(fetch, page_size=page_size, first=first)

    def preview(self) -> bytes:
        """A JPEG thumbnail (at most 256 px on its longer side) of the first image in the
        bucket. Raises ``NotFoundError`` saying the bucket has no image to preview when it has
        none (code ``no_preview``), or naming the bucket when it does not exist."""
        from ..errors import NotFoundError

        try:
            _, response = self._session.call_raw(self._session.api.buckets.preview, self.ref)
        except NotFoundError as exc:
            if exc.code != "no_preview":
                raise
            shown = self._model.name if self._model is not None else self.ref
            raise NotFoundError(
                f"bucket {shown!r} has no image to preview",
                status_code=404,
                problem=exc.problem,
                request_id=exc.request_id,
            ) from None
        return response.content

    def update_credentials(
        self,
        credentials: Mapping[str, str],
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        if_match: str | None = None,
    ) -> Bucket:
        """Replace the provider credentials (``PATCH``; the bucket keeps its id), optionally
        with a new ``endpoint_url``/``region``. The credentials are sent once and kept nowhere.
        ``if_match``: an ETag the bucket must still have (else ``PreconditionFailedError``).
        Raises ``BadRequestError`` for missing or unknown credential fields,
        ``PermissionDeniedError`` when you may not edit the bucket; no error message contains
        a credential value."""
        body = BucketUpdate(
            credentials=_credentials_body(credentials),
            endpoint_url=arg(endpoint_url),
            region=arg(region),
        )
        with _scrubbed(credentials):
            self._model = self._session.call(
                self._session.api.buckets.update, self.ref, body=body, if_match=arg(if_match)
            )
        self.ref = self._model.id
        return self  # type: ignore[return-value]
