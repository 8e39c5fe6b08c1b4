"""The SDK's CRC32C module: values as ``google-crc32c`` computes them, combining the CRCs of
pieces into the CRC of the whole, and agreement with the server's copy of the module."""

from __future__ import annotations

import itertools
from pathlib import Path

import google_crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bucketry.transfer import crc as sdk
from bucketry_server import crc32c as server


def test_known_values_and_wire_form() -> None:
    assert sdk.crc32c(b"123456789") == 0xE3069283
    assert sdk.to_wire(sdk.crc32c(b"hello")) == "mnG7TA=="
    assert sdk.from_wire(sdk.to_wire(0xFFFFFFFF)) == 0xFFFFFFFF
    for bad in ("AAAA", "AAAAAAAA", "not base64"):
        with pytest.raises(ValueError, match="CRC32C"):
            sdk.from_wire(bad)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096), st.lists(st.integers(0, 4096), max_size=6))
def test_combine_of_random_splits_is_the_crc_of_the_whole(data: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds)]
    whole = int(google_crc32c.value(data))
    assert sdk.combine_all([(sdk.crc32c(p), len(p)) for p in pieces]) == whole


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**40))
def test_sdk_and_server_copies_agree(crc1: int, crc2: int, length: int) -> None:
    assert sdk.combine(crc1, crc2, length) == server.combine(crc1, crc2, length)


def test_crc_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = bytes(range(256)) * 9000
    path.write_bytes(data)
    assert sdk.crc32c_file(str(path), chunk=4096) == int(google_crc32c.value(data))
