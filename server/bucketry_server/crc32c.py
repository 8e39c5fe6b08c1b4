"""CRC32C (Castagnoli): the default transfer checksum, and combining part CRCs into the CRC of
their concatenation without reading the bytes again.

The CRC itself comes from ``google-crc32c`` (C, SSE4.2/ARMv8 instructions). :func:`combine`
is zlib's ``crc32_combine`` (GF(2) matrix powers) for the reflected Castagnoli polynomial: it
is how a multipart upload's full-object CRC is made from the stored part CRCs at completion,
the scheme of S3's full-object checksums. The SDK has the same ~40 lines in
``bucketry.transfer.crc`` (the server never imports the SDK); keep the two in step.

Wire form (headers and JSON): base64 of the big-endian 4 bytes, as S3's
``x-amz-checksum-crc32c``. Stored form: the same text.
"""

from __future__ import annotations

import base64
import binascii
import functools

import google_crc32c

_POLY = 0x82F63B78  # Castagnoli, reflected


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The CRC32C of ``data``, continuing from ``crc`` (the CRC of the bytes before it)."""
    if not isinstance(data, bytes):  # the C extension takes ``bytes`` only
        data = bytes(data)
    return int(google_crc32c.extend(crc, data))


def _times(matrix: list[int], vec: int) -> int:
    total, i = 0, 0
    while vec:
        if vec & 1:
            total ^= matrix[i]
        vec >>= 1
        i += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, matrix[n]) for n in range(32)]


@functools.cache
def _zero_bytes_operators() -> tuple[list[int], ...]:
    """Operator ``k`` appends ``2**k`` zero bytes to a CRC (k = 0..63), built once."""
    op = [_POLY] + [1 << n for n in range(31)]  # one zero bit
    for _ in range(3):  # 2, 4, 8 zero bits: one zero byte
        op = _square(op)
    ops = [op]
    for _ in range(63):
        ops.append(_square(ops[-1]))
    return tuple(ops)


def combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC32C of ``A + B`` from ``crc1`` = CRC(A), ``crc2`` = CRC(B) and ``len2`` = len(B)
    (zlib's ``crc32_combine``: ``crc1`` advanced over ``len2`` zero bytes, XOR ``crc2``; at
    most 64 small matrix-vector products, whatever the length)."""
    ops = _zero_bytes_operators()
    k = 0
    while len2 > 0:
        if len2 & 1:
            crc1 = _times(ops[k], crc1)
        len2 >>= 1
        k += 1
    return crc1 ^ crc2


def combine_all(parts: list[tuple[int, int]]) -> int:
    """The CRC32C of the concatenation of parts given as ``(crc, length)``, in order."""
    crc = 0
    for part_crc, length in parts:
        crc = combine(crc, part_crc, length)
    return crc


def to_wire(crc: int) -> str:
    """``crc`` as base64 of its big-endian 4 bytes (``X-Checksum-CRC32C``)."""
    return base64.b64encode(crc.to_bytes(4, "big")).decode("ascii")


def from_wire(value: str, name: str = "X-Checksum-CRC32C") -> int:
    """Parse the base64 form; raises ``ValueError`` naming ``name`` if it is not base64 of
    exactly 4 bytes."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{name} must be base64 of 4 bytes") from exc
    if len(raw) != 4:
        raise ValueError(f"{name} must be base64 of 4 bytes")
    return int.from_bytes(raw, "big")
