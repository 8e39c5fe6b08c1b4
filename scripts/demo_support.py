"""The tour's shared pieces (``scripts/demo_tour.py``): its failure and checks, what it prints,
local-file helpers, the record of what the SDK sent (:class:`Wire`) and the step counter
(:class:`Tour`)."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import google_crc32c
import httpx

from bucketry import Bucket, Client

MiB = 1024 * 1024


class TourFailure(AssertionError):
    """A check of the tour failed."""


def check(condition: object, message: str) -> None:
    """``assert`` that survives ``python -O`` and says what was expected."""
    if not condition:
        raise TourFailure(message)


def settled_upload(client: Client, bucket_id: str, key: str) -> Any:
    """The one open upload of ``key``, once two listings 50 ms apart show the same parts: a
    part whose whole body had left when the client was interrupted is still stored by the
    server a moment later (the resume then finds it and skips it)."""
    seen: list[int] | None = None
    for _ in range(100):
        open_uploads, _ = client.api.uploads.list(bucket_id, key=key)
        check(len(open_uploads.results) == 1, "the interrupted upload stays open")
        upload = open_uploads.results[0]
        parts = sorted(p.part_number for p in upload.parts)
        if parts == seen:
            return upload
        seen = parts
        time.sleep(0.05)
    raise TourFailure(f"the parts of {key} kept changing: {seen}")


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def say(text: str = "") -> None:
    for line in text.splitlines() or [""]:
        print(f"    {line}", flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(MiB):
            h.update(chunk)
    return h.hexdigest()


def crc32c_file(path: Path) -> str:
    """The file's CRC32C as the server shows it (base64 of the big-endian 4 bytes)."""
    crc = 0
    with path.open("rb") as f:
        while chunk := f.read(MiB):
            crc = google_crc32c.extend(crc, chunk)
    return base64.b64encode(int(crc).to_bytes(4, "big")).decode()


def write_random(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, 4 * MiB)
            f.write(os.urandom(n))
            left -= n


def local_files(root: Path) -> dict[str, Path]:
    """Relative POSIX path -> path of every regular file below ``root``."""
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


class Wire:
    """What the SDK sent: an httpx response hook on ``client.http`` records every request
    (method, path, status), from whichever thread sent it."""

    def __init__(self, client: Client) -> None:
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str, int]] = []
        self.lengths: list[int] = []  # each call's request Content-Length (0: none)
        hooks = client.http.event_hooks
        client.http.event_hooks = {
            "request": list(hooks.get("request", [])),
            "response": [*hooks.get("response", []), self._on_response],
        }

    def _on_response(self, response: httpx.Response) -> None:
        length = int(response.request.headers.get("content-length") or 0)
        with self._lock:
            self.calls.append((response.request.method, response.url.path, response.status_code))
            self.lengths.append(length)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[tuple[str, str, int]]:
        with self._lock:
            return self.calls[mark:]

    def parts_sent(self, mark: int) -> list[int]:
        """Part numbers of the multipart PUTs the server accepted since ``mark``."""
        return [
            int(path.rsplit("/", 1)[-1])
            for method, path, status in self.since(mark)
            if method == "PUT" and "/parts/" in path and 200 <= status < 300
        ]

    def part_layout(self, mark: int) -> list[tuple[int, int]]:
        """(part number, bytes) of the multipart PUTs the server accepted since ``mark``, by
        number."""
        with self._lock:
            calls = list(zip(self.calls[mark:], self.lengths[mark:], strict=True))
        return sorted(
            (int(path.rsplit("/", 1)[-1]), length)
            for (method, path, status), length in calls
            if method == "PUT" and "/parts/" in path and 200 <= status < 300
        )

    def listings(self, mark: int) -> int:
        """Blob listing requests since ``mark``."""
        return sum(
            1 for method, path, _ in self.since(mark) if method == "GET" and path.endswith("/blobs")
        )


class Tour:
    def __init__(self, steps: int) -> None:
        self.steps = steps  # how many steps the tour has
        self.number = 0
        self.title = ""
        self.started = time.monotonic()

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.number += 1
        self.title = title
        print(f"\n[{self.number}/{self.steps}] {title}", flush=True)
        t0 = time.monotonic()
        yield
        say(f"ok ({time.monotonic() - t0:.2f} s)")


def snapshot(bucket: Bucket, prefix: str) -> dict[str, tuple[int, str | None, str | None]]:
    """key -> (size, etag, crc32c) of every blob under ``prefix``."""
    return {b.key: (b.size, b.etag, b.crc32c) for b in bucket.list(prefix) if not b.is_dir}
