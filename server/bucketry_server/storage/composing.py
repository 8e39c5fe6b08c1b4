"""Composing parts into one object of a :class:`.local.LocalStore`: hard links where the
filesystem allows (no bytes copied), else a kernel-side concatenation hashed in parallel."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .base import (
    Expected,
    Hasher,
    ObjectMissingError,
    WriteResult,
    check_expected,
    needs_reading,
)
from .segments import link_segments, remove_path

#: Read size of the hashing pass (the same block size as the store's reads).
CHUNK_SIZE = 1 << 20

Commit = Callable[..., None]


def create_private(path: Path) -> io.FileIO:
    """A new file at ``path`` (it must not exist) open for unbuffered writing, mode 0600.
    Raises ``FileExistsError`` if it exists (like ``open(path, "xb")``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    return io.FileIO(fd, "wb")


def _hash_sources(
    sources: list[Path], expected: Expected | None, sha256_hex: str | None
) -> WriteResult:
    """The checksums of the concatenated sources (only their sizes if the SHA-256 is known
    or not wanted, and no MD5 is expected)."""
    if not needs_reading(expected, sha256_hex):
        size = sum(os.stat(src).st_size for src in sources)
        sha = sha256_hex.lower() if sha256_hex is not None else None
        return check_expected(expected, WriteResult(size, None, sha))
    hasher = Hasher(expected)
    for src in sources:
        with open(src, "rb", buffering=0) as f:
            while block := f.read(CHUNK_SIZE):
                hasher.update(block)
    return hasher.finish()


def _linked(sources: list[Path], tmp: Path) -> bool:
    """Link the sources at ``tmp`` (one part: a link; several: a folder of links); False if
    the filesystem cannot link. A missing source raises ``FileNotFoundError``."""
    try:
        if len(sources) == 1:
            os.link(sources[0], tmp)
        else:
            link_segments(sources, tmp)
    except FileNotFoundError:
        raise
    except OSError:  # no hard links here (another filesystem, a limit): copy instead
        remove_path(tmp)
        return False
    return True


def _copied(
    sources: list[Path],
    tmp: Path,
    final: Path,
    expected: Expected | None,
    sha256_hex: str | None,
    commit: Commit,
) -> WriteResult:
    # The bytes move in the kernel (copy_file_range) while another thread hashes them from
    # the page cache: on two cores the two passes overlap instead of adding up.
    with ThreadPoolExecutor(1, thread_name_prefix="bucketry-compose-hash") as pool:
        hashed = pool.submit(_hash_sources, sources, expected, sha256_hex)
        try:
            with create_private(tmp) as out:
                for src in sources:
                    with open(src, "rb", buffering=0) as f:
                        copy_all(f.fileno(), out.fileno())
                result = hashed.result()
                commit(tmp, final, out.fileno())
        finally:
            hashed.cancel()
    return result


def compose_files(
    sources: list[Path],
    tmp: Path,
    final: Path,
    expected: Expected | None,
    sha256_hex: str | None,
    commit: Commit,
) -> WriteResult:
    """Make ``final`` of ``sources`` in order, all or nothing (blocking: run it in a worker
    thread). ``commit(tmp, final, fd, synced=...)`` renames the result into place. Raises
    ``ObjectMissingError`` if a part is missing or vanishes meanwhile."""
    for src in sources:
        if not src.is_file():
            raise ObjectMissingError(f"part {src.name} is missing")
    try:
        if not _linked(sources, tmp):
            return _copied(sources, tmp, final, expected, sha256_hex, commit)
        result = _hash_sources(sources, expected, sha256_hex)
        # The parts' data was synced when they were written; the links were synced by
        # link_segments (a folder), and a single link is an entry in tmp/ made durable by the
        # directory sync of the rename.
        commit(tmp, final, None, synced=True)
    except FileNotFoundError as exc:
        raise ObjectMissingError(f"a part vanished while composing: {exc}") from None
    return result


def copy_all(src_fd: int, dst_fd: int) -> None:
    """Append the whole of ``src_fd`` to ``dst_fd`` in the kernel (plain reads as a fallback)."""
    try:
        while os.copy_file_range(src_fd, dst_fd, 1 << 30):
            pass
        return
    except OSError:  # e.g. a filesystem without copy_file_range: copy what is left by hand
        pass
    while block := os.read(src_fd, CHUNK_SIZE):
        view = memoryview(block)
        while view:
            view = view[os.write(dst_fd, view) :]
