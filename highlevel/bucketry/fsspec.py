"""An fsspec filesystem for ``bkt://bucket/key`` so pandas, pyarrow and dask read and write blobs::

    import pandas as pd
    df = pd.read_csv("bkt://images/meta.csv", storage_options={"url": ..., "token": ...})
    with fsspec.open("bkt://images/out.txt", "w") as f:
        f.write("hello")

Registered under the ``bkt`` protocol through the ``fsspec.specs`` entry point. Without
``storage_options`` the client reads ``BUCKETRY_URL``/``BUCKETRY_TOKEN`` or the config file.
Paths are ``bucket/key``; buckets and "folders" (key prefixes ending in ``/``) are directories.
Reads go through the SDK's ranged :class:`~bucketry.resources.blobs.BlobReader`, writes through
the streaming ``BlobWriter`` (the blob appears when the file is closed without error).
"""

from __future__ import annotations

import errno
import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fsspec import AbstractFileSystem

from .errors import ConflictError, NotFoundError, RangeNotSatisfiableError
from .transfer.context import DEFAULT_PART_SIZE
from .uri import BucketURI, split_path, strip_scheme

if TYPE_CHECKING:
    from .client import Client
    from .resources.blobs import BlobReader
    from .types import BlobInfo


_MAGIC = set("*?[")


class BlobFile(io.BufferedReader):
    """A buffered ``BlobReader`` with the ``size`` attribute fsspec helpers expect."""

    raw: BlobReader

    @property
    def size(self) -> int:
        """The blob's size in bytes."""
        return self.raw.size


