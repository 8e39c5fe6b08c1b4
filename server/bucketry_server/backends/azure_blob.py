"""Azure Blob Storage as an :class:`~.remote.client.ObjectClient` (azure-storage-blob).

One container (``ProviderConfig.bucket``) seen as key-ordered objects. Credentials (keys of
the spec's ``ProviderCredentials``): ``connection_string``; or ``account_name`` +
``account_key``; or ``account_name`` (or an ``endpoint_url`` naming the account) +
``sas_token``. ``endpoint_url`` is the blob service endpoint; for an emulator on a bare
``http://127.0.0.1:port`` the account is appended as the first path segment (Azurite's
path-style URLs).

Every network call is bounded: the SDK's ``connection_timeout``/``read_timeout`` come from the
config and its retry policy is short and linear, so a dead endpoint answers within about
``2 * connect_timeout`` plus a second. Errors are translated into the provider errors of
:mod:`.remote.client` with messages built here (never the SDK's text, which may carry a URL
with a SAS signature), and the library's exception is not chained.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import (
    BlobBlock,
    BlobProperties,
    BlobSasPermissions,
    ContainerClient,
    ContentSettings,
    LinearRetry,
    generate_blob_sas,
)

from ..models import Bucket
from ..state import AppState
from .remote.backend import RemoteBackend
from .remote.client import (
    ObjectInfo,
    ProbeResult,
    ProviderConfig,
    ProviderError,
    ProviderFailed,
    ProviderForbidden,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnreachable,
    ProviderVersionChanged,
)
from .remote.config import checked_config
from .remote.pinning import guarded_session

BLOCK_SIZE = 4 * 1024 * 1024  # staged block size, also the single-request threshold
MAX_BLOCK_SIZE = 4000 * 1024 * 1024  # the largest block Azure stages (a write's part_size cap)
READ_CHUNK = 1024 * 1024
DELETE_BATCH = 256  # Azure's blob batch limit
COPY_WAIT = 60.0  # seconds a pending server-side copy is polled
PROBE_CONNECT, PROBE_READ = 4.0, 6.0  # a probe is one try within these bounds


#: Metadata Azure cannot hold as such travels base64url-encoded (compact JSON) in this entry.
ENCODED_METADATA = "bucketry_metadata_b64"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?\Z")


def encode_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """User metadata as Azure metadata: as it is when every name is a C# identifier (unique
    ignoring case) and every value printable ASCII without edge spaces; otherwise all of it
    in one :data:`ENCODED_METADATA` entry, so any Unicode name or value survives."""
    names = [k.lower() for k in metadata]
    native = len(set(names)) == len(names) and ENCODED_METADATA not in names
    native = native and all(
        _IDENTIFIER.match(k) and _HEADER_VALUE.match(v) for k, v in metadata.items()
    )
    if native:
        return dict(metadata)
    text = json.dumps(dict(metadata), ensure_ascii=False, separators=(",", ":"))
    return {ENCODED_METADATA: base64.urlsafe_b64encode(text.encode()).decode()}


def decode_metadata(stored: Mapping[str, str]) -> dict[str, str]:
    """The user metadata of stored Azure metadata (see :func:`encode_metadata`); an entry
    that does not decode is returned as it is."""
    raw = {k.lower(): v for k, v in stored.items()}.get(ENCODED_METADATA)
    if raw is None or len(stored) != 1:
        return dict(stored)
    try:
        value = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
    except (ValueError, binascii.Error):
        return dict(stored)
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return value
    return dict(stored)


def _account_url(endpoint_url: str, account_name: str | None) -> str:
    """The account URL for ``endpoint_url``: an emulator's bare ``http://host:port`` (IP or
    localhost) gets the account as its first path segment."""
    parts = urlsplit(endpoint_url)
    base = endpoint_url.rstrip("/")
    if account_name and parts.path.strip("/") == "":
        host = parts.hostname or ""
        try:
            ipaddress.ip_address(host)
            path_style = True
        except ValueError:
            path_style = host == "localhost"
        if path_style:
            return f"{base}/{account_name}"
    return base


def _failed(status: object, code: object) -> bool:
    """Whether an Azure answer is a failure on Azure's side: 5xx or throttling (429,
    ``ServerBusy``)."""
    return (isinstance(status, int) and (status >= 500 or status == 429)) or code in (
        "ServerBusy",
        "InternalError",
        "OperationTimedOut",
    )


def _sas_permissions(sas: str) -> str:
    """The ``sp`` (permissions) field of a SAS token, or "" when it has none."""
    return "".join(parse_qs(sas.lstrip("?")).get("sp", [""]))


def _connection_fields(conn: str) -> dict[str, str]:
    """``Key=Value;`` fields of a connection string (values may contain ``=``)."""
    fields: dict[str, str] = {}
    for part in conn.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields


class AzureBlobClient:
    """An :class:`ObjectClient` over one Azure container.

    Raises :class:`ProviderError` (``ValueError`` is not used) when the credentials are
    incomplete: a missing ``account_key``/``sas_token``, or no way to know the account URL.
    """

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        creds = config.credentials
        self._account_name: str | None = creds.get("account_name") or None
        self._account_key: str | None = creds.get("account_key") or None
        self._sas: str | None = (creds.get("sas_token") or "").lstrip("?") or None
        options: dict[str, Any] = {
            "connection_timeout": config.connect_timeout,
            "read_timeout": config.read_timeout,
            "retry_policy": LinearRetry(backoff=1, retry_total=1, random_jitter_range=0),
            "max_single_get_size": READ_CHUNK,
            "max_chunk_get_size": READ_CHUNK,
            "max_single_put_size": BLOCK_SIZE,
            "max_block_size": BLOCK_SIZE,
        }
        if config.allowed_networks is not None:  # every connection's peer is checked
            options["transport"] = RequestsTransport(
                session=guarded_session(config.allowed_networks),
                session_owner=True,
                connection_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
            )
        conn = creds.get("connection_string")
        if conn:
            fields = _connection_fields(conn)
            self._account_name = fields.get("accountname") or self._account_name
            self._account_key = fields.get("accountkey") or None
            self._sas = fields.get("sharedaccesssignature") or None
            try:
                self._container = ContainerClient.from_connection_string(
                    conn, config.bucket, **options
                )
            except (ValueError, AzureError):
                raise self._error("the connection string is not valid") from None
            return
        if config.endpoint_url:
            url = _account_url(config.endpoint_url, self._account_name)
        elif self._account_name:
            url = f"https://{self._account_name}.blob.core.windows.net"
        else:
            raise self._error("account_name (or an endpoint_url) is required")
        credential: Any
        if self._account_key:
            if not self._account_name:
                raise self._error("account_name is required with account_key")
            credential = {"account_name": self._account_name, "account_key": self._account_key}
        elif self._sas:
            credential = self._sas
        else:
            raise self._error("account_key, sas_token or connection_string is required")
        try:
            self._container = ContainerClient(url, config.bucket, credential=credential, **options)
        except (ValueError, AzureError):
            raise self._error("the account URL or credentials are not valid") from None

    # ---------------------------------------------------------------- errors

    def _error(self, reason: str, key: str | None = None) -> ProviderError:
        where = f"{self.config.bucket}/{key}" if key is not None else self.config.bucket
        return ProviderError(f"Azure Blob {where}: {reason}")

    def _raise(self, exc: Exception, key: str | None = None) -> NoReturn:
        """Re-raise a library exception as a provider error (secret-free, not chained)."""
        where = f"Azure Blob {self.config.bucket}" + (f"/{key}" if key is not None else "")
        code = getattr(exc, "error_code", None)
        status = getattr(exc, "status_code", None)
        if isinstance(exc, ResourceNotFoundError) or status == 404:
            raise ProviderNotFound(f"{where}: not found ({code or 404})") from None
        if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
            raise ProviderForbidden(f"{where}: access denied ({code or status})") from None
        if isinstance(exc, ResourceModifiedError) or status == 412:
            raise ProviderVersionChanged(f"{where}: the object changed") from None
        if isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
            raise ProviderTimeout(
                f"{where}: the endpoint did not answer in time ({type(exc).__name__})"
            ) from None
        if isinstance(exc, ServiceRequestError | ServiceResponseError):
            raise ProviderUnreachable(
                f"{where}: the endpoint did not answer ({type(exc).__name__})"
            ) from None
        if isinstance(exc, HttpResponseError) and _failed(status, code):
            raise ProviderFailed(f"{where}: the provider failed: HTTP {status} ({code})") from None
        if isinstance(exc, HttpResponseError):
            raise ProviderError(f"{where}: HTTP {status} ({code})") from None
        raise ProviderError(f"{where}: {type(exc).__name__}") from None

    # ---------------------------------------------------------------- reads

    def _info(self, props: BlobProperties) -> ObjectInfo:
        settings = props.content_settings
        return ObjectInfo(
            key=props.name,
            size=int(props.size or 0),
            etag=(props.etag or "").strip('"'),
            modified_at=props.last_modified,
            content_type=settings.content_type if settings else None,
            metadata=decode_metadata(props.metadata or {}),
        )

    def probe(self) -> ProbeResult:
        """Check the container by listing one blob, within the configured timeouts.

        AVAILABLE with READ, and WRITE when an account key is used or the SAS token grants
        write/create; NOT_FOUND (no container), FORBIDDEN (wrong key, expired SAS) or
        UNREACHABLE. Never raises for provider answers.
        """
        try:
            pages = self._container.list_blob_names(
                results_per_page=1,
                retry_total=0,
                connection_timeout=min(self.config.connect_timeout, PROBE_CONNECT),
                read_timeout=min(self.config.read_timeout, PROBE_READ),
            ).by_page()
            next(pages, None)
        except Exception as exc:  # every answer becomes a status
            try:
                self._raise(exc)
            except ProviderNotFound as err:
                return ProbeResult("NOT_FOUND", (), str(err))
            except ProviderForbidden as err:
                return ProbeResult("FORBIDDEN", (), str(err))
            except ProviderUnreachable as err:
                return ProbeResult("UNREACHABLE", (), str(err))
            except ProviderError as err:
                return ProbeResult("UNREACHABLE", (), str(err))
        actions = ["READ"]
        if self._account_key or set(_sas_permissions(self._sas or "")) & set("wc"):
            actions.append("WRITE")
        return ProbeResult("AVAILABLE", actions)

    def list_page(self, prefix: str, start_after: str | None, limit: int) -> list[ObjectInfo]:
        """Up to ``limit`` blobs under ``prefix`` sorting after ``start_after``, in name order.

        Skips to ``start_after`` on the service with ``startFrom`` (inclusive) and drops what
        does not sort after it here, so an endpoint that ignores ``startFrom`` still gives the
        right page. Raises the provider errors.
        """
        out: list[ObjectInfo] = []
        kwargs: dict[str, Any] = {"name_starts_with": prefix or None}
        if start_after is not None and start_after >= prefix:
            kwargs["start_from"] = start_after
        try:
            blobs = self._container.list_blobs(
                include=["metadata"], results_per_page=min(max(limit, 1) + 1, 5000), **kwargs
            )
            for props in blobs:
                if start_after is not None and props.name <= start_after:
                    continue
                out.append(self._info(props))
                if len(out) >= limit:
                    break
        except AzureError as exc:
            self._raise(exc)
        return out

    def head(self, key: str) -> ObjectInfo | None:
        """The blob's properties, or None if there is none. Raises the provider errors."""
        try:
            return self._info(self._container.get_blob_client(key).get_blob_properties())
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            self._raise(exc, key)

    def read(
        self, key: str, start: int = 0, end: int | None = None, *, etag: str | None = None
    ) -> Iterator[bytes]:
        """Bytes ``start..end`` (inclusive) in chunks of about 1 MiB, all of one version.

        The first request is made here (so a missing blob raises :class:`ProviderNotFound`
        and, with ``etag``, another version :class:`ProviderVersionChanged` at once); the SDK
        pins the following chunk requests to the version it found.
        """
        options: dict[str, Any] = {
            "offset": start,
            "length": None if end is None else end - start + 1,
            "max_concurrency": 1,
        }
        if etag is not None:
            options.update(
                etag=f'"{etag.strip(chr(34))}"', match_condition=MatchConditions.IfNotModified
            )
        try:
            downloader = self._container.get_blob_client(key).download_blob(**options)
        except AzureError as exc:
            self._raise(exc, key)
        return self._chunks(key, downloader.chunks())

    def _chunks(self, key: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield from chunks
        except AzureError as exc:
            self._raise(exc, key)

    # ---------------------------------------------------------------- writes

    def write(
        self,
        key: str,
        chunks: Iterator[bytes],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        size: int | None = None,
        part_size: int | None = None,
    ) -> ObjectInfo:
        """Store ``key`` from ``chunks``: one Put Blob up to 4 MiB (or ``part_size``, at most
        :data:`MAX_BLOCK_SIZE`), else staged blocks of that size committed at the end (one
        block in memory at a time; nothing visible before the commit). ``metadata`` goes
        through :func:`encode_metadata`. Raises the provider errors."""
        block = min(part_size or BLOCK_SIZE, MAX_BLOCK_SIZE)
        blob = self._container.get_blob_client(key)
        settings = ContentSettings(content_type=content_type)
        buffer = bytearray()
        block_ids: list[BlobBlock] = []
        try:
            for chunk in chunks:
                buffer += chunk
                while len(buffer) >= block and (block_ids or len(buffer) > block):
                    block_ids.append(self._stage(blob, len(block_ids), bytes(buffer[:block])))
                    del buffer[:block]
            if not block_ids:
                blob.upload_blob(
                    bytes(buffer),
                    overwrite=True,
                    content_settings=settings,
                    metadata=encode_metadata(metadata),
                    max_concurrency=1,
                )
            else:
                if buffer:
                    block_ids.append(self._stage(blob, len(block_ids), bytes(buffer)))
                blob.commit_block_list(
                    block_ids, content_settings=settings, metadata=encode_metadata(metadata)
                )
            return self._info(blob.get_blob_properties())
        except AzureError as exc:
            self._raise(exc, key)

    @staticmethod
    def _stage(blob: Any, index: int, data: bytes) -> BlobBlock:
        block_id = f"{index:08d}"  # same length for every block, as Azure requires
        blob.stage_block(block_id, data, length=len(data))
        return BlobBlock(block_id)

    def delete(self, keys: Sequence[str]) -> list[str]:
        """Delete those of ``keys`` that exist, 256 per blob batch request; returns the keys
        deleted. Raises the provider errors (a missing blob is not an error)."""
        deleted: list[str] = []
        for i in range(0, len(keys), DELETE_BATCH):
            group = list(keys[i : i + DELETE_BATCH])
            try:
                responses = list(self._container.delete_blobs(*group, raise_on_any_failure=False))
            except AzureError as exc:
                self._raise(exc)
            for key, response in zip(group, responses, strict=True):
                if 200 <= response.status_code < 300:
                    deleted.append(key)
                elif response.status_code in (401, 403):
                    raise ProviderForbidden(f"Azure Blob {self.config.bucket}/{key}: access denied")
                elif _failed(response.status_code, None):
                    raise ProviderFailed(
                        f"Azure Blob {self.config.bucket}/{key}: the provider failed: "
                        f"delete answered HTTP {response.status_code}"
                    )
                elif response.status_code != 404:
                    raise self._error(f"delete answered HTTP {response.status_code}", key)
        return deleted

    def copy(self, source_key: str, key: str) -> ObjectInfo:
        """Server-side Copy Blob within the container, waited for (at most a minute).
        Raises :class:`ProviderNotFound` when the source is missing, and the provider errors."""
        source = self._container.get_blob_client(source_key)
        target = self._container.get_blob_client(key)
        try:
            source.get_blob_properties()
        except AzureError as exc:
            self._raise(exc, source_key)
        try:
            target.start_copy_from_url(source.url)
            deadline = time.monotonic() + COPY_WAIT
            while True:
                props = target.get_blob_properties()
                status = props.copy.status if props.copy else None
                if status in (None, "success"):
                    return self._info(props)
                if status != "pending" or time.monotonic() > deadline:
                    raise self._error(f"copy from {source_key} ended {status}", key)
                time.sleep(0.2)
        except AzureError as exc:
            self._raise(exc, key)

    def presign(self, key: str, method: str, expires_in: int) -> str | None:
        """A SAS URL for ``GET`` (read) or ``PUT`` (create/write; the client must send
        ``x-ms-blob-type: BlockBlob``), or None without an account key. Raises ``ValueError``
        for another method."""
        if method not in ("GET", "PUT"):
            raise ValueError(f"cannot presign {method}")
        if not (self._account_key and self._account_name):
            return None
        permission = (
            BlobSasPermissions(read=True)
            if method == "GET"
            else BlobSasPermissions(create=True, write=True)
        )
        sas = generate_blob_sas(
            self._account_name,
            self.config.bucket,
            key,
            account_key=self._account_key,
            permission=permission,
            expiry=datetime.now(UTC) + timedelta(seconds=expires_in),
        )
        return f"{self._container.get_blob_client(key).url}?{sas}"

    def close(self) -> None:
        """Release the HTTP connections."""
        self._container.close()


def open_backend(state: AppState, bucket: Bucket) -> RemoteBackend:
    """The registry's entry: a remote backend over the bucket's Azure container; the client opens
    (credentials decrypted, addresses checked: :func:`.remote.config.checked_config`) on first
    use."""
    return RemoteBackend(state, bucket, lambda: AzureBlobClient(checked_config(state, bucket)))
