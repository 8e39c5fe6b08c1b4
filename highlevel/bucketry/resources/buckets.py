"""Buckets: the repo (``client.buckets``) and the ``Bucket`` proxy."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from bucketry_api.models import (
    BlobDeleteMany,
    BucketCreate,
    BucketUpdate,
    PublicAccess,
    SignedUrlItem,
    SignedUrlRequest,
    TmpCredentialsRequest,
)
from bucketry_api.models import Bucket as BucketModel

from ..pagination import Pager
from ..progress import ProgressCallback
from ..types import arg, model_dict, opt
from .blobs import Blob, BlobInfo
from .uploads import UploadsRepo

if TYPE_CHECKING:
    from ..client import Client
    from ..sync import SyncPlan
    from ..transfer import TransferReport

StrPath = str | PathLike[str]


def _filters(**kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if value is None:
            continue
        if key == "filter":  # the generated layer names it filter_ (a builtin otherwise)
            out["filter_"] = value if isinstance(value, str) else json.dumps(value)
            continue
        out[key] = value
    return out


class BucketsRepo:
    """``client.buckets``: create, get, list and count buckets."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        org: str | None = None,
        public: bool = False,
        exist_ok: bool = False,
    ) -> Bucket:
        """Create a managed bucket (``exist_ok=True`` returns the existing one instead of 409)."""
        from ..errors import ConflictError

        api = self._client.api
        body = BucketCreate(name=name, description=description, org=org, public=public)
        try:
            model = self._client.call(api.buckets.create, body=body)
        except ConflictError:
            if not exist_ok:
                raise
            return self.get(name)
        return Bucket(self._client, model.id, model)

    def get(self, ref: str) -> Bucket:
        """Fetch a bucket by id or name (raises ``NotFoundError``)."""
        model = self._client.call(self._client.api.buckets.get, ref)
        return Bucket(self._client, model.id, model)

    def __call__(self, ref: str) -> Bucket:
        """A lazy handle (no request): ``client.buckets("images").blob("a.png")``."""
        return Bucket(self._client, ref)

    def list(
        self,
        *,
        name: str | None = None,
        owner: str | None = None,
        org: str | None = None,
        provider: str | None = None,
        status: str | None = None,
        imported: bool | None = None,
        search: str | None = None,
        sort: str | None = None,
        filter: str | dict[str, Any] | None = None,
        page_size: int = 100,
        first: int | None = None,
        skip: int = 0,
    ) -> Pager[Bucket]:
        """Lazily list visible buckets; ``filter`` is a JSON Logic expression (dict or string)."""
        client = self._client
        filters = _filters(
            name=name,
            owner=owner,
            org=org,
            provider=provider,
            status=status,
            imported=imported,
            search=search,
            filter=filter,
        )

        def fetch(cursor: str | None, size: int) -> tuple[list[Bucket], str | None]:
            page = client.call(
                client.api.buckets.list,
                **filters,
                sort=arg(cast(Any, sort)),
                page_size=size,
                cursor=arg(cursor),
            )
            return [Bucket(client, m.id, m) for m in page.results], opt(page.next_cursor)

        def count() -> int:
            return client.call(client.api.buckets.count, **filters).count

        return Pager(fetch, page_size=page_size, first=first, skip=skip, count=count)

    def count(self, **filters: Any) -> int:
        """How many buckets match the same filters as :meth:`list`."""
        return self._client.call(self._client.api.buckets.count, **_filters(**filters)).count