class BucketryFileSystem(AbstractFileSystem):
    """fsspec filesystem for ``bkt://bucket/key`` (see the module docstring).
    ``url``, ``token``, ``organization``: the client's settings (default: environment and
    config file), or a ready ``client``; ``read_ahead``: the largest ranged read of ``open()``."""

    protocol = ("bkt",)
    root_marker = ""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        client: Client | None = None,
        organization: str | None = None,
        read_ahead: int = 8 * 1024 * 1024,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if client is None:
            from .client import Client

            client = Client(url=url, token=token, organization=organization, progress=False)
        self.client = client
        self.read_ahead = read_ahead

    # -- paths -----------------------------------------------------------------------------
    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        text = strip_scheme(str(path))
        return text.lstrip("/").rstrip("/")

    def _split(self, path: str) -> BucketURI:
        return split_path(self._strip_protocol(path))

    # -- metadata --------------------------------------------------------------------------
    def _entry(self, bucket: str, info: BlobInfo) -> dict[str, Any]:
        name = f"{bucket}/{info.key.rstrip('/')}"
        if info.is_dir:
            return {"name": name, "size": 0, "type": "directory"}
        return {
            "name": name,
            "size": info.size,
            "type": "file",
            "etag": info.etag,
            "sha256": info.sha256,
            "crc32c": info.crc32c,
            "content_type": info.content_type,
            "created": info.created_at,
            "mtime": info.modified_at,
        }

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """Entries directly under ``path`` (buckets at the root, blobs and folders
        below); a file lists as itself. Raises ``FileNotFoundError`` naming the path when missing."""
        path = self._strip_protocol(path)
        if not path:
            entries = [
                {"name": b.name, "size": 0, "type": "directory"} for b in self.client.buckets.list()
            ]
        else:
            uri = split_path(path)
            prefix = uri.key + "/" if uri.key else ""
            bucket = self.client.bucket(uri.bucket)
            entries = [self._entry(uri.bucket, i) for i in bucket.list(prefix, recursive=False)]
            if not entries and uri.key:
                entries = [self.info(path)]  # a file lists as itself; raises when missing
            elif not entries:
                bucket.refresh()  # an empty bucket is fine, a missing one raises
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """The entry of ``path``: a file (size, etag, sha256, times) or a
        directory (a bucket, or a prefix with keys under it). Raises ``FileNotFoundError`` naming
        ``bkt://path`` when neither exists."""
        path = self._strip_protocol(path)
        if not path:
            return {"name": "", "size": 0, "type": "directory"}
        uri = split_path(path)
        bucket = self.client.bucket(uri.bucket)
        if not uri.key:
            bucket.refresh()
            return {"name": uri.bucket, "size": 0, "type": "directory"}
        try:
            return self._entry(uri.bucket, bucket.blob(uri.key).stat())
        except NotFoundError:
            pass
        if any(True for _ in bucket.list(uri.key + "/", first=1, page_size=1)):
            return {"name": path, "size": 0, "type": "directory"}
        raise FileNotFoundError(errno.ENOENT, "no such blob or folder", f"bkt://{path}")

    def exists(self, path: str, **kwargs: Any) -> bool:
        """Whether ``path`` is a bucket, a folder or a blob."""
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """One recursive listing instead of a walk, when no depth limit or folders are asked."""
        path = self._strip_protocol(path)
        if maxdepth is not None or withdirs or not path:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
        uri = split_path(path)
        bucket = self.client.bucket(uri.bucket)
        found: dict[str, dict[str, Any]] = {}
        if uri.key:
            try:
                found[path] = self._entry(uri.bucket, bucket.blob(uri.key).stat())
            except NotFoundError:
                pass
        prefix = uri.key + "/" if uri.key else ""
        for info in bucket.list(prefix, recursive=True):
            entry = self._entry(uri.bucket, info)
            found[entry["name"]] = entry
        return found if detail else sorted(found)

    def ukey(self, path: str) -> str:
        """The blob's ETag (changes whenever the blob does)."""
        etag: str = self.info(path).get("etag") or ""
        return etag

    def modified(self, path: str) -> datetime:
        """The blob's server modification time. Raises ``IsADirectoryError``
        for a folder or bucket."""
        info = self.info(path)
        if info["type"] != "file":
            raise IsADirectoryError(path)
        moment: datetime = info["mtime"]
        return moment

    def created(self, path: str) -> datetime:
        """The blob's creation time. Raises ``IsADirectoryError`` for a folder
        or bucket."""
        info = self.info(path)
        if info["type"] != "file":
            raise IsADirectoryError(path)
        moment: datetime = info["created"]
        return moment

    # -- reading and writing ---------------------------------------------------------------
    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        uri = self._split(path)
        if not uri.key:
            raise IsADirectoryError(path)
        blob = self.client.bucket(uri.bucket).blob(uri.key)
        if "r" in mode:
            reader = blob.open("rb", read_ahead=block_size or self.read_ahead)
            return BlobFile(reader, buffer_size=256 * 1024)
        if "w" in mode or "x" in mode:
            if not autocommit:
                raise NotImplementedError("bkt:// writes are committed when the file is closed")
            from .transfer import BlobWriter

            exclusive = "x" in mode
            if exclusive and blob.exists():
                raise FileExistsError(errno.EEXIST, "blob exists", path)
            return BlobWriter(
                blob,
                part_size=block_size or DEFAULT_PART_SIZE,
                content_type=kwargs.get("content_type"),
                if_none_match="*" if exclusive else None,  # the server re-checks at commit
            )
        raise ValueError(f"unsupported mode {mode!r} (use 'rb', 'wb' or 'xb')")

    def _get(self, uri: BucketURI, range_: str | None = None) -> tuple[bytes, int]:
        """GET (a range of) a blob with the SDK's errors: ``(body, status)``."""
        from .types import arg

        client = self.client
        with client.stream(
            client.api.blobs.get_stream, uri.bucket, key=uri.key, range_=arg(range_)
        ) as response:
            return response.read(), response.status_code

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """The blob's bytes, or ``[start, end)`` of them (negative offsets count from the end)."""
        uri = self._split(path)
        if start is None and end is None:
            return self._get(uri)[0]
        if (start is not None and start < 0) or (end is not None and end < 0):
            size = self.client.bucket(uri.bucket).blob(uri.key).stat().size
            if start is not None and start < 0:
                start = max(0, start + size)
            if end is not None and end < 0:
                end = max(0, end + size)
        first = start or 0
        if end is not None and end <= first:
            return b""
        last = "" if end is None else str(end - 1)
        try:
            data, status = self._get(uri, f"bytes={first}-{last}")
        except RangeNotSatisfiableError:
            return b""  # starts at or beyond the end
        if status == 200:  # the whole body came back (range ignored)
            data = data[first:end]
        return data

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Store ``value`` at ``path``; ``mode="create"`` raises
        ``FileExistsError`` (``PreconditionFailedError``) when the blob exists, checked by the
        server in the same request."""
        uri = self._split(path)
        blob = self.client.bucket(uri.bucket).blob(uri.key)
        blob.write_bytes(
            bytes(value),
            content_type=kwargs.get("content_type"),
            if_none_match="*" if mode == "create" else None,  # create: one conditional PUT
        )

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Server-side copy."""
        src, dst = self._split(path1), self._split(path2)
        self.client.bucket(src.bucket).blob(src.key).copy_to(
            self.client.bucket(dst.bucket), dst.key
        )

    def rm_file(self, path: str) -> None:
        """Delete one blob (a folder path is accepted: it has nothing of its
        own). Raises ``FileNotFoundError`` naming the path when neither exists."""
        uri = self._split(path)
        try:
            self.client.bucket(uri.bucket).blob(uri.key).delete()
        except NotFoundError:
            if self.info(path)["type"] != "directory":  # a folder has nothing to delete itself
                raise
        self.invalidate_cache(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete files; ``recursive`` deletes a folder's keys server-side, in batches."""
        paths = path if isinstance(path, list) else [path]
        if not recursive or maxdepth is not None or any(_MAGIC & set(str(p)) for p in paths):
            super().rm(path, recursive=recursive, maxdepth=maxdepth)
            return
        for p in paths:
            uri = self._split(p)
            if not uri.key:
                raise PermissionError(f"refusing to empty the whole bucket {uri.bucket!r}")
            bucket = self.client.bucket(uri.bucket)
            deleted = bucket.rm(uri.key.rstrip("/") + "/", recursive=True)
            try:
                bucket.blob(uri.key).delete()
            except NotFoundError:
                if not deleted:
                    raise FileNotFoundError(p) from None
            self.invalidate_cache(p)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """``mkdir("name")`` creates the bucket ``name`` (as s3fs does; ``FileExistsError``
        when it exists). Below a bucket, folders are implied by keys: nothing to create, but
        with ``create_parents`` a missing bucket is created first. ``kwargs`` go to
        ``client.buckets.create`` (``description``, ``org``, ``public``)."""
        uri = self._split(path)
        if not uri.key:
            try:
                self.client.buckets.create(uri.bucket, **kwargs)
            except ConflictError:
                raise FileExistsError(errno.EEXIST, "bucket exists", uri.bucket) from None
        elif create_parents and not self._bucket_exists(uri.bucket):
            self.client.buckets.create(uri.bucket, exist_ok=True, **kwargs)
        self.invalidate_cache(path)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Create the bucket of ``path`` when missing (folders below it are implied by keys);
        an existing bucket is an error only for a bare bucket path without ``exist_ok``."""
        uri = self._split(path)
        if self._bucket_exists(uri.bucket):
            if not uri.key and not exist_ok:
                raise FileExistsError(errno.EEXIST, "bucket exists", uri.bucket)
            return
        self.client.buckets.create(uri.bucket, exist_ok=True)
        self.invalidate_cache(path)

    def rmdir(self, path: str) -> None:
        """Delete an empty bucket (``rmdir("name")``), as ``os.rmdir`` would a folder.

        Raises ``OSError`` with ``errno.ENOTEMPTY`` for a bucket that holds blobs (nothing is
        deleted; ``rm(path, recursive=True)`` empties it) and for a folder below a bucket (a
        folder exists only while keys are in it, so it is never empty); ``FileNotFoundError``
        naming ``path`` when the bucket or folder does not exist."""
        uri = self._split(path)
        if uri.key:
            if self.info(path)["type"] == "directory":  # raises FileNotFoundError if missing
                raise OSError(errno.ENOTEMPTY, "folder not empty", str(uri))
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(uri))
        try:
            self.client.bucket(uri.bucket).delete()
        except ConflictError as exc:
            if exc.code != "bucket_not_empty":
                raise
            raise OSError(errno.ENOTEMPTY, "bucket not empty", f"bkt://{uri.bucket}") from exc
        self.invalidate_cache(path)

    def _bucket_exists(self, name: str) -> bool:
        try:
            self.client.bucket(name).refresh()
        except NotFoundError:
            return False
        return True

    def sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        """A signed URL that reads the blob without a token for ``expiration`` seconds
        (``method="PUT"`` for one that writes it)."""
        uri = self._split(path)
        if not uri.key:
            raise IsADirectoryError(errno.EISDIR, "a bucket cannot be signed", path)
        method = kwargs.get("method", "GET")
        blob = self.client.bucket(uri.bucket).blob(uri.key)
        return blob.signed_url(expires_in=int(expiration), method=method)
