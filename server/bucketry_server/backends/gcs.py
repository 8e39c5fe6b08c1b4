"""Google Cloud Storage as an :class:`~.remote.client.ObjectClient` (google-cloud-storage).

Credentials (keys of the spec's ``ProviderCredentials``): ``service_account_json`` (the key
file's JSON text), or ``anonymous: "true"`` (an emulator, or a public bucket).
``endpoint_url`` replaces the API endpoint (``client_options={"api_endpoint": ...}``).

The etag of an object is its **generation** (decimal text): a rewritten object has another
one, and reads pinned to it fail with :class:`ProviderVersionChanged`; a write's condition is
``ifGenerationMatch`` (0: the object must not exist). GCS keeps a CRC32C of every object
(composites too): heads and listings carry it; a declared one goes with the upload for GCS to
check. Every call has a ``(connect, read)`` timeout from the config and a retry bounded by
the read timeout; a probe makes one try. Errors become provider errors
(:func:`.gcs_support.translate`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, NoReturn

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY
from google.oauth2 import service_account

from ..crc32c import to_wire
from ..models import Bucket
from ..state import AppState
from .gcs_support import generation_match, translate, upload_checks
from .remote.backend import RemoteBackend
from .remote.client import (
    ObjectInfo,
    PartInfo,
    ProbeResult,
    ProviderBadChecksum,
    ProviderConfig,
    ProviderError,
    ProviderForbidden,
    ProviderNotFound,
    ProviderVersionChanged,
    WriteCondition,
)
from .remote.config import checked_config
from .remote.pinning import guard_session, guarded_session
from .remote.streams import Watched

CHUNK_SIZE = 8 * 1024 * 1024  # resumable upload chunk (a multiple of 256 KiB)
GRANULE = 256 * 1024  # resumable chunks are multiples of this
#: Where a multipart upload keeps its part objects, under the bucket's prefix (GCS has no
#: multipart upload of its own): the client's :attr:`~GcsClient.reserved_prefix`.
PARTS_FOLDER = ".bucketry-uploads/"
COMPOSE_MAX = 32
OCTET = "application/octet-stream"
READ_CHUNK = 1024 * 1024
PROBE_CONNECT, PROBE_READ = 4.0, 6.0  # a probe is one try within these bounds
SCOPES = ["https://www.googleapis.com/auth/devstorage.read_write"]


class GcsClient:
    """An :class:`ObjectClient` over one GCS bucket. Raises :class:`ProviderError` when the
    credentials are incomplete or the service account JSON is not valid (no secret in it)."""

    #: compose takes objects of any size.
    min_part_size = 0
    reserved_prefix: str | None = PARTS_FOLDER
    holds_parts = False  # each part streams as it arrives (:meth:`write_part`)

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        creds = config.credentials
        credentials: Credentials
        project = "bucketry"
        raw = creds.get("service_account_json")
        if raw:
            try:
                info = json.loads(raw)
                credentials = service_account.Credentials.from_service_account_info(
                    info, scopes=SCOPES
                )
            except (ValueError, TypeError, KeyError, GoogleAuthError):
                raise self._error("service_account_json is not a valid key file") from None
            project = str(info.get("project_id") or project)
            self._can_sign = True
        elif str(creds.get("anonymous", "")).lower() == "true":
            credentials = AnonymousCredentials()
            self._can_sign = False
        else:
            raise self._error('service_account_json or anonymous: "true" is required')
        self._anonymous = not self._can_sign
        options = {"api_endpoint": config.endpoint_url} if config.endpoint_url else None
        http: AuthorizedSession | None = None
        if config.allowed_networks is not None:  # every connection's peer is checked,
            token = GoogleAuthRequest(guarded_session(config.allowed_networks))  # token_uri too
            http = AuthorizedSession(credentials, auth_request=token)
            guard_session(http, config.allowed_networks)
        self._client = storage.Client(
            project=project, credentials=credentials, client_options=options, _http=http
        )
        self._bucket = self._client.bucket(config.bucket)
        self._timeout = (config.connect_timeout, config.read_timeout)
        self._retry: Retry = DEFAULT_RETRY.with_timeout(config.read_timeout)

    # ---------------------------------------------------------------- errors

    def _error(self, reason: str, key: str | None = None) -> ProviderError:
        where = f"{self.config.bucket}/{key}" if key is not None else self.config.bucket
        return ProviderError(f"GCS {where}: {reason}")

    def _raise(
        self, exc: BaseException, key: str | None = None, *, conditional: bool = False
    ) -> NoReturn:
        """Re-raise a library exception as a provider error (secret-free, not chained;
        :func:`.gcs_errors.translate`)."""
        where = f"GCS {self.config.bucket}" + (f"/{key}" if key is not None else "")
        raise translate(exc, where, conditional=conditional) from None

    # ---------------------------------------------------------------- reads

    @staticmethod
    def _info(blob: Any) -> ObjectInfo:
        return ObjectInfo(
            key=blob.name,
            size=int(blob.size or 0),
            etag=str(blob.generation),
            modified_at=blob.updated,
            content_type=blob.content_type,
            metadata=dict(blob.metadata or {}),
            crc32c=blob.crc32c or None,
        )

    def probe(self) -> ProbeResult:
        """List one object (one try, bounded), then ask which permissions the credentials
        hold (``testIamPermissions``). AVAILABLE with READ, and WRITE if
        ``storage.objects.create`` is held; an endpoint without that API (404 for a bucket it
        just listed: an emulator, which has no access control) gives WRITE to anonymous access
        and, on an ``endpoint_url`` (never Google's own), to a service account. NOT_FOUND,
        FORBIDDEN (also a rejected key) or UNREACHABLE. Never raises for provider answers."""
        timeout = (
            min(self.config.connect_timeout, PROBE_CONNECT),
            min(self.config.read_timeout, PROBE_READ),
        )
        try:
            pages = self._client.list_blobs(
                self._bucket, max_results=1, timeout=timeout, retry=None
            ).pages
            next(iter(pages), None)
        except Exception as exc:  # every answer becomes a status
            return self._probe_failure(exc)
        actions = ["READ"]
        try:
            held = self._bucket.test_iam_permissions(
                ["storage.objects.create"], timeout=timeout, retry=None
            )
            if "storage.objects.create" in held:
                actions.append("WRITE")
        except gexc.NotFound:  # the bucket was just listed: the endpoint has no IAM API
            if self._anonymous or self.config.endpoint_url:  # (an emulator): no access control
                actions.append("WRITE")
        except Exception:
            pass  # READ only: WRITE is not proven
        return ProbeResult("AVAILABLE", actions)

    def _probe_failure(self, exc: Exception) -> ProbeResult:
        try:
            self._raise(exc)
        except ProviderNotFound as err:
            return ProbeResult("NOT_FOUND", (), str(err))
        except ProviderForbidden as err:
            return ProbeResult("FORBIDDEN", (), str(err))
        except ProviderError as err:
            return ProbeResult("UNREACHABLE", (), str(err))

    def list_page(self, prefix: str, start_after: str | None, limit: int) -> list[ObjectInfo]:
        """Up to ``limit`` objects under ``prefix`` sorting after ``start_after``, in name
        order: ``startOffset`` (inclusive) on the service, the equal key dropped here; pages
        are fetched until ``limit`` objects are found, so fewer means the end. The part
        objects of multipart uploads (under :data:`PARTS_FOLDER`) are left out (so out of
        usage, COPY and EXPORT too). Raises the provider errors."""
        out: list[ObjectInfo] = []
        try:
            blobs = self._client.list_blobs(
                self._bucket,
                prefix=prefix or None,
                start_offset=start_after or None,
                page_size=min(limit + 1, 1000),
                timeout=self._timeout,
                retry=self._retry,
            )
            hidden = f"{self.config.prefix}{PARTS_FOLDER}"
            for blob in blobs:
                if start_after is not None and blob.name <= start_after:
                    continue
                if blob.name.startswith(hidden):  # multipart temporaries: never listed
                    continue
                out.append(self._info(blob))
                if len(out) >= limit:
                    break
        except Exception as exc:
            self._raise(exc)
        return out

    def head(self, key: str) -> ObjectInfo | None:
        """The object's metadata, or None if there is none. Raises the provider errors."""
        try:
            blob = self._bucket.get_blob(key, timeout=self._timeout, retry=self._retry)
        except Exception as exc:
            self._raise(exc, key)
        return None if blob is None else self._info(blob)

    def read(
        self, key: str, start: int = 0, end: int | None = None, *, etag: str | None = None
    ) -> Iterator[bytes]:
        """Bytes ``start..end`` (inclusive) in 1 MiB ranged requests, all of one generation.

        The object is looked up here (:class:`ProviderNotFound` at once; with ``etag``
        another generation raises :class:`ProviderVersionChanged` at once); every chunk
        request asks for that generation with ``ifGenerationMatch`` (a generation that is gone
        also raises :class:`ProviderVersionChanged`) and its answer's generation is checked.
        """
        info = self.head(key)
        if info is None:
            raise ProviderNotFound(f"GCS {self.config.bucket}/{key}: not found")
        if etag is not None and etag != info.etag:
            raise ProviderVersionChanged(f"GCS {self.config.bucket}/{key}: the object changed")
        last = info.size - 1 if end is None else min(end, info.size - 1)
        return self._chunks(key, int(info.etag), start, last)

    def _chunks(self, key: str, generation: int, start: int, last: int) -> Iterator[bytes]:
        blob = self._bucket.blob(key, generation=generation)  # reads of that generation only
        position = start
        while position <= last:
            stop = min(position + READ_CHUNK - 1, last)
            try:
                data = blob.download_as_bytes(
                    start=position,
                    end=stop,
                    if_generation_match=generation,
                    checksum=None,
                    timeout=self._timeout,
                    retry=self._retry,
                )
            except gexc.NotFound:  # that generation is gone: replaced or deleted
                raise ProviderVersionChanged(
                    f"GCS {self.config.bucket}/{key}: the object changed"
                ) from None
            except Exception as exc:
                self._raise(exc, key)
            if blob.generation is not None and int(blob.generation) != generation:
                raise ProviderVersionChanged(f"GCS {self.config.bucket}/{key}: the object changed")
            if not data:
                break
            yield data
            position += len(data)

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
        """Store ``key`` from ``chunks``: one request up to 8 MiB (or ``part_size``, rounded
        up to 256 KiB), else a resumable upload in chunks of that size (one chunk in memory;
        the object appears when the last one is in). A declared ``crc32c`` goes in the
        object's metadata (GCS refuses a body that does not match: no client-side pass
        then); ``condition`` becomes ``ifGenerationMatch``. Raises the provider errors."""
        chunk_size = -(-(part_size or CHUNK_SIZE) // GRANULE) * GRANULE
        blob = self._bucket.blob(key)
        blob.metadata = dict(metadata) or None
        checks = upload_checks(blob, crc32c, condition)
        watched = Watched(chunks)
        with watched.reraise():  # a refused body raises its own error, not the library's
            return self._write(key, blob, content_type, iter(watched), chunk_size, checks)

    def _write(
        self,
        key: str,
        blob: Any,
        content_type: str,
        iterator: Iterator[bytes],
        chunk_size: int,
        checks: dict[str, Any],
    ) -> ObjectInfo:
        buffer = bytearray()
        try:
            for chunk in iterator:
                buffer += chunk
                if len(buffer) > chunk_size:
                    self._resumable(blob, content_type, bytes(buffer), iterator, chunk_size, checks)
                    break
            else:
                blob.upload_from_string(
                    bytes(buffer),
                    content_type=content_type,
                    timeout=self._timeout,
                    retry=self._retry,
                    **checks,
                )
            blob.reload(timeout=self._timeout, retry=self._retry)
        except ProviderError:
            raise
        except Exception as exc:
            self._raise(exc, key, conditional="if_generation_match" in checks)
        return self._info(blob)

    def _resumable(
        self,
        blob: Any,
        content_type: str,
        head: bytes,
        rest: Iterator[bytes],
        chunk_size: int,
        checks: dict[str, Any],
    ) -> None:
        writer = blob.open(
            "wb",
            chunk_size=chunk_size,
            ignore_flush=True,
            content_type=content_type,
            timeout=self._timeout,
            retry=self._retry,
            **checks,
        )
        with writer:
            writer.write(head)
            for chunk in rest:
                writer.write(chunk)

    # ---------------------------------------------------------------- multipart

    def _parts_prefix(self, upload: str) -> str:
        if not (upload.isalnum() and len(upload) == 32):
            raise self._error(f"upload {upload!r} is not of this client")
        return f"{self.config.prefix}{PARTS_FOLDER}{upload}/"

    def start_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        """Nothing to ask GCS: each part becomes a temporary object under
        ``<prefix>.bucketry-uploads/<handle>/``, composed at completion."""
        return secrets.token_hex(16)

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
        """The part as a temporary object of its own (a part sent again is another object;
        a declared ``crc32c`` checked by GCS); the token is its name and generation."""
        name = f"{self._parts_prefix(upload)}{number:05d}-{secrets.token_hex(4)}"
        info = self.write(name, chunks, content_type=OCTET, metadata={}, size=size, crc32c=crc32c)
        return PartInfo(number, info.size, f"{name}#{info.etag}")

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
        """Compose the part objects (pinned to their generations) into ``key``, 32 at a time
        through intermediate objects when there are more (the last under ``condition``), then
        delete the temporary ones. With ``crc32c``, first into a staging object of the upload:
        a composite CRC32C other than it raises :class:`ProviderBadChecksum`, key untouched."""
        folder = self._parts_prefix(upload)
        sources: list[Any] = []
        for part in parts:
            name, _, generation = part.token.rpartition("#")
            if not (name.startswith(f"{folder}{part.number:05d}-") and generation.isdigit()):
                raise self._error(f"part {part.number} is not of this upload", key)
            sources.append(self._bucket.blob(name, generation=int(generation)))
        target = self._bucket.blob(key)
        target.content_type = content_type
        target.metadata = dict(metadata) or None
        try:
            level = 0
            while len(sources) > COMPOSE_MAX:
                grouped = []
                for i in range(0, len(sources), COMPOSE_MAX):
                    step = self._bucket.blob(f"{folder}compose-{level}-{i:05d}")
                    self._compose(step, sources[i : i + COMPOSE_MAX])
                    grouped.append(step)
                sources, level = grouped, level + 1
            if crc32c is not None:  # checked before anything replaces the key's object
                staged = self._bucket.blob(f"{folder}whole")
                self._compose(staged, sources)  # the answer carries the composite's CRC32C
                if staged.crc32c and staged.crc32c != to_wire(crc32c):
                    raise ProviderBadChecksum(f"GCS {self.config.bucket}/{key}: the CRC32C differs")
                sources = [staged]
            self._compose(target, sources, condition)
            target.reload(timeout=self._timeout, retry=self._retry)
        except ProviderError:
            raise
        except Exception as exc:
            self._raise(exc, key, conditional=condition is not None)
        self.abort_multipart(key, upload)
        return self._info(target)

    def _compose(self, target: Any, sources: list[Any], when: WriteCondition | None = None) -> None:
        checks = {} if when is None else {"if_generation_match": generation_match(when)}
        target.compose(
            sources,
            if_source_generation_match=[b.generation for b in sources],
            timeout=self._timeout,
            retry=self._retry,
            **checks,
        )

    def abort_multipart(self, key: str, upload: str) -> None:
        """Delete the upload's temporary objects."""
        folder = self._parts_prefix(upload)
        try:
            names = [
                b.name
                for b in self._client.list_blobs(
                    self._bucket, prefix=folder, timeout=self._timeout, retry=self._retry
                )
            ]
        except Exception as exc:
            self._raise(exc, key)
        self.delete(names)

    def delete(self, keys: Sequence[str]) -> list[str]:
        """Delete those of ``keys`` that exist (one request each); returns the keys deleted.
        Raises the provider errors (a missing object is not an error)."""
        deleted: list[str] = []
        for key in keys:
            try:
                self._bucket.delete_blob(key, timeout=self._timeout, retry=self._retry)
            except gexc.NotFound:
                continue
            except Exception as exc:
                self._raise(exc, key)
            deleted.append(key)
        return deleted

    def copy(self, source_key: str, key: str) -> ObjectInfo:
        """Server-side rewrite within the bucket (repeated until done, for large objects).
        Raises :class:`ProviderNotFound` when the source is missing, and the provider errors."""
        source = self._bucket.blob(source_key)
        target = self._bucket.blob(key)
        try:
            token, _, _ = target.rewrite(source, timeout=self._timeout, retry=self._retry)
            while token is not None:
                token, _, _ = target.rewrite(
                    source, token=token, timeout=self._timeout, retry=self._retry
                )
            target.reload(timeout=self._timeout, retry=self._retry)
        except Exception as exc:
            self._raise(exc, source_key if isinstance(exc, gexc.NotFound) else key)
        return self._info(target)

    def presign(self, key: str, method: str, expires_in: int) -> str | None:
        """A V4 signed URL for ``GET`` or ``PUT`` (signed locally with the service account's
        key; on the ``endpoint_url`` when one is set), or None for anonymous credentials.
        Raises ``ValueError`` for another method."""
        if method not in ("GET", "PUT"):
            raise ValueError(f"cannot presign {method}")
        if not self._can_sign:
            return None
        url: str = self._bucket.blob(key).generate_signed_url(
            version="v4",
            expiration=timedelta(seconds=expires_in),
            method=method,
            api_access_endpoint=self.config.endpoint_url or None,
        )
        return url

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()


def open_backend(state: AppState, bucket: Bucket) -> RemoteBackend:
    """The registry's entry: a remote backend over the bucket's GCS bucket; the client opens
    (credentials decrypted, addresses checked: :func:`.remote.config.checked_config`) on first
    use."""
    return RemoteBackend(state, bucket, lambda: GcsClient(checked_config(state, bucket)))
