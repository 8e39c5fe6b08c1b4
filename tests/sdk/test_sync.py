"""Sync with dry-run against the real server: the streaming sorted merge, comparison modes,
deletions, plans saved and applied, and that a dry run changes nothing on either side."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from bucketry import Bucket, Client, ProgressAdvance, ProgressEvent, ProgressStart
from bucketry.sync import SyncPlan, plan_ops, remote_mtime
from bucketry.transfer.filters import PathFilter
from bucketry.transfer.walk import walk_sorted
from tests.sdk.transfer_support import crc

# Names whose per-directory order differs from full-path byte order ("-" and "." sort below
# "/"), plus non-ASCII names (UTF-8 byte order == code point order) and an uppercase one.
TRICKY = [
    "a-b",
    "a.txt",
    "a/x",
    "a/y/z",
    "a0",
    "ab",
    "A",
    "b",
    "é",
    "z/a b",
    "日本/語",
    "a!",
]


def write_tree(root: Path, files: dict[str, bytes], mtime: float | None = None) -> None:
    for rel, data in files.items():
        path = root.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))


def put_remote(bucket: Bucket, files: dict[str, bytes]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda kv: bucket.blob(kv[0]).write_bytes(kv[1]), files.items()))


def local_snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    out: dict[str, tuple[bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
        else:
            out[path.relative_to(root).as_posix() + "/"] = (b"", 0)
    return out


def remote_snapshot(bucket: Bucket) -> dict[str, tuple[Any, ...]]:
    return {
        b.key: (b.size, b.etag, b.sha256, b.modified_at, bucket.blob(b.key).read_bytes())
        for b in bucket.list("", recursive=True)
    }


def counts(plan: SyncPlan) -> dict[str, int]:
    return {action: n for action, (n, _) in plan.counts().items() if n}


# ---------------------------------------------------------------- ordering


def test_local_walk_is_in_full_path_byte_order(tmp_path: Path) -> None:
    write_tree(tmp_path, {name: b"x" for name in TRICKY})
    walked = [f.rel for f in walk_sorted(tmp_path)]
    assert walked == sorted(TRICKY, key=lambda s: s.encode("utf-8"))
    # The edge case: a naive walk that sorts names per directory puts "a/..." before "a-b".
    naive = []
    for dirpath, dirnames, filenames in os.walk(tmp_path):
        dirnames.sort()
        base = Path(dirpath).relative_to(tmp_path).as_posix()
        for name in sorted(filenames):
            naive.append(name if base == "." else f"{base}/{name}")
    assert naive != walked
    assert walked.index("a-b") < walked.index("a/x") < walked.index("a0")


def test_merge_matches_server_listing_order(tmp_path: Path, bucket: Bucket) -> None:
    files = {name: name.encode() * 3 for name in TRICKY}
    put_remote(bucket, {f"p/{k}": v for k, v in files.items()})
    write_tree(tmp_path, files, mtime=time.time() - 3600)
    listed = [b.key[2:] for b in bucket.list("p/", recursive=True, page_size=5)]
    assert listed == [f.rel for f in walk_sorted(tmp_path)]
    # A wrong merge would pair nothing and plan an upload and a delete per name.
    plan = bucket.sync(tmp_path, "p", delete=True, dry_run=True, compare="checksum")
    assert counts(plan) == {"skip": len(TRICKY)}
    assert {op.reason for op in plan} == {"identical (crc32c)"}
    plan = bucket.sync(tmp_path, "p", delete=True, dry_run=True, update=True)  # remote newer
    assert counts(plan) == {"skip": len(TRICKY)}


def test_listing_is_consumed_lazily(tmp_path: Path, client: Client, bucket: Bucket) -> None:
    n, page = 600, 20
    put_remote(bucket, {f"k/{i:05d}": b"" for i in range(n)})
    listing_calls: list[str] = []

    def hook(response: httpx.Response) -> None:
        if response.request.method == "GET" and response.request.url.path.endswith("/blobs"):
            listing_calls.append(str(response.request.url))

    client.http.event_hooks["response"].append(hook)
    ops = plan_ops(bucket, tmp_path / "absent", "k", direction="download", page_size=page)
    assert listing_calls == []  # a generator: nothing fetched before the first op is asked for
    seen = []
    for i, op in enumerate(ops, 1):
        seen.append(op)
        if i == 1:
            assert len(listing_calls) == 1
        if i in (10 * page, 20 * page + 1):
            assert len(listing_calls) == -(-i // page)  # exactly the pages reached so far
    assert len(seen) == n
    assert all(op.action == "download" for op in seen)
    assert len(listing_calls) in (n // page, n // page + 1)


# ---------------------------------------------------------------- dry runs change nothing


def test_dry_run_upload_changes_nothing(tmp_path: Path, bucket: Bucket) -> None:
    put_remote(bucket, {"d/keep": b"same", "d/old": b"extraneous", "d/changed": b"v1"})
    time.sleep(0.01)
    write_tree(tmp_path, {"keep": b"same", "changed": b"v2 longer", "new/file": b"n"})
    os.utime(tmp_path / "changed", (time.time() + 60, time.time() + 60))
    before_local, before_remote = local_snapshot(tmp_path), remote_snapshot(bucket)
    plan = bucket.sync(tmp_path, "d", delete=True, dry_run=True)
    assert plan.dry_run and plan.results is None
    assert counts(plan) == {"upload": 2, "delete": 1, "skip": 1}
    assert local_snapshot(tmp_path) == before_local
    assert remote_snapshot(bucket) == before_remote
    assert "dry run" in plan.summary()


def test_dry_run_download_changes_nothing(tmp_path: Path, bucket: Bucket) -> None:
    write_tree(tmp_path, {"stale": b"old", "extra/x": b"x"}, mtime=time.time() - 3600)
    put_remote(bucket, {"d/keep": b"same", "d/stale": b"newer content", "d/new": b"n"})
    write_tree(tmp_path, {"keep": b"same"})  # written after the upload: not older
    before_local, before_remote = local_snapshot(tmp_path), remote_snapshot(bucket)
    plan = bucket.sync(tmp_path, "d/", direction="download", delete=True, dry_run=True)
    assert counts(plan) == {"download": 2, "delete": 1, "skip": 1}
    assert {op.key: op.reason for op in plan.changes} == {
        "d/extra/x": "extraneous (delete=True)",
        "d/new": "missing locally",
        "d/stale": "remote newer (mtime), size differs",
    }
    assert local_snapshot(tmp_path) == before_local
    assert remote_snapshot(bucket) == before_remote


# ---------------------------------------------------------------- real syncs


def test_upload_sync_then_second_sync_is_all_skips(tmp_path: Path, bucket: Bucket) -> None:
    files = {"a.txt": b"alpha", "dir/b.bin": os.urandom(3000), "dir/sub/c": b"", "a-b": b"ab"}
    write_tree(tmp_path, files)
    plan = bucket.sync(tmp_path, "up")
    assert plan.results is not None and plan.results.ok
    assert counts(plan) == {"upload": 4}
    assert {op.reason for op in plan} == {"missing on remote"}
    for rel, data in files.items():
        assert bucket.blob(f"up/{rel}").read_bytes() == data
    again = bucket.sync(tmp_path, "up", delete=True)
    assert counts(again) == {"skip": 4}
    assert {op.reason for op in again} == {"identical"}  # the upload recorded the mtimes
    assert again.results is not None and again.results.done == []


def test_download_sync_then_second_sync_is_all_skips(tmp_path: Path, bucket: Bucket) -> None:
    files = {"x/1": b"one", "x/2/3": os.urandom(5000), "x/é": b"accent"}
    put_remote(bucket, files)
    target = tmp_path / "out"
    plan = bucket.sync(target, "x", direction="download")
    assert plan.results is not None
    assert plan.results.ok, plan.results.summary()
    assert counts(plan) == {"download": 3}
    for key, data in files.items():
        assert target.joinpath(*key[2:].split("/")).read_bytes() == data
    again = bucket.sync(target, "x", direction="download", delete=True)
    assert counts(again) == {"skip": 3}
    assert {op.reason for op in again} == {"identical"}  # downloads take the blob's mtime


def test_sync_large_file_goes_multipart(tmp_path: Path, bucket: Bucket) -> None:
    big = os.urandom(300 * 1024)
    write_tree(tmp_path, {"big.bin": big, "small": b"s"})
    plan = bucket.sync(tmp_path, "mp", multipart_threshold=128 * 1024, part_size=64 * 1024)
    assert plan.results is not None
    assert plan.results.ok, plan.results.summary()
    assert bucket.blob("mp/big.bin").read_bytes() == big
    out = tmp_path / "back"
    plan = bucket.sync(out, "mp", direction="download")
    assert plan.results is not None and plan.results.ok
    assert (out / "big.bin").read_bytes() == big


def test_delete_removes_extraneous_only_with_delete(tmp_path: Path, bucket: Bucket) -> None:
    write_tree(tmp_path, {"keep": b"k"})
    put_remote(bucket, {"p/gone": b"g", "p/gone2/x": b"g2", "other/not-mine": b"o"})
    plan = bucket.sync(tmp_path, "p")
    assert {op.key: op.action for op in plan} == {
        "p/gone": "skip",
        "p/gone2/x": "skip",
        "p/keep": "upload",
    }
    assert bucket.exists("p/gone")
    plan = bucket.sync(tmp_path, "p", delete=True)
    assert counts(plan) == {"delete": 2, "skip": 1}
    assert plan.results is not None and plan.results.ok
    assert [b.key for b in bucket.list("", recursive=True)] == ["other/not-mine", "p/keep"]

    # download direction deletes local extras
    write_tree(tmp_path, {"local-only": b"l"})
    plan = bucket.sync(tmp_path, "p", direction="download", delete=True)
    assert counts(plan) == {"delete": 1, "skip": 1}
    assert not (tmp_path / "local-only").exists() and (tmp_path / "keep").exists()


def test_include_exclude(tmp_path: Path, bucket: Bucket) -> None:
    write_tree(tmp_path, {"a.csv": b"1", "b.tmp": b"2", "sub/c.csv": b"3", "sub/d.log": b"4"})
    put_remote(bucket, {"f/z.tmp": b"remote tmp"})
    plan = bucket.sync(tmp_path, "f", delete=True, exclude=["*.tmp"], dry_run=True)
    assert {op.key: op.action for op in plan} == {
        "f/a.csv": "upload",
        "f/sub/c.csv": "upload",
        "f/sub/d.log": "upload",
    }  # the excluded remote z.tmp is neither deleted nor listed
    plan = bucket.sync(tmp_path, "f", include=["**/*.csv"], dry_run=True)
    assert [op.key for op in plan.changes] == ["f/a.csv", "f/sub/c.csv"]
    only_sub = PathFilter(["sub/"])
    assert only_sub.wants("sub/d.log") and not only_sub.wants("a.csv")


# ---------------------------------------------------------------- comparison modes


def test_mtime_semantics_and_clock_skew(
    tmp_path: Path, client: Client, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_remote(bucket, {"m/same": b"12345", "m/newer": b"12345", "m/older-bigger": b"1"})
    infos = {b.key: b for b in bucket.list("m/")}
    r = {k: remote_mtime(v) for k, v in infos.items()}
    write_tree(tmp_path, {"same": b"12345", "newer": b"54321", "older-bigger": b"longer!"})
    os.utime(tmp_path / "same", (r["m/same"] + 1.5, r["m/same"] + 1.5))  # within 2 s
    os.utime(tmp_path / "newer", (r["m/newer"] + 50, r["m/newer"] + 50))
    os.utime(tmp_path / "older-bigger", (r["m/older-bigger"] - 50, r["m/older-bigger"] - 50))
    monkeypatch.setattr(client, "clock_offset", lambda: 0.0)
    reasons = {op.key: (op.action, op.reason) for op in bucket.sync(tmp_path, "m", dry_run=True)}
    assert reasons == {
        "m/same": ("skip", "identical"),
        "m/newer": ("upload", "local newer (mtime)"),
        # sync mirrors: a size difference always transfers, a newer destination included
        "m/older-bigger": ("upload", "remote newer (mtime), size differs — mirrored"),
    }
    plan = bucket.sync(tmp_path, "m", update=True, dry_run=True)
    assert {op.key: op.reason for op in plan}["m/older-bigger"] == (
        "remote newer — not overwritten (update=True)"
    )
    # The server clock 100 s off: a 50 s difference is within the tolerance (2 s + skew).
    monkeypatch.setattr(client, "clock_offset", lambda: -100.0)
    plan = bucket.sync(tmp_path, "m", dry_run=True)
    assert {op.key: op.reason for op in plan}["m/newer"] == "identical"
    # size mode ignores times entirely
    plan = bucket.sync(tmp_path, "m", compare="size", dry_run=True)
    assert {op.key: op.action for op in plan} == {
        "m/same": "skip",
        "m/newer": "skip",
        "m/older-bigger": "upload",
    }


def test_append_within_two_seconds_is_uploaded(tmp_path: Path, bucket: Bucket) -> None:
    """A size difference always transfers, however close the mtimes (issue 8, D1)."""
    write_tree(tmp_path, {"log.txt": b"line 1\n"})
    assert counts(bucket.sync(tmp_path, "a")) == {"upload": 1}
    before = (tmp_path / "log.txt").stat().st_mtime_ns
    with open(tmp_path / "log.txt", "ab") as fh:
        fh.write(b"line 2\n")
    os.utime(tmp_path / "log.txt", ns=(before + 10**9, before + 10**9))  # 1 s later
    plan = bucket.sync(tmp_path, "a")
    assert [op.action for op in plan] == ["upload"]
    assert bucket.blob("a/log.txt").read_bytes() == b"line 1\nline 2\n"


def test_recorded_mtime_is_compared_exactly(tmp_path: Path, bucket: Bucket) -> None:
    """Same size, mtime 0.5 s apart: the recorded source mtime is exact, so it transfers."""
    write_tree(tmp_path, {"f.bin": b"AAAA"})
    bucket.sync(tmp_path, "e")
    before = (tmp_path / "f.bin").stat().st_mtime_ns
    (tmp_path / "f.bin").write_bytes(b"BBBB")
    os.utime(tmp_path / "f.bin", ns=(before + 5 * 10**8, before + 5 * 10**8))
    plan = bucket.sync(tmp_path, "e")
    assert [(op.action, op.reason) for op in plan] == [("upload", "local newer (mtime)")]
    assert bucket.blob("e/f.bin").read_bytes() == b"BBBB"
    assert counts(bucket.sync(tmp_path, "e", dry_run=True)) == {"skip": 1}


def test_newer_destination_is_overwritten_unless_update(tmp_path: Path, bucket: Bucket) -> None:
    """Mirror by default; ``update=True`` keeps a destination that is newer (rclone --update)."""
    write_tree(tmp_path, {"k.txt": b"local!"}, mtime=time.time() - 3600)
    put_remote(bucket, {"n/k.txt": b"remote"})  # same size, written now: newer
    kept = bucket.sync(tmp_path, "n", update=True)
    assert [op.action for op in kept] == ["skip"]
    assert bucket.blob("n/k.txt").read_bytes() == b"remote"
    plan = bucket.sync(tmp_path, "n")
    assert [op.action for op in plan] == ["upload"]
    assert bucket.blob("n/k.txt").read_bytes() == b"local!"
    # and the other way: a newer local file is replaced by the remote one on download
    (tmp_path / "k.txt").write_bytes(b"edited")
    assert counts(bucket.sync(tmp_path, "n", direction="download", update=True)) == {"skip": 1}
    bucket.sync(tmp_path, "n", direction="download")
    assert (tmp_path / "k.txt").read_bytes() == b"local!"


def test_checksum_mode(tmp_path: Path, bucket: Bucket) -> None:
    put_remote(bucket, {"c/same": b"content", "c/diff": b"AAAA"})
    write_tree(tmp_path, {"same": b"content", "diff": b"BBBB"}, mtime=time.time() - 3600)
    assert counts(bucket.sync(tmp_path, "c", update=True, dry_run=True)) == {"skip": 2}
    plan = bucket.sync(tmp_path, "c", compare="checksum")
    assert {op.key: (op.action, op.reason) for op in plan} == {
        "c/diff": ("upload", "checksum differs"),
        "c/same": ("skip", "identical (crc32c)"),
    }
    info = next(iter(bucket.list("c/diff")))
    assert info.sha256 is None  # uploaded by sync with the default CRC32C
    assert info.crc32c == crc(b"BBBB")
    assert counts(bucket.sync(tmp_path, "c", compare="checksum")) == {"skip": 2}


def test_checksum_mode_falls_back_to_sha256(
    tmp_path: Path, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blobs stored without a CRC32C (before it existed) are compared by their SHA-256."""
    from bucketry.types import BlobInfo

    for key, data in {"o/same": b"content", "o/diff": b"AAAA"}.items():
        sha = hashlib.sha256(data).hexdigest()  # blobs of the SHA-256 era all have one
        bucket.client.api.blobs.put(bucket.ref, key=key, body=data, x_checksum_sha256=sha)
    write_tree(tmp_path, {"same": b"content", "diff": b"BBBB"}, mtime=time.time() - 3600)
    real = BlobInfo.from_model.__func__  # type: ignore[attr-defined]

    def without_crc(cls: type[BlobInfo], m: Any) -> BlobInfo:
        return dataclasses.replace(real(cls, m), crc32c=None)

    monkeypatch.setattr(BlobInfo, "from_model", classmethod(without_crc))
    plan = bucket.sync(tmp_path, "o", compare="checksum", dry_run=True)
    assert {op.key: (op.action, op.reason) for op in plan} == {
        "o/diff": ("upload", "checksum differs"),
        "o/same": ("skip", "identical (sha256)"),
    }


