"""Multipart upload sessions as objects: find an open upload, look at its parts, send a part,
complete or abort it. ``bucket.upload()`` drives all of this for files; this proxy is for
programs that produce parts themselves (or want to inspect and clean up open uploads)."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bucketry_api.models import CompletedPart, UploadComplete, UploadCreate, UploadCreateMetadata
from bucketry_api.models import Upload as UploadModel
from bucketry_api.models import UploadPart as UploadPartModel

from ..pagination import Pager
from ..types import BlobInfo, arg, model_dict, opt

if TYPE_CHECKING:
    from .buckets import Bucket


class Upload:
    """An open multipart upload of ``bucket``/``key``; ``.model`` is the generated model."""

    def __init__(self, bucket: Bucket, model: UploadModel) -> None:
        self.bucket = bucket
        self._model = model

    def __repr__(self) -> str:
        return f"Upload({self.id!r}, key={self.key!r})"

    @property
    def model(self) -> UploadModel:
        return self._model

    @property
    def id(self) -> str:
        return self._model.id

    @property
    def key(self) -> str:
        return self._model.key

    @property
    def expires_at(self) -> datetime:
        return self._model.expires_at

    @property
    def min_part_size(self) -> int | None:
        return opt(self._model.min_part_size)

    @property
    def parts(self) -> builtins.list[UploadPartModel]:
        """Parts the server has received, by number (as of the last refresh)."""
        return sorted(self._model.parts, key=lambda p: p.part_number)

    def to_dict(self) -> dict[str, Any]:
        return model_dict(self._model)

    def refresh(self) -> Upload:
        client = self.bucket.client
        self._model = client.call(client.api.uploads.get, self.bucket.ref, self.id)
        return self

    def put_part(self, number: int, data: bytes) -> UploadPartModel:
        """Send (or replace) part ``number`` (1 to 10,000), verified by its SHA-256."""
        client = self.bucket.client
        return client.call(
            client.api.uploads.put_part,
            self.bucket.ref,
            self.id,
            number,
            body=data,
            x_checksum_sha256=hashlib.sha256(data).hexdigest(),
        )

    def complete(self, parts: Sequence[UploadPartModel] | None = None) -> BlobInfo:
        """Assemble the parts (default: all received, in order) into the blob, atomically."""
        chosen = self.parts if parts is None else sorted(parts, key=lambda p: p.part_number)
        body = UploadComplete(
            parts=[CompletedPart(part_number=p.part_number, etag=p.etag) for p in chosen]
        )
        client = self.bucket.client
        return BlobInfo.from_model(
            client.call(client.api.uploads.complete, self.bucket.ref, self.id, body=body)
        )

    def abort(self) -> None:
        """Drop the upload and free its parts."""
        client = self.bucket.client
        client.call(client.api.uploads.abort, self.bucket.ref, self.id)

    delete = abort


class UploadsRepo:
    """``bucket.uploads``: open multipart uploads of one bucket."""

    def __init__(self, bucket: Bucket) -> None:
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
        meta = UploadCreateMetadata.from_dict(metadata) if metadata else None
        body = UploadCreate(
            key=key,
            content_type=content_type,
            metadata=arg(meta),
            size=size,
            sha256=sha256,
            if_none_match="*" if create_only else None,
        )
        client = self._bucket.client
        return Upload(
            self._bucket, client.call(client.api.uploads.create, self._bucket.ref, body=body)
        )

    def get(self, upload_id: str) -> Upload:
        client = self._bucket.client
        return Upload(
            self._bucket, client.call(client.api.uploads.get, self._bucket.ref, upload_id)
        )

    def list(
        self, *, key: str | None = None, prefix: str | None = None, page_size: int = 100
    ) -> Pager[Upload]:
        bucket, client = self._bucket, self._bucket.client

        def fetch(cursor: str | None, size: int) -> tuple[builtins.list[Upload], str | None]:
            page = client.call(
                client.api.uploads.list,
                bucket.ref,
                key=arg(key),
                prefix=arg(prefix),
                page_size=size,
                cursor=arg(cursor),
            )
            return [Upload(bucket, m) for m in page.results], opt(page.next_cursor)

        return Pager(fetch, page_size=page_size)
