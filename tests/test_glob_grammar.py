"""One glob grammar: the case table of ``tests/glob_cases.py`` against the SDK matcher and
the server matcher, so the two cannot drift apart unnoticed."""

from __future__ import annotations

import re

import pytest

from bucketry.transfer.filters import glob_to_regex
from bucketry_server.globbing import compile_glob
from tests.glob_cases import CASES, DIFFERENCE_CASES, KNOWN_DIFFERENCES


def sdk_matches(pattern: str, key: str) -> bool:
    return re.fullmatch(glob_to_regex(pattern), key, re.DOTALL) is not None


def server_matches(pattern: str, key: str) -> bool:
    return compile_glob(pattern).matches(key)


@pytest.mark.parametrize(("pattern", "key", "expected"), CASES)
def test_sdk_matcher(pattern: str, key: str, expected: bool) -> None:
    assert sdk_matches(pattern, key) is expected


@pytest.mark.parametrize(("pattern", "key", "expected"), CASES)
def test_server_matcher(pattern: str, key: str, expected: bool) -> None:
    assert server_matches(pattern, key) is expected


@pytest.mark.parametrize(("pattern", "key", "sdk", "server"), DIFFERENCE_CASES)
def test_known_differences_are_what_the_table_says(
    pattern: str, key: str, sdk: bool, server: bool
) -> None:
    assert pattern in KNOWN_DIFFERENCES
    assert (sdk_matches(pattern, key), server_matches(pattern, key)) == (sdk, server)