@pytest.mark.parametrize("compare", ["size", "checksum"])
def test_update_keeps_a_newer_destination_whatever_the_comparison(
    tmp_path: Path, bucket: Bucket, compare: Literal["size", "checksum"]
) -> None:
    """``update=True`` (rclone ``--update``) never overwrites a newer destination, also when
    the comparison is by size or checksum (they decide only between equally old files)."""
    put_remote(bucket, {"z/k.txt": b"remote, newer"})
    write_tree(tmp_path, {"k.txt": b"local, older, longer"}, mtime=time.time() - 3600)
    kept = bucket.sync(tmp_path, "z", compare=compare, update=True)
    assert [(op.action, op.reason) for op in kept] == [
        ("skip", "remote newer — not overwritten (update=True)")
    ]
    assert bucket.blob("z/k.txt").read_bytes() == b"remote, newer"
    down = bucket.sync(tmp_path, "z", direction="download", compare=compare, update=True)
    assert [op.action for op in down] == ["download"]  # the remote one is newer: it transfers
    (tmp_path / "k.txt").write_bytes(b"edited locally")
    os.utime(tmp_path / "k.txt", (time.time() + 3600, time.time() + 3600))  # the newer one now
    kept = bucket.sync(tmp_path, "z", direction="download", compare=compare, update=True)
    assert [op.action for op in kept] == ["skip"]
    assert (tmp_path / "k.txt").read_bytes() == b"edited locally"
    mirrored = bucket.sync(tmp_path, "z", compare=compare)
    assert [op.action for op in mirrored] == ["upload"]
    assert bucket.blob("z/k.txt").read_bytes() == b"edited locally"


