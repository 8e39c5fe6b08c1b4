"""``FILESYSTEM``: a folder on the server host as a bucket (standard library only).

The bucket's ``provider_bucket`` is an absolute folder inside one of the server's roots
(checked at registration and again on every open). Keys are relative paths with ``/``; see
:mod:`.remote.folders` for what may not escape. Writes go to a temporary file in the target
folder and are renamed into place; the etag is ``<size>-<mtime_ns>`` in hex, so a replaced
file has another etag and a read pinned to the old one fails. A multipart upload keeps its
parts in a hidden folder at the root and concatenates them at completion.
"""

from __future__ import annotations

import contextlib
import errno
import mimetypes
import os
import secrets
import shutil
import stat
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..models import Bucket
from ..state import AppState
from ..storage.writeback import EarlyWriteback
from .remote.backend import RemoteBackend
from .remote.client import (
    ObjectInfo,
    PartInfo,
    ProbeResult,
    ProviderConditionFailed,
    ProviderConfig,
    ProviderError,
    ProviderForbidden,
    ProviderNotFound,
    ProviderVersionChanged,
    WriteCondition,
)
from .remote.config import provider_config
from .remote.folders import TEMP_PREFIX, confine_folder, safe_path

CHUNK = 1024 * 1024


def _etag(st: os.stat_result) -> str:
    return f"{st.st_size:x}-{st.st_mtime_ns:x}"


#: Serializes a conditional replace's check and rename within the process.
_REPLACING = threading.Lock()


def _place(tmp: Path, path: Path, key: str, condition: WriteCondition | None) -> None:
    """Move the written ``tmp`` to ``path`` under ``condition`` (see ``FolderClient.write``);
    raises :class:`ProviderConditionFailed`."""
    if condition is not None and condition.absent:
        try:
            os.link(tmp, path)  # atomic: fails if the name exists
            return
        except FileExistsError:
            raise ProviderConditionFailed(f"{key!r} exists in the folder") from None
        except OSError as exc:  # no hard links here (some network or FUSE file systems)
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
    if condition is not None:
        with _REPLACING:  # this process's writers check and rename one at a time
            try:
                current = _info(key, os.lstat(path)).etag
            except FileNotFoundError:
                current = None
            if current != (None if condition.absent else condition.etag):
                raise ProviderConditionFailed(f"{key!r} changed in the folder")
            os.replace(tmp, path)
        return
    os.replace(tmp, path)


def _info(key: str, st: os.stat_result) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=st.st_size,
        etag=_etag(st),
        modified_at=datetime.fromtimestamp(st.st_mtime, UTC).replace(tzinfo=None),
        content_type=mimetypes.guess_type(key)[0] or "application/octet-stream",
    )


def _store(path: Path, chunks: Iterator[bytes]) -> int:
    """Write a new file from ``chunks`` and fsync it; its size. Removed again on failure.
    The disk starts writing as the bytes come (``EarlyWriteback``), so the fsync is short."""
    size = 0
    try:
        with open(path, "xb") as f:
            writeback = EarlyWriteback(f.fileno())
            for chunk in chunks:
                f.write(chunk)
                size += len(chunk)
                writeback.wrote(len(chunk))
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    return size


def _sort_name(entry: os.DirEntry[str]) -> bytes:
    """Folders sort as ``name/`` so a depth-first walk yields keys in UTF-8 byte order."""
    name = entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")
    return name.encode("utf-8", "surrogateescape")


