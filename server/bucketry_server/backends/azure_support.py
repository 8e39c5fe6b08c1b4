"""Azure Blob helpers of :mod:`.azure_blob` with no client state: metadata Azure cannot hold
as such, staged block ids (every id of every blob the same length, as Azure requires), account
URLs and connection strings."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.storage.blob import BlobBlock

BLOCK_SIZE = 4 * 1024 * 1024  # staged block size, also the single-request threshold
STAGE_CONCURRENCY = 4  # blocks of one write staged at the same time

#: Metadata Azure cannot hold as such travels base64url-encoded (compact JSON) in this entry.
ENCODED_METADATA = "bucketry_metadata_b64"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?\Z")


def block_ids(tag: str, count: int) -> list[BlobBlock]:
    """The ids of ``count`` blocks named by ``tag`` (40 characters): every id of every blob
    has the same length, as Azure requires."""
    return [BlobBlock(block_id(tag, index)) for index in range(count)]


def block_id(tag: str, index: int) -> str:
    """The id of block ``index`` named by ``tag``."""
    return f"{tag}{index:06d}"


class Counted:
    """An iterator over ``chunks`` that counts their bytes."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._it = iter(chunks)
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._it:
            self.size += len(chunk)
            yield chunk


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


def account_url(endpoint_url: str, account_name: str | None) -> str:
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


def sas_permissions(sas: str) -> str:
    """The ``sp`` (permissions) field of a SAS token, or "" when it has none."""
    return "".join(parse_qs(sas.lstrip("?")).get("sp", [""]))


def connection_fields(conn: str) -> dict[str, str]:
    """``Key=Value;`` fields of a connection string (values may contain ``=``)."""
    fields: dict[str, str] = {}
    for part in conn.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields


def stage_all(blob: Any, tag: str, chunks: Iterable[bytes], block: int = BLOCK_SIZE) -> int:
    """Stage ``chunks`` on ``blob`` (a BlobClient) as blocks of ``block`` bytes named by
    ``tag``, :data:`STAGE_CONCURRENCY` at a time (fewer when blocks are large: about
    ``STAGE_CONCURRENCY * BLOCK_SIZE`` bytes, at least one block, in flight, plus the one being
    filled, in memory); returns how many. A failure (of a block or of ``chunks``) raises once
    the blocks in flight are done; blocks staged but never committed are Azure's to drop."""
    count = 0
    inflight: deque[Future[Any]] = deque()
    width = max(1, min(STAGE_CONCURRENCY, STAGE_CONCURRENCY * BLOCK_SIZE // block))
    with ThreadPoolExecutor(width, thread_name_prefix="azure-stage") as pool:

        def send(data: bytes) -> None:
            nonlocal count
            if len(inflight) >= width:
                inflight.popleft().result()
            inflight.append(
                pool.submit(blob.stage_block, block_id(tag, count), data, length=len(data))
            )
            count += 1

        try:
            pending: list[bytes] = []
            size = 0
            for chunk in chunks:
                pending.append(chunk)
                size += len(chunk)
                while size >= block:
                    data = b"".join(pending)
                    send(data[:block])
                    rest = data[block:]
                    pending, size = ([rest] if rest else []), len(rest)
            if pending:
                send(b"".join(pending))
            while inflight:
                inflight.popleft().result()
        except BaseException:
            for future in inflight:
                future.cancel()
            raise
    return count