# ---------------------------------------------------------------- plans


def test_plan_save_load_apply(tmp_path: Path, client: Client, bucket: Bucket) -> None:
    src = tmp_path / "src"
    write_tree(src, {"one": b"1", "two/three": b"23"})
    put_remote(bucket, {"s/stale": b"x"})
    plan = bucket.sync(src, "s", delete=True, dry_run=True)
    saved = plan.save(tmp_path / "plan.json")
    loaded = SyncPlan.load(saved)
    assert loaded.ops == plan.ops and loaded.dry_run and loaded.bucket == plan.bucket
    assert list(loaded) == plan.ops
    assert bucket.exists("s/stale") and not bucket.exists("s/one")  # still nothing changed
    events: list[ProgressEvent] = []
    result = client.apply(loaded, progress=events.append)
    assert result.ok and loaded.results is result
    assert [(o.op.action, o.status) for o in result.outcomes] == [
        ("upload", "done"),
        ("delete", "done"),
        ("upload", "done"),
    ]
    assert sorted(b.key for b in bucket.list("s/")) == ["s/one", "s/two/three"]
    # progress: a "sync" task in bytes and one in files, adding up to what moved
    starts = [e for e in events if isinstance(e, ProgressStart) and e.task == "sync"]
    assert sorted((e.unit, e.total) for e in starts) == [("B", 3), ("file", 3)]
    moved = sum(
        e.amount
        for e in events
        if isinstance(e, ProgressAdvance) and e.task == "sync" and e.unit == "B"
    )
    files = sum(
        e.amount
        for e in events
        if isinstance(e, ProgressAdvance) and e.task == "sync" and e.unit == "file"
    )
    assert (moved, files) == (3, 3)
    assert counts(bucket.sync(src, "s", delete=True, dry_run=True)) == {"skip": 2}


