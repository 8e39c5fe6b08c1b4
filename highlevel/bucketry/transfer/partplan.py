"""The grid of a multipart upload's parts: part ``n`` of a file starts at ``(n - 1) *
part_size``, a part may span several slots of that grid (merged on a fast link), and a resumed
upload finds the parts the server holds at their slots (:mod:`.multipart` sends them)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .options import MiB

#: On a fast link the parts still to send are merged into parts of up to this size (see
#: :mod:`.streams`): at the 256 MiB/s that makes a link fast, an interrupted part loses at
#: most about 4 s of sending; well below every store's part limit (S3: 5 GiB).
MAX_MERGED_PART = 1024 * MiB


@dataclass(frozen=True)
class PartSpec:
    """Part ``number`` (1-based): ``length`` bytes of the file from ``offset``."""

    number: int
    offset: int
    length: int


@dataclass(frozen=True)
class ReceivedPart:
    """What the server holds of a part already sent (a resumed upload)."""

    size: int
    sha256: str | None
    crc32c: str | None
    etag: str


def choose_part_size(size: int, requested: int, min_part: int, max_parts: int) -> int:
    """The part size for a file of ``size`` bytes: ``requested``, at least
    ``min_part``, and raised (to whole MiB) so that at most ``max_parts`` parts are needed."""
    part = max(requested, min_part, 1)
    if size > part * max_parts:
        part = math.ceil(size / max_parts / MiB) * MiB
    return part


def plan_parts(
    size: int, part_size: int, received: Mapping[int, ReceivedPart] | None = None
) -> list[PartSpec]:
    """The parts of a file of ``size`` bytes (one empty part for an empty file): part ``n``
    starts at ``(n - 1) * part_size``. Part numbers are slots of that grid, so a part may span
    several slots (:func:`merge_parts`); a ``received`` part (a resumed upload) that does, its
    size a whole number of slots (or reaching the end of the file), is planned at its own
    size, so it can be reused; the slots it covers get no part of their own."""
    if size == 0:
        return [PartSpec(1, 0, 0)]
    specs: list[PartSpec] = []
    offset = 0
    while offset < size:
        number = offset // part_size + 1
        length = min(part_size, size - offset)
        have = (received or {}).get(number)
        if have is not None and have.size > length and offset + have.size <= size:
            if have.size % part_size == 0 or offset + have.size == size:
                length = have.size
        specs.append(PartSpec(number, offset, length))
        offset += length
    return specs


def merge_parts(
    specs: list[PartSpec], received: Mapping[int, ReceivedPart], limit: int | None = None
) -> list[PartSpec]:
    """``specs`` with each run of consecutive parts the server does not hold joined into parts
    of at most ``limit`` bytes (default :data:`MAX_MERGED_PART`), each numbered by its first
    slot (``plan_parts`` finds it there on a resume). Parts the server holds stay as they
    are, to be reused."""
    limit = MAX_MERGED_PART if limit is None else limit
    merged: list[PartSpec] = []
    for spec in specs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and spec.number not in received
            and last.number not in received
            and last.offset + last.length == spec.offset
            and last.length + spec.length <= limit
        ):
            merged[-1] = PartSpec(last.number, last.offset, last.length + spec.length)
        else:
            merged.append(spec)
    return merged
