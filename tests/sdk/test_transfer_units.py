"""Transfer pieces that need no server: filters, key→path safety, mtimes, part planning,
reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bucketry.resources.blobs import BlobInfo
from bucketry.transfer import FileResult, TransferError, TransferReport
from bucketry.transfer.filters import IgnoreRules, PathFilter, PatternSet
from bucketry.transfer.folders import UnsafeKeyError, local_path_for, safe_relative, walk
from bucketry.transfer.mtimes import format_mtime, is_newer, parse_mtime, remote_mtime_ns
from bucketry.transfer.multipart import choose_part_size, plan_parts

MiB = 1024 * 1024


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.png", "a.png", True),
        ("*.png", "deep/er/a.png", True),  # no slash: any depth
        ("*.png", "a.png.txt", False),
        ("raw/*.png", "raw/a.png", True),
        ("raw/*.png", "raw/x/a.png", False),  # * stays in one segment
        ("raw/**/*.png", "raw/a.png", True),  # ** spans zero segments
        ("raw/**/*.png", "raw/x/y/a.png", True),
        ("raw/**/*.png", "other/raw/a.png", False),  # anchored
        ("**/tmp", "a/b/tmp", True),
        ("logs/**", "logs/x/y.txt", True),
        ("/top.txt", "top.txt", True),
        ("/top.txt", "sub/top.txt", False),
        ("?.txt", "a.txt", True),
        ("?.txt", "ab.txt", False),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "c.txt", True),
        ("[!ab].txt", "a.txt", False),
        ("build", "build/out/x.o", True),  # below a matching directory
        ("build/", "build/x", True),
        ("build/", "build", False),  # trailing / matches directories only
    ],
)
def test_pattern_semantics(pattern: str, path: str, expected: bool) -> None:
    assert PatternSet([pattern]).matches(path) is expected


def test_include_exclude() -> None:
    f = PathFilter(include=["*.txt", "data/**"], exclude=["tmp/", "*secret*"])
    assert f.wants("a.txt")
    assert f.wants("data/x.bin")
    assert not f.wants("a.bin")
    assert not f.wants("tmp/a.txt")
    assert not f.wants("docs/secret.txt")
    assert not f.wants(".a.txt.bucketry-partial")  # our own partial downloads never travel
    with pytest.raises(TypeError):
        PathFilter(include="*.txt")


def test_ignore_rules_like_gitignore() -> None:
    rules = IgnoreRules(
        [
            "# a comment",
            "",
            "*.log",
            "!keep.log",
            "build/",
            "\\#literal",
            "trailing   ",
        ]
    )
    assert rules.ignored("a.log", False)
    assert rules.ignored("x/y.log", False)
    assert not rules.ignored("keep.log", False)  # negation, last match wins
    assert rules.ignored("build", True)
    assert not rules.ignored("build", False)  # a file named build is not a directory
    assert rules.ignored("#literal", False)
    assert rules.ignored("trailing", False)
    assert not rules.ignored("a.txt", False)


def test_walk_prunes_ignored_dirs_and_sorts(tmp_path: Path) -> None:
    for rel in ["b.txt", "a/z.txt", "a/y.log", "build/x.txt", "c/keep.log", "c/d/e.txt"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(rel)
    rules = IgnoreRules(["*.log", "!keep.log", "build/"])
    rels = [f.rel for f in walk(tmp_path, PathFilter(ignore=rules))]
    assert rels == ["a/z.txt", "b.txt", "c/d/e.txt", "c/keep.log"]


@pytest.mark.parametrize("rel", ["", "../x", "a/../../x", "/abs", "a//b", "./a", "a/.", "a\x00b"])
def test_unsafe_keys_refused(rel: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeKeyError):
        local_path_for(tmp_path, rel)


def test_safe_key_maps_below_root(tmp_path: Path) -> None:
    assert local_path_for(tmp_path, "a/b c/été.txt") == tmp_path / "a" / "b c" / "été.txt"
    assert str(safe_relative("x/y")) == "x/y"


def test_mtime_round_trip_and_rules() -> None:
    ns = 1_700_000_000_123_456_789
    assert parse_mtime(format_mtime(ns)) == ns
    assert parse_mtime("1700000000") == 1_700_000_000 * 10**9
    assert parse_mtime("1700000000.5") == 1_700_000_000_500_000_000
    assert parse_mtime("not a time") is None
    assert is_newer(2, 1) and not is_newer(1, 1) and not is_newer(1, 2)
    assert is_newer(1, None) and not is_newer(None, 1)
    # recorded mtime wins over modified_at; modified_at is shifted by the server's offset
    modified = datetime(2024, 1, 1, tzinfo=UTC)
    recorded = BlobInfo("k", metadata={"mtime": format_mtime(ns)}, modified_at=modified)
    assert remote_mtime_ns(recorded, 10**9) == ns
    plain = BlobInfo("k", modified_at=modified)
    assert remote_mtime_ns(plain, 0) == int(modified.timestamp()) * 10**9
    assert remote_mtime_ns(plain, 5 * 10**9) == (int(modified.timestamp()) - 5) * 10**9


def test_part_planning() -> None:
    assert choose_part_size(100 * MiB, 8 * MiB, 5 * MiB, 10_000) == 8 * MiB
    assert choose_part_size(100 * MiB, 1 * MiB, 5 * MiB, 10_000) == 5 * MiB  # server minimum
    grown = choose_part_size(100_000 * MiB, 8 * MiB, 5 * MiB, 10_000)
    assert grown >= 10 * MiB and 100_000 * MiB / grown <= 10_000  # ≤ 10,000 parts
    parts = plan_parts(10 * MiB + 1, 4 * MiB)
    assert [(p.number, p.offset, p.length) for p in parts] == [
        (1, 0, 4 * MiB),
        (2, 4 * MiB, 4 * MiB),
        (3, 8 * MiB, 2 * MiB + 1),
    ]
    assert [p.length for p in plan_parts(0, 4 * MiB)] == [0]


def test_report_summary_and_errors() -> None:
    boom = ValueError("boom")
    report = TransferReport(
        "upload",
        [
            FileResult("a", None, "uploaded", size=10, bytes=10),
            FileResult("b", None, "skipped", size=5, reason="up to date"),
            FileResult("c", None, "failed", size=5, reason="ValueError: boom", error=boom),
        ],
        elapsed=1.0,
    )
    assert not report.ok and len(report.failed) == 1 and report.bytes == 10
    assert report.summary().startswith("1 uploaded, 1 skipped, 1 failed")
    with pytest.raises(ValueError, match="boom"):
        report.raise_for_errors()
    report.results.append(FileResult("d", None, "failed", reason="x", error=OSError("x")))
    with pytest.raises(TransferError) as info:
        report.raise_for_errors()
    assert [r.key for r in info.value.results] == ["c", "d"]


def test_transfer_options_are_public_typed_and_checked(tmp_path: Path) -> None:
    """``TransferOptions`` replaces the ``**options: Any`` relays: a misspelt option is a
    ``TypeError`` naming it, ``options=`` and keywords combine, and ``help`` lists them."""
    import pydoc

    from bucketry import Bucket, Client, TransferOptions
    from bucketry.transfer.options import resolve_options

    base = TransferOptions(part_size=16 * 1024 * 1024)
    merged = resolve_options(base, {"file_concurrency": 2})
    assert (merged.part_size, merged.file_concurrency) == (16 * 1024 * 1024, 2)
    with pytest.raises(TypeError, match="'part_sise'"):
        resolve_options(None, {"part_sise": 1})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(ValueError):
        TransferOptions(max_concurrency=0)
    bucket = Client(url="http://127.0.0.1:9", token="t", progress=False).bucket("b")
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(TypeError, match="'part_sise'"):  # before any request
        bucket.upload(tmp_path / "f", part_sise=1)  # type: ignore[call-arg]
    text = pydoc.render_doc(Bucket.upload)
    for name in ("part_size", "multipart_threshold", "file_concurrency", "batch_bytes"):
        assert name in text


def test_resume_matches_a_received_part_by_crc32c_else_sha256() -> None:
    """A part found on the server is reused only when its bytes are ours: by its CRC32C, or
    by its SHA-256 for a part stored before the server kept CRCs."""
    import hashlib

    from bucketry.transfer.checksums import digest_bytes
    from bucketry.transfer.crc import crc32c, to_wire
    from bucketry.transfer.multipart import PartSpec, ReceivedPart, _matches

    data = b"part bytes" * 100
    spec = PartSpec(1, 0, len(data))

    def local(algorithm: str) -> str:
        return digest_bytes(data, algorithm)

    ours_crc, ours_sha = to_wire(crc32c(data)), hashlib.sha256(data).hexdigest()
    other_crc = to_wire(crc32c(b"x" + data[1:]))
    assert _matches(ReceivedPart(len(data), None, ours_crc, '"e"'), spec, local)
    assert not _matches(ReceivedPart(len(data), None, other_crc, '"e"'), spec, local)
    assert _matches(ReceivedPart(len(data), ours_sha.upper(), None, '"e"'), spec, local)
    assert not _matches(ReceivedPart(len(data), "0" * 64, None, '"e"'), spec, local)
    assert not _matches(ReceivedPart(len(data) - 1, None, ours_crc, '"e"'), spec, local)
