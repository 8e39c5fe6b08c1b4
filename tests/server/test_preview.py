"""Bucket previews under hostile images: bounded decoding, bounded concurrency, one decode per
blob version."""

from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bucketry_api import ApiClient
from bucketry_api.models import BucketCreate
from bucketry_server.buckets import thumbnails
from tests.support.live_server import LiveServer

SIDE = 8900  # 79.2 million pixels: under Pillow's bomb limit and the old 80 MP cap


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def palette_bomb(side: int = SIDE) -> bytes:
    """A few KB of PNG that decodes to ``side``² palette pixels (built without allocating them)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 3, 0, 0, 0)  # 8-bit palette
    z = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # filter byte + one palette index per pixel
    data = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"PLTE", b"\xff\x00\x00")
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def _image(color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), color).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Sizes of every image Pillow decodes (in this process, so also in the live server)."""
    from PIL import ImageFile

    seen: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(self: Any) -> Any:
        seen.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def _preview(server: LiveServer, token: str, bucket: str) -> httpx.Response:
    return httpx.get(
        f"{server.api}/buckets/{bucket}/preview",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_huge_palette_png_is_not_decoded(loads: list[tuple[int, int]]) -> None:
    bomb = palette_bomb()
    assert len(bomb) < 200_000
    assert thumbnails.make_thumbnail(bomb) is None
    assert loads == []  # refused from the header alone
    # Under the limit, palette images still preview (reduced before conversion).
    small = palette_bomb(2000)
    thumb = thumbnails.make_thumbnail(small)
    assert thumb is not None
    from PIL import Image

    img = Image.open(io.BytesIO(thumb))
    assert img.size == (256, 256)
    r, g, b = img.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60


def test_preview_skips_a_huge_image_undecoded(
    server: LiveServer,
    alice: ApiClient,
    users: dict[str, str],
    unique: str,
    loads: list[tuple[int, int]],
) -> None:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"bomb-{unique}", public=True))
    alice.blobs.put(b.id, key="a-bomb.png", body=palette_bomb())
    r = httpx.get(f"{server.api}/buckets/{b.id}/preview", timeout=60)  # anonymous, public
    assert r.status_code == 404 and r.json()["code"] == "no_preview"
    alice.blobs.put(b.id, key="b-green.png", body=_image((0, 255, 0)))
    r = _preview(server, users["alice"], b.id)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    limit = server.settings.preview_max_pixels
    assert loads and all(w * h <= limit for w, h in loads), loads


@pytest.fixture
def slow_decodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Count decodes (total and most at once); each takes 0.3 s."""
    stats = {"calls": 0, "running": 0, "most": 0}
    lock = threading.Lock()
    original = thumbnails.make_thumbnail

    def slow(data: bytes, *args: Any) -> bytes | None:
        with lock:
            stats["calls"] += 1
            stats["running"] += 1
            stats["most"] = max(stats["most"], stats["running"])
        try:
            time.sleep(0.3)
            return original(data, *args)
        finally:
            with lock:
                stats["running"] -= 1

    monkeypatch.setattr(thumbnails, "make_thumbnail", slow)
    yield stats


def test_concurrent_previews_are_bounded(
    server: LiveServer,
    alice: ApiClient,
    users: dict[str, str],
    unique: str,
    slow_decodes: dict[str, int],
) -> None:
    ids = []
    for i in range(6):
        b, _ = alice.buckets.create(body=BucketCreate(name=f"many-{unique}-{i}"))
        alice.blobs.put(b.id, key="img.png", body=_image((10 * i, 0, 0)))
        ids.append(b.id)
    codes: list[int] = []
    threads = [
        threading.Thread(
            target=lambda b=b: codes.append(_preview(server, users["alice"], b).status_code)
        )
        for b in ids
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 6
    assert slow_decodes["calls"] == 6
    assert slow_decodes["most"] <= 2  # the default preview_concurrency
    assert server.settings.preview_concurrency == 2


def test_preview_is_made_once_per_blob_version(
    server: LiveServer,
    alice: ApiClient,
    users: dict[str, str],
    unique: str,
    slow_decodes: dict[str, int],
) -> None:
    from PIL import Image

    b, _ = alice.buckets.create(body=BucketCreate(name=f"cache-{unique}"))
    alice.blobs.put(b.id, key="img.jpg", body=_image((0, 0, 255), "JPEG"))
    first = _preview(server, users["alice"], b.id)
    second = _preview(server, users["alice"], b.id)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and slow_decodes["calls"] == 1
    alice.blobs.put(b.id, key="img.jpg", body=_image((255, 0, 0), "JPEG"))  # a new version
    third = _preview(server, users["alice"], b.id)
    assert slow_decodes["calls"] == 2
    r, _, bl = Image.open(io.BytesIO(third.content)).convert("RGB").getpixel((5, 5))  # type: ignore[misc]
    assert r > 200 and bl < 60
