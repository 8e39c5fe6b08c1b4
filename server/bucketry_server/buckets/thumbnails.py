"""Bucket previews: a small JPEG thumbnail of an image, made with Pillow."""

from __future__ import annotations

import io
import warnings

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")
MAX_SIDE = 256
#: Images larger than this are not read for a preview (the next candidate is tried).
MAX_SOURCE_BYTES = 64 * 1024 * 1024
#: Refuse decompression bombs well below Pillow's own limit.
MAX_PIXELS = 80_000_000


def make_thumbnail(data: bytes, max_side: int = MAX_SIDE) -> bytes | None:
    """A JPEG at most ``max_side`` pixels on its longest side, or None if ``data`` is not a
    decodable image (or is absurdly large once decoded)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    return None
                img.draft("RGB", (max_side, max_side))  # JPEG: decode at reduced scale
                img.seek(0)
                frame = img.convert("RGBA") if img.mode in ("P", "LA", "PA") else img.copy()
                frame.thumbnail((max_side, max_side))
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
