"""Multipart upload sessions as objects: find an open upload, look at its parts, send a part,
complete or abort it. ``bucket.upload()`` drives all of this for files; this proxy is for
programs that produce parts themselves (or want to inspect and clean up open uploads). The
protocol itself is :mod:`bucketry.transfer.parts`, shared with the transfer engine."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bucketry_api.models import Upload as UploadModel
from bucketry_api.models import UploadPart as UploadPartModel

from ..pagination import Pager
from ..transfer import parts as driver
from ..types import BlobInfo, arg, opt
from ._base import Entity, Repo

if TYPE_CHECKING:
    from ..transfer.target import Target


class Upload(Entity[UploadModel]):
    """An open multipart upload of ``bucket``/``key``; ``.model`` is the generated model."""

    _fields = ("id", "key")

    def __init__(self, bucket: Target, model: UploadModel) -> None:
        super().__init__(bucket.client, model)
        self.bucket = bucket

    @property
    def id(self) -> str:
        """The upload's id."""
        return self.model.id

    @property
    def key(self) -> str:
        """The key the blob will have."""
        return self.model.key

    @property
    def expires_at(self) -> datetime:
        """When the server drops the upload if it is not completed."""
        return self.model.expires_at

    @property
    def min_part_size(self) -> int | None:
        """The smallest size the server accepts for every part but the last."""
        return opt(self.model.min_part_size)

    @property
    def preferred_max_part_size(self) -> int | None:
        """The largest part that suits this upload: a server that holds each part whole before
        storing it (an S3 store, an imported S3 bucket) prefers smaller ones."""
        return opt(self.model.preferred_max_part_size)

    @property
    def parts(self) -> builtins.list[UploadPartModel]:
        """Parts the server has received, by number (as of the last refresh)."""
        return sorted(self.model.parts, key=lambda p: p.part_number)

    def _fetch(self) -> UploadModel:
        return self._session.call(self._session.api.uploads.get, self.bucket.ref, self.id)

    def put_part(self, number: int, data: bytes) -> UploadPartModel:
        """Send (or replace) part ``number`` (1 to 10,000), verified by its SHA-256."""
        return driver.put_part(
            self._session,
            self.bucket.ref,
            self.id,
            number,
            data,
            sha256=hashlib.sha256(data).hexdigest(),
        )

    def complete(self, parts: Sequence[UploadPartModel] | None = None) -> BlobInfo:
        """Assemble the parts into the blob, atomically. Default: every part the server has
        received (read again now, so parts sent since this object was made count)."""
        chosen = self.refresh().parts if parts is None else parts
        return driver.complete_upload(
            self._session, self.bucket.ref, self.id, [(p.part_number, p.etag) for p in chosen]
        )

    def abort(self) -> None:
        """Drop the upload and free its parts."""
        driver.abort_upload(self._session, self.bucket.ref, self.id)

    delete = abort


class UploadsRepo(Repo[Upload]):
    """``bucket.uploads``: open multipart uploads of one bucket."""

    def __init__(self, bucket: Target) -> None:
        super().__init__(bucket.client)
        self._bucket = bucket

    def create(
        self,
        key: str,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        size: int | None = None,
        sha256: str | None = None,
        create_only: bool = False,
    ) -> Upload:
        """Open a multipart upload of ``key`` (``size``/``sha256`` are checked at completion;
        ``create_only`` fails with 412 when the key exists)."""
        model = driver.create_upload(
            self._session,
            self._bucket.ref,
            key,
            content_type=content_type,
            metadata=metadata,
            size=size,
            sha256=sha256,
            if_none_match="*" if create_only else None,
        )
        return Upload(self._bucket, model)

    def get(self, upload_id: str) -> Upload:
        """Fetch one open upload by id (raises ``NotFoundError``)."""
        model = self._session.call(self._session.api.uploads.get, self._bucket.ref, upload_id)
        return Upload(self._bucket, model)

    def list(
        self, *, key: str | None = None, prefix: str | None = None, page_size: int = 100
    ) -> Pager[Upload]:
        """Lazily list open uploads (of one ``key``, or under a ``prefix``)."""
        return self._pager(
            self._session.api.uploads.list,
            lambda m: Upload(self._bucket, m),
            self._bucket.ref,
            key=arg(key),
            prefix=arg(prefix),
            page_size=page_size,
        )
