"""The ``Bucket`` proxy (its repo, ``client.buckets``, is in :mod:`.buckets_repo`)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self, Unpack

from bucketry_api import ApiClient
from bucketry_api.models import (
    BlobDeleteMany,
    BucketUpdate,
    PublicAccess,
    SignedUrlItem,
    SignedUrlRequest,
    TmpCredentialsRequest,
)
from bucketry_api.models import Bucket as BucketModel

from ..pagination import Pager
from ..progress import ProgressCallback
from ..transfer.deletes import delete_keys
from ..transfer.filters import IGNORE_FILE
from ..transfer.options import TransferOptions, TransferSettings, resolve_options
from ..types import Session, arg, model_dict, opt
from ..uri import is_bucket_uri, parse_uri
from ._base import Entity, paged
from .blobs import Blob, BlobInfo
from .imported import ImportedOps
from .uploads import UploadsRepo
from .usage import BucketUsage

if TYPE_CHECKING:
    from ..sync import SyncPlan
    from ..transfer import TransferReport

StrPath = str | PathLike[str]


class Bucket(ImportedOps, Entity[BucketModel]):
    """A bucket. Built lazily from a name or id (``client.bucket("x")``) or from a model;
    attribute access fetches the model on first use. ``.model`` is the generated model."""

    #: provider credentials are write-only; should a server ever echo them, ``to_dict`` drops them
    _secret_fields = ("credentials",)

    def __init__(self, client: Session, ref: str, model: BucketModel | None = None) -> None:
        super().__init__(client, model)
        self.ref = ref

    def __repr__(self) -> str:
        return f"Bucket({self.ref!r})"

    # -- model access --------------------------------------------------------------------
    @property
    def api(self) -> ApiClient:
        """The generated layer (``client.api``)."""
        return self._session.api

    @property
    def client(self) -> Session:
        """The client this handle calls through."""
        return self._session

    @property
    def _client(self) -> Session:
        return self._session

    def _fetch(self) -> BucketModel:
        return self._session.call(self._session.api.buckets.get, self.ref)

    def refresh(self) -> Self:
        """Re-read the bucket (raises ``NotFoundError`` naming it); the handle then refers
        to it by id."""
        super().refresh()
        self.ref = self.model.id
        return self

    @property
    def id(self) -> str:
        """The bucket's id."""
        return self.model.id

    @property
    def name(self) -> str:
        """The bucket's name."""
        return self.model.name

    @property
    def owner(self) -> str:
        """The owning user."""
        return self.model.owner

    @property
    def org(self) -> str | None:
        """The owning organization, if any."""
        return opt(self.model.org)

    @property
    def description(self) -> str | None:
        """The description, if any."""
        return opt(self.model.description)

    @property
    def provider(self) -> str:
        """Where the data lives (``managed`` for the server's own store)."""
        return self.model.provider

    @property
    def public(self) -> bool:
        """Whether anonymous reads are allowed."""
        return self.model.public

    @property
    def created_at(self) -> datetime:
        """When the bucket was created."""
        return self.model.created_at

    # -- settings ------------------------------------------------------------------------
    def update(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        if_match: str | None = None,
    ) -> Bucket:
        """Change the name and/or description (only what you pass changes)."""
        body = BucketUpdate(name=arg(name), description=arg(description))
        self._model = self._client.call(
            self._client.api.buckets.update, self.ref, body=body, if_match=arg(if_match)
        )
        self.ref = self._model.id
        return self

    def delete(self, *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """Delete the bucket and return the server's ``BucketDeleteResult`` as a dict
        (``deleted``, ``dry_run``, ``blobs``, ``bytes``).

        ``force=True`` also deletes its blobs (a non-empty bucket without it raises
        ``ConflictError``, code ``bucket_not_empty``). The call returns at once whatever the
        number of blobs: the bucket is gone for everyone from then on (another process of a
        multi-process server may still answer reads it authorized a moment before, for 2 s at
        most) and its name can be reused for a new, empty bucket, while the server purges the
        old blobs and frees their space in the background. An imported bucket is only unregistered: the provider's
        objects stay. ``dry_run=True`` only reports what would go. Raises ``NotFoundError``
        for a bucket you cannot see and ``PermissionDeniedError`` unless you may administer it.
        """
        result = self._client.call(
            self._client.api.buckets.delete, self.ref, force=force, dry_run=dry_run
        )
        return model_dict(result)

    def set_public(self, public: bool) -> Bucket:
        """Allow (``True``) or stop (``False``) anonymous reads; returns this bucket,
        refreshed. Raises ``PermissionDeniedError`` unless you may administer the bucket."""
        self._model = self._client.call(
            self._client.api.buckets.set_public, self.ref, body=PublicAccess(public=public)
        )
        return self

    def usage(self) -> BucketUsage:
        """Bytes and objects, computed by the server (imported buckets: by listing the
        provider, cached with its ``computed_at``), as a :class:`~bucketry.BucketUsage`
        (``usage["bytes"]`` still works). Raises ``NotFoundError`` naming the bucket."""
        return BucketUsage.from_model(self._client.call(self._client.api.buckets.usage, self.ref))

    def tmp_credentials(
        self, mode: Literal["READ", "READ_WRITE"] = "READ", expires_in: int = 3600
    ) -> dict[str, Any]:
        """A bucket-scoped, expiring token (use it as ``Client(token=...)``)."""
        body = TmpCredentialsRequest(mode=mode, expires_in=expires_in)
        return model_dict(
            self._client.call(self._client.api.buckets.tmp_credentials, self.ref, body=body)
        )

    @property
    def uploads(self) -> UploadsRepo:
        """Open multipart uploads of this bucket (``create``, ``get``, ``list``)."""
        return UploadsRepo(self)

    # -- blobs ---------------------------------------------------------------------------
    def _key_of(self, path: str) -> str:
        """``path`` as a key of this bucket: a plain key, or a ``bkt://BUCKET/KEY`` URI
        naming this bucket (by the name or id it was opened with, else its name or id, which
        fetches it). Raises ``ValueError`` for a URI of another bucket."""
        if not is_bucket_uri(path):
            return path
        uri = parse_uri(path)
        if uri.bucket != self.ref and uri.bucket not in (self.name, self.id):
            raise ValueError(f"{path} is not in bucket {self.ref!r}")
        return uri.key

    def blob(self, key: str) -> Blob:
        """A local handle on one blob (``key`` or a ``bkt://`` URI of this bucket); no
        request is made for a plain key."""
        return Blob(self, self._key_of(key))

    def list(
        self,
        prefix: str = "",
        *,
        recursive: bool = True,
        delimiter: str | None = None,
        glob: str | None = None,
        order_by: Literal["name", "size", "created_at"] | None = None,
        order: Literal["asc", "desc"] | None = None,
        page_size: int = 1000,
        first: int | None = None,
        skip: int = 0,
        prefetch: bool = False,
    ) -> Pager[BlobInfo]:
        """Lazily list blobs under ``prefix`` (a key prefix or a ``bkt://`` URI of this
        bucket). With ``recursive=False`` folders come back as ``BlobInfo`` entries with
        ``is_dir=True`` carrying their total ``size``, ``count`` and latest time (not with a
        ``glob``), ordered among the blobs by ``order_by``. ``prefetch=True`` fetches the next
        page while you process the current one (long scans)."""

        def sort_key(b: BlobInfo) -> tuple[Any, str]:
            if order_by == "size":
                return (b.size, b.key)
            if order_by == "created_at":
                return (b.created_at.timestamp() if b.created_at else 0.0, b.key)
            return ("", b.key)

        def items(page: Any) -> builtins.list[BlobInfo]:
            found = [BlobInfo.from_model(m) for m in page.results]
            entries = opt(page.folders) or []
            if [f.prefix for f in entries] == list(page.prefixes):
                found += [BlobInfo.folder(f.prefix, f) for f in entries]
            else:
                found += [BlobInfo.folder(p) for p in page.prefixes]
            if page.prefixes:  # folders interleave with blobs in the listing's order
                found.sort(key=sort_key, reverse=order == "desc")
            return found

        return paged(
            self._session,
            self._session.api.blobs.list,
            items,
            self.ref,
            prefix=self._key_of(prefix),
            recursive=recursive,
            delimiter=arg(delimiter),
            glob=arg(glob),
            order_by=arg(order_by),
            order=arg(order),
            page_size=page_size,
            first=first,
            skip=skip,
            prefetch=prefetch,
        )

    def listdir(
        self,
        prefix: str = "",
        *,
        order_by: Literal["name", "size", "time", "created_at"] = "name",
        descending: bool = False,
        max_results: int | None = None,
    ) -> builtins.list[BlobInfo]:
        """One level below ``prefix`` (a folder: ``""``, ``"runs/"``, or a ``bkt://`` URI):
        blobs and folders, the folders with their total ``size``, blob ``count`` and latest
        time, ordered by ``name``, ``size`` or ``time`` (creation; ``created_at`` is the
        same), ``descending`` or not, at most ``max_results`` entries. Raises
        ``BadRequestError`` when the server cannot order that listing (more blobs below the
        prefix than it sorts by size, time or descending name: ``sort_too_large``)."""
        key = self._key_of(prefix)
        if key and not key.endswith("/"):
            key += "/"
        column: Literal["name", "size", "created_at"] = (
            "created_at" if order_by == "time" else order_by
        )
        return builtins.list(
            self.list(
                key,
                recursive=False,
                order_by=column,
                order="desc" if descending else "asc",
                page_size=min(max_results or 1000, 1000),
                first=max_results,
            )
        )

    def glob(self, pattern: str, *, page_size: int = 1000) -> Pager[BlobInfo]:
        """Blobs whose whole key matches ``pattern`` (``*``, ``?``; ``**`` crosses ``/``)."""
        return self.list(glob=pattern, page_size=page_size)

    def exists(self, key: str) -> bool:
        """Whether the blob ``key`` exists (``Blob.exists``: one HEAD)."""
        return self.blob(key).exists()

    def rm(
        self, prefix_or_keys: str | Sequence[str], *, recursive: bool = False, dry_run: bool = False
    ) -> int:
        """Delete one key, a list of keys, or (``recursive=True``) everything under a prefix.
        Returns how many blobs were (or, in a dry run, would be) deleted."""
        api = self._client.api
        if isinstance(prefix_or_keys, str):
            prefix_or_keys = self._key_of(prefix_or_keys)
        else:
            prefix_or_keys = [self._key_of(k) for k in prefix_or_keys]
        if isinstance(prefix_or_keys, str) and not recursive:
            if dry_run:
                return 1 if self.blob(prefix_or_keys).exists() else 0
            self.blob(prefix_or_keys).delete()
            return 1
        if isinstance(prefix_or_keys, str):
            if not prefix_or_keys:
                raise ValueError(
                    "refusing to delete a whole bucket by prefix; use bucket.delete(force=True)"
                )
            body = BlobDeleteMany(prefix=prefix_or_keys, dry_run=dry_run)
            return self._client.call(api.blobs.delete_many, self.ref, body=body).deleted
        done = delete_keys(
            self._session, self.ref, list(prefix_or_keys), dry_run=dry_run, strict=True
        )
        return sum(1 for d in done if d.deleted)

    def signed_urls(
        self, keys: Iterable[str], *, method: Literal["GET", "PUT"] = "GET", expires_in: int = 3600
    ) -> builtins.list[str]:
        """Absolute signed URLs for many keys in one request, in order."""
        items = [SignedUrlItem(key=k, method=method, expires_in=expires_in) for k in keys]
        result = self._client.call(
            self._client.api.blobs.sign, self.ref, body=SignedUrlRequest(items=items)
        )
        return [self._absolute(s.url) for s in result.results]

    def _absolute(self, url: str) -> str:
        return url if "://" in url else self._client.url + url

    # -- transfers and sync (bucketry.transfer / bucketry.sync) ---------------------------
    def upload(
        self,
        src: StrPath,
        dst: str = "",
        *,
        update: bool = False,
        continue_: bool = False,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        ignore_file: str | None = IGNORE_FILE,
        progress: bool | ProgressCallback | None = None,
        options: TransferOptions | None = None,
        **settings: Unpack[TransferSettings],
    ) -> TransferReport:
        """Upload a file to the key ``dst`` (``""`` or ending in ``/``: ``dst`` + the file's
        name), or a folder's files to ``dst`` + their relative paths.

        ``update``: only files newer than their blob; ``continue_``: skip files whose blob has
        the same size; ``include``/``exclude``: globs over relative paths; ``ignore_file``: a
        gitignore-like file at the folder's root (``None``: none). ``options`` and/or keywords:
        the fields of :class:`~bucketry.TransferOptions` (``part_size``,
        ``multipart_threshold``, ``max_concurrency``, ``file_concurrency``, ``checksum``,
        ``content_type``, ``metadata``, ``if_none_match``, ``batch``, ``batch_threshold``,
        ``batch_files``, ``batch_bytes``); an unknown keyword raises ``TypeError``. A single
        file's failure is raised; a folder returns a report per file."""
        from ..transfer import upload

        return upload(
            self,
            Path(src),
            self._key_of(dst),
            update=update,
            continue_=continue_,
            include=include,
            exclude=exclude,
            ignore_file=ignore_file,
            progress=progress,
            options=resolve_options(options, settings),
        )

    def download(
        self,
        src: str,
        dst: StrPath,
        *,
        update: bool = False,
        continue_: bool = False,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        decompress: bool = False,
        progress: bool | ProgressCallback | None = None,
        options: TransferOptions | None = None,
        **settings: Unpack[TransferSettings],
    ) -> TransferReport:
        """Download a key to a file (into it when ``dst`` is a folder), or a prefix (ending
        in ``/``) to a folder. ``src`` may be a ``bkt://`` URI of this bucket. ``update``:
        only blobs newer than the local file; ``continue_``: skip files of the same size and
        resume partial ones. ``options`` and/or keywords: :class:`~bucketry.TransferOptions`
        fields (``file_concurrency``, ``checksum``...; an unknown one raises ``TypeError``).

        ``decompress``: each downloaded ``NAME.zip`` is extracted into the folder ``NAME``
        beside it and removed (member names that would leave that folder, and symbolic
        links, raise ``UnsafeArchiveError`` before anything is written), and a path inside a
        zip blob (``out.zip/logs/stdout.txt``, or a folder ``out.zip/logs/``) downloads just
        those members without downloading the archive."""
        from ..transfer import download

        src = self._key_of(src)
        if decompress:
            from .zipdownload import archive_member_of, download_members, extract_downloaded

            found = archive_member_of(self, src)
            if found is not None:
                return download_members(found[0], found[1], Path(dst))
        report = download(
            self,
            src,
            Path(dst),
            update=update,
            continue_=continue_,
            include=include,
            exclude=exclude,
            progress=progress,
            options=resolve_options(options, settings),
        )
        if decompress:
            extract_downloaded(report)
        return report

    def sync(
        self,
        local: StrPath,
        prefix: str = "",
        *,
        direction: Literal["upload", "download"] = "upload",
        delete: bool = False,
        compare: Literal["mtime+size", "size", "checksum"] = "mtime+size",
        update: bool = False,
        dry_run: bool = False,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        ignore_file: str | None = IGNORE_FILE,
        page_size: int = 1000,
        progress: bool | ProgressCallback | None = None,
        options: TransferOptions | None = None,
        **settings: Unpack[TransferSettings],
    ) -> SyncPlan:
        """Make ``prefix`` mirror ``local`` (or the reverse); returns the plan, applied unless
        ``dry_run``. A size or mtime difference transfers, whichever side is newer, unless
        ``update=True`` (then a newer destination is kept); ``delete`` removes what the source
        lacks; ``compare``: ``"mtime+size"``, ``"size"`` or ``"checksum"``. ``ignore_file`` and
        ``page_size`` (of the remote listing) as in :func:`bucketry.sync.sync`. ``options``
        and/or keywords: :class:`~bucketry.TransferOptions` fields (an unknown one raises
        ``TypeError``)."""
        from ..sync import sync

        return sync(
            self,
            Path(local),
            self._key_of(prefix),
            direction=direction,
            delete=delete,
            compare=compare,
            update=update,
            dry_run=dry_run,
            include=include,
            exclude=exclude,
            ignore_file=ignore_file,
            page_size=page_size,
            progress=progress,
            options=resolve_options(options, settings),
        )
