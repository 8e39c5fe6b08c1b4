"""Bucket previews: a small JPEG thumbnail of an image, made with Pillow, with bounded memory.

A preview is an anonymous operation on public buckets, so its cost must not depend on what an
uploader chose: a 10 KB PNG can declare 80 million palette pixels. Only the header is read
before deciding (``Image.open`` is lazy): images above ``max_pixels`` (or whose decoded form
would exceed ``max_pixels * 4`` bytes) are skipped undecoded; JPEGs decode at a reduced scale
(``draft``), others are reduced before any full-size conversion. At most ``concurrency``
decodes run at once, and each blob version (named by the caller: bucket id, key and etag) is
thumbnailed once: the result, or the fact that it has none, is kept in a small LRU cache.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")
MAX_SIDE = 256
#: Images larger than this are not read for a preview (the next candidate is tried).
MAX_SOURCE_BYTES = 64 * 1024 * 1024
#: Default pixel limit of a preview source (``Settings.preview_max_pixels``).
MAX_PIXELS = 24_000_000
#: Thumbnails (or "no thumbnail") remembered per object id.
CACHE_ENTRIES = 512


def _decoded_bytes(img: Any) -> int:
    """Bytes of ``img`` decoded at full size in its own mode."""
    depth = 4 if img.mode in ("I", "F") else 2 if "16" in img.mode else 1
    return int(img.width) * int(img.height) * len(img.getbands()) * depth


def _shrink(img: Any, max_side: int) -> Any:
    """A frame at most ``max_side`` pixels on its longest side, never converted at full size."""
    from PIL import Image

    frame = img
    if frame.mode in ("1", "P", "PA"):
        # Converting a palette image costs 4 bytes a pixel: first cut it down (nearest keeps
        # the palette) to a few times the thumbnail, then convert and resample properly.
        box = 4 * max_side
        if max(frame.size) > box:
            scale = box / max(frame.size)
            size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
            frame = frame.resize(size, Image.Resampling.NEAREST)
        frame = frame.convert("RGBA")
    frame.thumbnail((max_side, max_side))  # reduce() first, then resample: no full-size copy
    return frame


def make_thumbnail(
    data: bytes, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS
) -> bytes | None:
    """A JPEG at most ``max_side`` pixels on its longest side, or None if ``data`` is not a
    decodable image or is larger than ``max_pixels`` (then it is not decoded at all)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:  # reads the header only
                if img.width * img.height > max_pixels or _decoded_bytes(img) > max_pixels * 4:
                    return None
                img.draft("RGB", (max_side, max_side))  # JPEG: decode at reduced scale
                img.seek(0)
                frame = _shrink(img, max_side)
                if frame.mode in ("RGBA", "LA"):
                    background = Image.new("RGB", frame.size, (255, 255, 255))
                    background.paste(frame, mask=frame.getchannel("A"))
                    frame = background
                elif frame.mode != "RGB":
                    frame = frame.convert("RGB")
                out = io.BytesIO()
                frame.save(out, format="JPEG", quality=85)
                return out.getvalue()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        ValueError,
        SyntaxError,  # some Pillow plugins signal corrupt headers this way
        EOFError,
    ):
        return None


class Thumbnails:
    """Thumbnails per blob version with at most ``concurrency`` sources read and decoded at
    once (bytes in memory at most concurrency * MAX_SOURCE_BYTES plus the decodes' bounded pixels).

    Used from the event loop only (the cache has no lock); decoding runs in a worker thread.
    """

    def __init__(self, max_pixels: int = MAX_PIXELS, concurrency: int = 2) -> None:
        self.max_pixels = max_pixels
        self.concurrency = max(1, concurrency)
        self._slots: asyncio.Semaphore | None = None
        self._cache: OrderedDict[str, bytes | None] = OrderedDict()

    def cached(self, object_id: str) -> tuple[bool, bytes | None]:
        """``(known, thumbnail)``: whether ``object_id`` was thumbnailed before, and the result."""
        if object_id not in self._cache:
            return False, None
        self._cache.move_to_end(object_id)
        return True, self._cache[object_id]

    async def thumbnail(self, object_id: str, read: Callable[[], Awaitable[bytes]]) -> bytes | None:
        """The thumbnail of object ``object_id`` (None: not an image, or too large).

        ``read`` fetches the source bytes; its exceptions propagate (nothing is cached then).
        """
        known, thumb = self.cached(object_id)
        if known:
            return thumb
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots:
            known, thumb = self.cached(object_id)  # made while this request waited
            if known:
                return thumb
            data = await read()
            thumb = await asyncio.to_thread(make_thumbnail, data, MAX_SIDE, self.max_pixels)
        self._cache[object_id] = thumb
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return thumb