class FolderClient:
    """:class:`.remote.client.ObjectClient` over a server folder (``config.bucket``)."""

    #: files of any size.
    min_part_size = 0
    reserved_prefix: str | None = None
    holds_parts = False  # each part streams as it arrives (:meth:`write_part`)

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.root = Path(config.bucket)

    def _path(self, key: str, *, create_parents: bool = False) -> Path:
        try:
            return safe_path(self.root, key, create_parents=create_parents)
        except FileNotFoundError:
            raise ProviderNotFound(f"{key!r} not found in the folder") from None
        except (ValueError, NotADirectoryError) as exc:
            raise ProviderNotFound(str(exc)) from None

    def probe(self) -> ProbeResult:
        """AVAILABLE with READ (and WRITE if the server may write there), NOT_FOUND if the
        folder is gone, FORBIDDEN if the server may not read it."""
        try:
            st = os.stat(self.root)
        except FileNotFoundError:
            return ProbeResult("NOT_FOUND", (), "the folder does not exist")
        except OSError as exc:
            return ProbeResult("FORBIDDEN", (), f"the folder cannot be read: {exc.strerror}")
        if not stat.S_ISDIR(st.st_mode):
            return ProbeResult("NOT_FOUND", (), "not a folder")
        if not os.access(self.root, os.R_OK | os.X_OK):
            return ProbeResult("FORBIDDEN", (), "the server may not read the folder")
        actions = ["READ"] + (["WRITE"] if os.access(self.root, os.W_OK) else [])
        return ProbeResult("AVAILABLE", actions)

    def list_page(self, prefix: str, start_after: str | None, limit: int) -> list[ObjectInfo]:
        """Up to ``limit`` files in key order (links and temporary files are skipped)."""
        out: list[ObjectInfo] = []
        if limit > 0:
            self._walk(self.root, "", prefix, start_after or "", limit, out)
        return out

    def _walk(
        self, folder: Path, base: str, prefix: str, after: str, limit: int, out: list[ObjectInfo]
    ) -> None:
        try:
            entries = sorted(os.scandir(folder), key=_sort_name)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if len(out) >= limit:
                return
            if entry.name.startswith(TEMP_PREFIX) or entry.is_symlink():
                continue
            key = base + entry.name
            if entry.is_dir(follow_symlinks=False):
                sub = key + "/"
                inside = sub.startswith(prefix) or prefix.startswith(sub)
                done = after >= sub and not after.startswith(sub)
                if inside and not done:
                    self._walk(Path(entry.path), sub, prefix, after, limit, out)
            elif entry.is_file(follow_symlinks=False):
                if key.startswith(prefix) and key > after:
                    out.append(_info(key, entry.stat(follow_symlinks=False)))

    def head(self, key: str) -> ObjectInfo | None:
        """The file of ``key`` (None if missing or not a regular file)."""
        try:
            st = os.lstat(self._path(key))
        except (ProviderNotFound, FileNotFoundError, NotADirectoryError):
            return None
        return _info(key, st) if stat.S_ISREG(st.st_mode) else None

    def read(
        self, key: str, start: int = 0, end: int | None = None, *, etag: str | None = None
    ) -> Iterator[bytes]:
        """Bytes ``start..end`` of the file, pinned to ``etag`` when given (checked on the
        opened file, so a rename replacing it later does not change what is read)."""
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise ProviderNotFound(f"{key!r} not found in the folder") from None
        except OSError as exc:
            raise ProviderForbidden(f"{key!r} cannot be read: {exc.strerror}") from None
        f = os.fdopen(fd, "rb")
        st = os.fstat(fd)
        if etag is not None and _etag(st) != etag:
            f.close()
            raise ProviderVersionChanged(f"{key!r} changed since it was listed")
        return self._chunks(f, start, st.st_size - 1 if end is None else end)

    @staticmethod
    def _chunks(f: BinaryIO, start: int, end: int) -> Iterator[bytes]:
        with f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(CHUNK, left))
                if not data:
                    return
                left -= len(data)
                yield data

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
        """Stream into a temporary file beside the target, fsync, rename into place
        (``part_size`` has no meaning for a folder and is ignored; a file keeps no CRC32C).
        ``condition``: absent — a hard link of the temporary file to the target, which the
        file system refuses atomically if the name exists (without hard links: as for an
        etag, the name checked absent); an etag — compared again just
        before the rename under a lock of this process (a folder has no compare-and-swap: a
        writer outside the process may still slip in between)."""
        try:
            path = self._path(key, create_parents=True)
        except ProviderNotFound as exc:
            raise ProviderError(str(exc)) from None
        if path.is_dir():
            raise ProviderError(f"{key!r} is a folder in the folder bucket")
        tmp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        try:
            _store(tmp, chunks)
            _place(tmp, path, key, condition)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return _info(key, os.lstat(path))

    # ---------------------------------------------------------------- multipart

    def _parts_dir(self, upload: str) -> Path:
        if not upload.isalnum():
            raise ProviderNotFound(f"upload {upload!r} not found in the folder")
        return self.root / f"{TEMP_PREFIX}upload-{upload}"

    def start_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        """A hidden folder of parts at the root (its name starts with the temp prefix, so no
        listing shows it and no key names it); the handle is its random id."""
        upload = secrets.token_hex(16)
        try:
            os.mkdir(self._parts_dir(upload))
        except OSError as exc:
            raise ProviderError(f"upload of {key!r}: {exc.strerror}") from None
        return upload

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
        """A file of its own per part sent (a part sent again is another file: the token
        says which one the completion takes); fsynced."""
        folder = self._parts_dir(upload)
        if not folder.is_dir():
            raise ProviderNotFound(f"upload {upload!r} of {key!r} not found in the folder")
        name = f"{number:05d}-{secrets.token_hex(8)}"
        written = _store(folder / name, chunks)
        return PartInfo(number, written, name)

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
        """Concatenate the parts into a temporary file beside the target, move it into
        place under ``condition`` (as :meth:`write`), drop the parts folder."""
        folder = self._parts_dir(upload)

        def joined() -> Iterator[bytes]:
            for part in parts:
                if "/" in part.token or not part.token.startswith(f"{part.number:05d}-"):
                    raise ProviderError(f"upload of {key!r}: part {part.number} is not valid")
                try:
                    f = open(folder / part.token, "rb")  # noqa: SIM115 - closed just below
                except FileNotFoundError:
                    raise ProviderNotFound(
                        f"upload of {key!r}: part {part.number} is gone"
                    ) from None
                with f:
                    while data := f.read(CHUNK):
                        yield data

        info = self.write(
            key, joined(), content_type=content_type, metadata=metadata, condition=condition
        )
        self.abort_multipart(key, upload)
        return info

    def abort_multipart(self, key: str, upload: str) -> None:
        """Remove the parts folder (gone already: nothing to do)."""
        shutil.rmtree(self._parts_dir(upload), ignore_errors=True)

    def delete(self, keys: Sequence[str]) -> list[str]:
        """Unlink the files of ``keys`` that exist; folders left empty go too."""
        done: list[str] = []
        for key in keys:
            try:
                path = self._path(key)
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                os.unlink(path)
            except (ProviderNotFound, FileNotFoundError, NotADirectoryError):
                continue
            done.append(key)
            parent = path.parent
            while parent != self.root and self.root in parent.parents:
                try:
                    os.rmdir(parent)
                except OSError:
                    break
                parent = parent.parent
        return done

    def copy(self, source_key: str, key: str) -> ObjectInfo:
        """Copy a file within the folder (through a temporary file, then rename)."""
        src = self._path(source_key)
        try:
            f = open(src, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            raise ProviderNotFound(f"{source_key!r} not found in the folder") from None
        with f:
            return self.write(
                key,
                iter(lambda: f.read(CHUNK), b""),
                content_type=mimetypes.guess_type(key)[0] or "application/octet-stream",
                metadata={},
            )

    def presign(self, key: str, method: str, expires_in: int) -> str | None:
        """A folder cannot sign URLs (the server signs its own)."""
        return None

    def close(self) -> None:
        """Nothing to release."""


def open_client(config: ProviderConfig, roots: Sequence[Path]) -> FolderClient:
    """A client of ``config.bucket`` once confined to ``roots`` (``Invalid`` if outside)."""
    real = confine_folder(config.bucket, roots)
    return FolderClient(ProviderConfig(**{**config.__dict__, "bucket": str(real)}))


def open_backend(state: AppState, bucket: Bucket) -> RemoteBackend:
    """The registry's entry: a remote backend over the bucket's folder."""
    roots = state.settings.filesystem_roots
    return RemoteBackend(state, bucket, lambda: open_client(provider_config(state, bucket), roots))
