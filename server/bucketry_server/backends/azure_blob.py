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

import itertools
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceNotFoundError,
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
from .azure_errors import condition_args, failed, translate
from .azure_support import (
    BLOCK_SIZE,
    Counted,
    account_url,
    block_ids,
    connection_fields,
    decode_metadata,
    encode_metadata,
    sas_permissions,
    stage_all,
)
from .remote.backend import RemoteBackend
from .remote.client import (
    ObjectInfo,
    PartInfo,
    ProbeResult,
    ProviderConfig,
    ProviderError,
    ProviderFailed,
    ProviderForbidden,
    ProviderNotFound,
    ProviderUnreachable,
    WriteCondition,
)
from .remote.config import checked_config
from .remote.pinning import guarded_session

MAX_BLOCK_SIZE = 4000 * 1024 * 1024  # the largest block Azure stages (a write's part_size cap)
READ_CHUNK = 1024 * 1024
DELETE_BATCH = 256  # Azure's blob batch limit
COPY_WAIT = 60.0  # seconds a pending server-side copy is polled
PROBE_CONNECT, PROBE_READ = 4.0, 6.0  # a probe is one try within these bounds


#: An upload handle: 32 hex characters (128 bits). A block tag (handle, part number, 3 random
#: characters; a plain write's is random) is 40 characters: every block id of a blob has the
#: same length, as Azure requires.
HANDLE_LENGTH = 32
TAG_LENGTH = HANDLE_LENGTH + 8


class AzureBlobClient:
    """An :class:`ObjectClient` over one Azure container.

    Raises :class:`ProviderError` (``ValueError`` is not used) when the credentials are
    incomplete: a missing ``account_key``/``sas_token``, or no way to know the account URL.
    """

    #: blocks of any size.
    min_part_size = 0
    reserved_prefix: str | None = None
    holds_parts = False  # each part streams as it arrives (:meth:`write_part`)

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
            fields = connection_fields(conn)
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
            url = account_url(config.endpoint_url, self._account_name)
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

    def _raise(
        self, exc: Exception, key: str | None = None, *, conditional: bool = False
    ) -> NoReturn:
        """Re-raise a library exception as a provider error (secret-free, not chained;
        :func:`.azure_errors.translate`)."""
        where = f"Azure Blob {self.config.bucket}" + (f"/{key}" if key is not None else "")
        raise translate(exc, where, conditional=conditional) from None

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
        if self._account_key or set(sas_permissions(self._sas or "")) & set("wc"):
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
        crc32c: int | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Store ``key`` from ``chunks``: one Put Blob up to 4 MiB (or ``part_size``, at most
        :data:`MAX_BLOCK_SIZE`), else staged blocks of that size committed at the end (one
        block in memory at a time; nothing visible before the commit). ``metadata`` goes
        through :func:`encode_metadata`; ``condition`` with the Put Blob or the commit.
        ``crc32c`` is not handed over: Azure keeps no CRC32C (its transactional CRC64 is
        another polynomial); the server's own check stands. Raises the provider errors."""
        block = min(part_size or BLOCK_SIZE, MAX_BLOCK_SIZE)
        blob = self._container.get_blob_client(key)
        settings = ContentSettings(content_type=content_type)
        checks = condition_args(condition)
        it = iter(chunks)
        head = bytearray()
        try:
            for chunk in it:
                head += chunk
                if len(head) > block:
                    break
            else:
                blob.upload_blob(
                    bytes(head),
                    overwrite=True,
                    content_settings=settings,
                    metadata=encode_metadata(metadata),
                    max_concurrency=1,
                    **checks,
                )
                return self._info(blob.get_blob_properties())
            tag = secrets.token_hex(TAG_LENGTH // 2)
            count = stage_all(blob, tag, itertools.chain([bytes(head)], it), block)
            del head
            blob.commit_block_list(
                block_ids(tag, count),
                content_settings=settings,
                metadata=encode_metadata(metadata),
                **checks,
            )
            return self._info(blob.get_blob_properties())
        except AzureError as exc:
            self._raise(exc, key, conditional=condition is not None)

    # ---------------------------------------------------------------- multipart

    def start_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        """Nothing to ask Azure: the handle is a fresh 128-bit id naming the upload's staged
        blocks. A plain write to ``key`` while the upload is in progress commits the blob and
        so drops the upload's staged blocks (Azure semantics): its completion then fails
        (:meth:`complete_multipart`)."""
        return secrets.token_hex(HANDLE_LENGTH // 2)

    def write_part(
        self,
        key: str,
        upload: str,
        number: int,
        chunks: Iterator[bytes],
        *,
        size: int | None = None,
        crc32c: int | None = None,
    ) -> PartInfo:
        """Stage the part as blocks of :data:`BLOCK_SIZE` under ids of their own (a part sent
        again gets other ids; the token, ``<tag>:<blocks>``, names the ones to commit)."""
        if not (upload.isalnum() and len(upload) == HANDLE_LENGTH and 1 <= number <= 99999):
            raise self._error("not an upload of this client", key)
        tag = f"{upload}{number:05d}{secrets.token_hex(2)[:3]}"
        blob = self._container.get_blob_client(key)
        counted = Counted(chunks)
        try:
            count = stage_all(blob, tag, counted)
        except AzureError as exc:
            self._raise(exc, key)
        return PartInfo(number, counted.size, f"{tag}:{count}")

    def complete_multipart(
        self,
        key: str,
        upload: str,
        parts: Sequence[PartInfo],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        crc32c: int | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Commit the blocks of ``parts`` in order (Azure drops the other staged blocks;
        ``condition`` goes with the commit; no CRC32C, as for :meth:`write`).
        Raises :class:`ProviderError` saying so when the blocks are gone (a plain write to
        ``key`` since the upload started committed the blob and dropped them)."""
        blocks: list[BlobBlock] = []
        for part in parts:
            tag, _, count = part.token.partition(":")
            if not (
                len(tag) == TAG_LENGTH
                and tag.startswith(f"{upload}{part.number:05d}")
                and count.isdigit()
            ):
                raise self._error(f"part {part.number} is not of this upload", key)
            blocks += block_ids(tag, int(count))
        blob = self._container.get_blob_client(key)
        try:
            blob.commit_block_list(
                blocks,
                content_settings=ContentSettings(content_type=content_type),
                metadata=encode_metadata(metadata),
                **condition_args(condition),
            )
            return self._info(blob.get_blob_properties())
        except HttpResponseError as exc:
            if getattr(exc, "error_code", None) == "InvalidBlockList":
                raise ProviderError(
                    f"Azure Blob {self.config.bucket}/{key}: the upload's staged blocks are gone "
                    "(a plain write to the key since the upload started drops them in Azure); "
                    "start the upload again"
                ) from None
            self._raise(exc, key, conditional=condition is not None)
        except AzureError as exc:
            self._raise(exc, key, conditional=condition is not None)

    def abort_multipart(self, key: str, upload: str) -> None:
        """Nothing to do: Azure has no call to drop staged blocks; it drops them at the
        blob's next commit or after a week."""

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
                elif failed(response.status_code, None):
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
