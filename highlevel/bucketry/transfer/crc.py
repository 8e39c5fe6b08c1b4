"""CRC32C (Castagnoli), the default transfer checksum, and combining CRCs of consecutive
pieces into the CRC of the whole (a multipart upload's full-object value) without reading
the bytes again.

The CRC itself comes from ``google-crc32c`` (C, SSE4.2/ARMv8 instructions: ~10 GB/s, so
it costs nothing next to moving the bytes). :func:`combine` is zlib's ``crc32_combine``
(GF(2) matrix powers) for the reflected Castagnoli polynomial. The server has the same ~40
lines in ``bucketry_server.crc32c`` (the SDK never imports the server); keep the two in step.

Wire form: base64 of the big-endian 4 bytes, as ``X-Checksum-CRC32C`` and S3's
``x-amz-checksum-crc32c``.
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


def _times(matrix: list[int] | tuple[int, ...], vec: int) -> int:
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
    (``crc1`` advanced over ``len2`` zero bytes, XOR ``crc2``; at most 64 small
    matrix-vector products, whatever the length)."""
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


def from_wire(value: str) -> int:
    """Parse the base64 form; raises ``ValueError`` unless it is base64 of exactly 4 bytes."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not a base64 CRC32C: {value!r}") from exc
    if len(raw) != 4:
        raise ValueError(f"not a base64 CRC32C: {value!r}")
    return int.from_bytes(raw, "big")


def crc32c_file(path: str, chunk: int = 1024 * 1024) -> int:
    """The CRC32C of a whole file, read in ``chunk`` reads (never whole in memory)."""
    crc = 0
    with open(path, "rb", buffering=0) as f:
        while data := f.read(chunk):
            crc = crc32c(data, crc)
    return crc