class Bucket:
    """A bucket. Built lazily from a name or id (``client.bucket("x")``) or from a model;
    attribute access fetches the model on first use. ``.model`` is the generated model."""

    def __init__(self, client: Client, ref: str, model: BucketModel | None = None) -> None:
        self._client = client
        self.ref = ref
        self._model = model

    def __repr__(self) -> str:
        return f"Bucket({self.ref!r})"

    # -- model access --------------------------------------------------------------------
    @property
    def model(self) -> BucketModel:
        if self._model is None:
            self.refresh()
        assert self._model is not None
        return self._model

    @property
    def api(self) -> Any:
        """The generated layer (``client.api``)."""
        return self._client.api

    @property
    def client(self) -> Client:
        return self._client

    def refresh(self) -> Bucket:
        self._model = self._client.call(self._client.api.buckets.get, self.ref)
        self.ref = self._model.id
        return self

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def owner(self) -> str:
        return self.model.owner

    @property
    def org(self) -> str | None:
        return opt(self.model.org)

    @property
    def description(self) -> str | None:
        return opt(self.model.description)

    @property
    def provider(self) -> str:
        return self.model.provider

    @property
    def public(self) -> bool:
        return self.model.public

    @property
    def created_at(self) -> datetime:
        return self.model.created_at

    def to_dict(self) -> dict[str, Any]:
        return model_dict(self.model)

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
        """Delete the bucket (``force`` also deletes its blobs; ``dry_run`` only reports)."""
        result = self._client.call(
            self._client.api.buckets.delete, self.ref, force=force, dry_run=dry_run
        )
        return model_dict(result)

    def set_public(self, public: bool) -> Bucket:
        self._model = self._client.call(
            self._client.api.buckets.set_public, self.ref, body=PublicAccess(public=public)
        )
        return self

    def usage(self) -> dict[str, Any]:
        """Bytes and objects, computed by the server."""
        return model_dict(self._client.call(self._client.api.buckets.usage, self.ref))

    def status(self) -> str:
        return self._client.call(self._client.api.buckets.status, self.ref).status

    def actions(self) -> builtins.list[str]:
        return list(self._client.call(self._client.api.buckets.actions, self.ref).actions)

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
    def blob(self, key: str) -> Blob:
        """A local handle on one blob; no request is made."""
        return Blob(self, key)

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
        """Lazily list blobs under ``prefix``. With ``recursive=False`` folders come back as
        ``BlobInfo`` entries with ``is_dir=True``. ``prefetch=True`` fetches the next page
        while you process the current one (long scans)."""
        client, ref = self._client, self.ref

        def fetch(cursor: str | None, size: int) -> tuple[list[BlobInfo], str | None]:
            page = client.call(
                client.api.blobs.list,
                ref,
                prefix=prefix,
                recursive=recursive,
                delimiter=arg(delimiter),
                glob=arg(glob),
                order_by=arg(order_by),
                order=arg(order),
                page_size=size,
                cursor=arg(cursor),
            )
            items = [BlobInfo.from_model(m) for m in page.results]
            items += [BlobInfo.folder(p) for p in page.prefixes]
            if page.prefixes:  # folders interleave with blobs in key order
                items.sort(key=lambda b: b.key, reverse=order == "desc")
            return items, opt(page.next_cursor)

        return Pager(fetch, page_size=page_size, first=first, skip=skip, prefetch=prefetch)

    def glob(self, pattern: str, *, page_size: int = 1000) -> Pager[BlobInfo]:
        """Blobs whose whole key matches ``pattern`` (``*``, ``?``; ``**`` crosses ``/``)."""
        return self.list(glob=pattern, page_size=page_size)

    def exists(self, key: str) -> bool:
        return self.blob(key).exists()

    def rm(
        self, prefix_or_keys: str | Sequence[str], *, recursive: bool = False, dry_run: bool = False
    ) -> int:
        """Delete one key, a list of keys, or (``recursive=True``) everything under a prefix.
        Returns how many blobs were (or, in a dry run, would be) deleted."""
        api = self._client.api
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
        total = 0
        keys = list(prefix_or_keys)
        for i in range(0, len(keys), 1000):
            body = BlobDeleteMany(keys=keys[i : i + 1000], dry_run=dry_run)
            total += self._client.call(api.blobs.delete_many, self.ref, body=body).deleted
        return total

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
        ignore_file: str | None = ".bucketryignore",
        progress: bool | ProgressCallback | None = None,
        **options: Any,
    ) -> TransferReport:
        """Upload a file or a folder (``dst`` is a key, or a prefix for a folder)."""
        from ..transfer import upload

        return upload(
            self,
            Path(src),
            dst,
            update=update,
            continue_=continue_,
            include=include,
            exclude=exclude,
            ignore_file=ignore_file,
            progress=progress,
            **options,
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
        progress: bool | ProgressCallback | None = None,
        **options: Any,
    ) -> TransferReport:
        """Download a key to a file, or a prefix (ending in ``/``) to a folder."""
        from ..transfer import download

        return download(
            self,
            src,
            Path(dst),
            update=update,
            continue_=continue_,
            include=include,
            exclude=exclude,
            progress=progress,
            **options,
        )

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
        progress: bool | ProgressCallback | None = None,
        **options: Any,
    ) -> SyncPlan:
        """Make ``prefix`` mirror ``local`` (or the reverse); returns the plan, applied unless
        ``dry_run``. A size or mtime difference transfers, whichever side is newer, unless
        ``update=True`` (then a newer destination is kept). ``options``: see :func:`bucketry.sync.sync` (``ignore_file``,
        ``page_size``, ``file_concurrency``, transfer options such as ``part_size``)."""
        from ..sync import sync

        return sync(
            self,
            Path(local),
            prefix,
            direction=direction,
            delete=delete,
            compare=compare,
            update=update,
            dry_run=dry_run,
            include=include,
            exclude=exclude,
            progress=progress,
            **options,
        )