def test_failed_transfer_blocks_deletes(tmp_path: Path, client: Client, bucket: Bucket) -> None:
    write_tree(tmp_path, {"a": b"a"})
    put_remote(bucket, {"q/extra": b"e"})
    plan = bucket.sync(tmp_path, "q", delete=True, dry_run=True)
    (tmp_path / "a").unlink()  # the plan is now stale: its upload will fail
    result = client.apply(plan)
    assert not result.ok
    by_action = {o.op.action: o for o in result.outcomes}
    assert by_action["upload"].status == "failed"
    assert by_action["delete"].status == "skipped" and "transfer(s) failed" in (
        by_action["delete"].error or ""
    )
    assert bucket.exists("q/extra")


def test_bad_arguments(tmp_path: Path, bucket: Bucket) -> None:
    with pytest.raises(ValueError):
        bucket.sync(tmp_path, "x", compare="fuzzy", dry_run=True)
    with pytest.raises(ValueError):
        bucket.sync(tmp_path, "x", direction="sideways", dry_run=True)
    with pytest.raises(FileNotFoundError):
        bucket.sync(tmp_path / "missing", "x", dry_run=True)


def test_ignore_file_and_partial_downloads(tmp_path: Path, bucket: Bucket) -> None:
    write_tree(
        tmp_path,
        {
            ".bucketryignore": b"*.log\nbuild/\n",
            "keep.txt": b"k",
            "debug.log": b"l",
            "build/out.o": b"o",
            ".x.bin.bucketry-partial": b"half a download",
        },
    )
    put_remote(bucket, {"i/old.log": b"remote log", "i/build/remote.o": b"r"})
    plan = bucket.sync(tmp_path, "i", delete=True, dry_run=True)
    # ignored paths are neither uploaded nor deleted; the ignore file itself is not synced
    assert [(op.action, op.key) for op in plan] == [("upload", "i/keep.txt")]
