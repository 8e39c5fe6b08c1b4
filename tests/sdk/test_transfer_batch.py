"""Folder uploads in tar batches (``blobs_put_batch``) against the real server: round trips,
request counts, what each file gets (metadata, checksum, content type — as a single PUT gives
it), progress, per-member failures, ``update``, retries, fallback to per-file PUTs, sync."""

from __future__ import annotations

import io
import math
import os
import tarfile
from pathlib import Path

import httpx
import pytest

from bucketry import Bucket, Client, ProgressAdvance, ProgressEvent, ProgressStart
from bucketry.errors import BadRequestError, PreconditionFailedError
from bucketry.transfer.batches import plan_batches, send_batch
from bucketry.transfer.context import TransferContext, TransferOptions
from bucketry.transfer.folders import LocalFile
from bucketry.transfer.single import FileChangedError
from bucketry.transfer.tarstream import TarBody, TarMember
from tests.sdk.transfer_support import FaultyTransport, Recorder, crc, fast_retries, random_file
from tests.support.live_server import LiveServer

KiB, MiB = 1024, 1024 * 1024


def batch_posts(rec: Recorder) -> list[httpx.Request]:
    return [r for r in rec.requests if r.method == "POST" and r.url.path.endswith("/blobs/batch")]


def single_puts(rec: Recorder) -> list[httpx.Request]:
    return [r for r in rec.requests if r.method == "PUT" and r.url.path.endswith("/blob")]


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def small_tree(root: Path, n: int) -> dict[str, int]:
    names = [
        "a.txt",
        "données/été {i}.txt",
        "日本/深い/ファイル{i}.bin",
        "x/" + "long" * 40 + "{i}",
    ]
    sizes: dict[str, int] = {}
    for i in range(n):
        rel = names[i % len(names)].format(i=i)
        rel = rel if i % len(names) else f"top/{i}/{rel}"
        sizes[rel] = i % 97 * 13  # 0 .. 1.2 KiB, zero-length files included
        random_file(root / rel, sizes[rel])
    return sizes


def test_round_trip_2500_small_files(client: Client, bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    sizes = small_tree(src, 2500)
    rec = Recorder(client)
    report = bucket.upload(src, "rt/")
    assert report.ok and len(report.transferred) == 2500
    assert report.bytes == sum(sizes.values())
    assert len(batch_posts(rec)) == math.ceil(2500 / 1000)
    assert single_puts(rec) == []
    out = tmp_path / "out"
    down = bucket.download("rt/", out)
    assert down.ok and len(down.transferred) == 2500
    assert tree(out) == tree(src)  # bytes and mtimes (the recorded source mtime)


def test_blob_gets_what_a_single_put_gives(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ("page.html", "data.json", "noext", "img/pic.png"):
        random_file(src / rel, 100)
    extra = {"owner": "alice", "note": "été"}
    assert bucket.upload(src, "b/", metadata=extra).ok
    assert bucket.upload(src, "s/", metadata=extra, batch=False).ok
    for rel in ("page.html", "data.json", "noext", "img/pic.png"):
        batched, single = bucket.blob(f"b/{rel}").stat(), bucket.blob(f"s/{rel}").stat()
        assert batched.metadata == single.metadata and "mtime" in batched.metadata
        assert batched.metadata["owner"] == "alice"
        assert batched.content_type == single.content_type
        # Tar members carry a SHA-256 record (so the server computes one); single PUTs send
        # the default CRC32C only. Both store the CRC32C.
        assert batched.sha256 == sha256_of(src / rel) and single.sha256 is None
        assert batched.crc32c == single.crc32c == crc((src / rel).read_bytes())
        assert batched.size == single.size


def sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_batch_size_limits_and_big_files(client: Client, bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(25):
        random_file(src / f"s{i:02}.bin", 2 * KiB)
    random_file(src / "mid.bin", 40 * KiB)  # above batch_threshold: one PUT
    random_file(src / "big.bin", 300 * KiB)  # above multipart_threshold: parts
    rec = Recorder(client)
    report = bucket.upload(
        src,
        "lim/",
        batch_threshold=32 * KiB,
        batch_files=10,
        multipart_threshold=128 * KiB,
        part_size=64 * KiB,
    )
    assert report.ok and len(report.transferred) == 27
    assert len(batch_posts(rec)) == 3  # 10 + 10 + 5
    assert len(single_puts(rec)) == 1  # mid.bin
    assert len(rec.part_puts()) == 5  # big.bin
    rec.clear()
    assert bucket.upload(src, "bytes/", batch_bytes=20 * KiB, batch_threshold=32 * KiB).ok
    assert len(batch_posts(rec)) == 3  # 10 files of 2 KiB fit in 20 KiB
    assert {i.key for i in bucket.list("lim/")} == {f"lim/{p.name}" for p in src.iterdir()}


def test_progress_adds_up(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    sizes = small_tree(src, 300)
    random_file(src / "big.bin", 300 * KiB)
    events: list[ProgressEvent] = []
    report = bucket.upload(
        src, "p/", progress=events.append, multipart_threshold=128 * KiB, part_size=64 * KiB
    )
    assert report.ok
    total = sum(sizes.values()) + 300 * KiB
    byte_start = next(e for e in events if isinstance(e, ProgressStart) and e.unit == "B")
    assert byte_start.total == total == report.bytes
    advances = [e for e in events if isinstance(e, ProgressAdvance)]
    assert sum(e.amount for e in advances if e.unit == "B") == total
    assert sum(e.amount for e in advances if e.unit == "file") == 301


def test_member_failure_reported_rest_stored(
    client: Client, bucket: Bucket, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    for i in range(20):
        random_file(src / f"ok{i}.txt", 50)
    random_file(src / "bad\x01name.txt", 50)
    rec = Recorder(client)
    report = bucket.upload(src, "mf/")
    assert len(batch_posts(rec)) == 1 and single_puts(rec) == []
    [bad] = report.failed
    assert bad.key == "mf/bad\x01name.txt" and bad.bytes == 0
    assert isinstance(bad.error, BadRequestError) and bad.error.code == "invalid_key"
    assert "invalid_key" in (bad.reason or "")
    assert len(report.transferred) == 20
    assert len(list(bucket.list("mf/"))) == 20
    single = bucket.upload(src, "mf2/", batch=False)  # the per-file path fails it the same way
    [also_bad] = single.failed
    assert isinstance(also_bad.error, BadRequestError) and also_bad.error.code == "invalid_key"


def test_create_only_fails_existing_members(bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(5):
        random_file(src / f"f{i}", 10)
    assert bucket.upload(src, "co/", if_none_match="*").ok
    random_file(src / "f5", 10)
    report = bucket.upload(src, "co/", if_none_match="*")
    assert [r.key for r in report.transferred] == ["co/f5"]
    assert len(report.failed) == 5
    assert all(isinstance(r.error, PreconditionFailedError) for r in report.failed)


def test_update_second_run_uploads_nothing(client: Client, bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    small_tree(src, 120)
    assert bucket.upload(src, "up/", update=True).ok
    rec = Recorder(client)
    again = bucket.upload(src, "up/", update=True)
    assert len(again.skipped) == 120 and not again.transferred
    assert batch_posts(rec) == [] and single_puts(rec) == []
    touched = sorted(src.rglob("*.txt"))[:3]
    for path in touched:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10**9))
    third = bucket.upload(src, "up/", update=True)
    assert len(third.transferred) == 3 and len(batch_posts(rec)) == 1


def test_batch_false_uses_single_puts(client: Client, bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    small_tree(src, 30)
    rec = Recorder(client)
    assert bucket.upload(src, "nb/", batch=False).ok
    assert batch_posts(rec) == [] and len(single_puts(rec)) == 30


def test_lone_file_and_single_upload_go_single(
    client: Client, bucket: Bucket, tmp_path: Path
) -> None:
    random_file(tmp_path / "one" / "only.txt", 10)
    rec = Recorder(client)
    assert bucket.upload(tmp_path / "one", "one/").ok
    assert bucket.upload(tmp_path / "one" / "only.txt", "file.txt").ok
    assert batch_posts(rec) == [] and len(single_puts(rec)) == 2


def test_fallback_when_server_has_no_batch_route(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    def fault(request: httpx.Request, nth: int) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/blobs/batch"):
            return httpx.Response(404, json={"code": "not_found", "detail": "Not Found"})
        return None

    transport = FaultyTransport(fault)
    src = tmp_path / "src"
    sizes = small_tree(src, 45)
    with Client(url=server.url, token=users["alice"], transport=transport, progress=False) as c:
        bucket = c.buckets.create(f"old-{unique}")
        rec = Recorder(c)
        events: list[ProgressEvent] = []
        report = bucket.upload(src, "fb/", batch_files=10, progress=events.append)
        assert report.ok and len(report.transferred) == 45
        assert 1 <= len(batch_posts(rec)) <= 5  # batches already in flight may ask too
        assert len(single_puts(rec)) == 45
        advanced = sum(e.amount for e in events if isinstance(e, ProgressAdvance) and e.unit == "B")
        assert advanced == sum(sizes.values())
        out = tmp_path / "out"
        assert bucket.download("fb/", out).ok and tree(out) == tree(src)
        bucket.delete(force=True)


def test_fallback_via_monkeypatched_api(
    client: Client, bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bucketry_api.errors import ApiError as GeneratedApiError

    calls = []

    def no_route(*args: object, **kwargs: object) -> None:
        calls.append(args)
        response = httpx.Response(
            405, json={"code": "method_not_allowed"}, request=httpx.Request("POST", "http://x")
        )
        raise GeneratedApiError.from_response(response)

    monkeypatch.setattr(client.api.blobs, "put_batch", no_route)
    small_tree(tmp_path / "src", 12)
    report = bucket.upload(tmp_path / "src", "mp/", file_concurrency=1, batch_files=5)
    assert report.ok and len(report.transferred) == 12
    assert len(calls) == 1  # the first answer settles it for the whole call


def test_batch_retried_whole_on_503(
    server: LiveServer, users: dict[str, str], unique: str, tmp_path: Path
) -> None:
    def fault(request: httpx.Request, nth: int) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/blobs/batch") and nth == 0:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return None

    transport = FaultyTransport(fault)
    src = tmp_path / "src"
    sizes = small_tree(src, 40)
    with Client(url=server.url, token=users["alice"], transport=transport, progress=False) as c:
        fast_retries(c)
        bucket = c.buckets.create(f"retry-{unique}")
        rec = Recorder(c)
        events: list[ProgressEvent] = []
        report = bucket.upload(src, "r/", progress=events.append)
        assert report.ok and len(report.transferred) == 40
        assert len(batch_posts(rec)) == 2 and single_puts(rec) == []
        advanced = sum(e.amount for e in events if isinstance(e, ProgressAdvance) and e.unit == "B")
        assert advanced == sum(sizes.values())
        out = tmp_path / "out"
        assert bucket.download("r/", out).ok and tree(out) == tree(src)
        bucket.delete(force=True)


def test_file_changed_since_planned_fails_alone(bucket: Bucket, tmp_path: Path) -> None:
    files = []
    for i in range(4):
        path = tmp_path / f"f{i}"
        random_file(path, 100)
        st = path.stat()
        files.append((LocalFile(path, path.name, st.st_size, st.st_mtime_ns), f"ch/{path.name}"))
    random_file(files[1][0].path, 120)  # grew after the walk
    files[2][0].path.unlink()  # vanished
    with TransferContext(bucket, TransferOptions()) as ctx:
        results = send_batch(ctx, files, "ch/")
    assert [r.status if r else None for r in results] == [
        "uploaded",
        "failed",
        "failed",
        "uploaded",
    ]
    assert results[1] is not None and isinstance(results[1].error, FileChangedError)
    assert results[2] is not None and isinstance(results[2].error, FileNotFoundError)
    assert {i.key for i in bucket.list("ch/")} == {"ch/f0", "ch/f3"}


def test_unsupported_flag_skips_the_request(bucket: Bucket, tmp_path: Path) -> None:
    path = tmp_path / "f"
    random_file(path, 1)
    lf = LocalFile(path, "f", 1, path.stat().st_mtime_ns)
    with TransferContext(bucket, TransferOptions()) as ctx:
        ctx.batch_unsupported = True
        assert send_batch(ctx, [(lf, "u/f"), (lf, "u/g")], "u/") == [None, None]


def test_sync_apply_uses_batches(client: Client, bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    small_tree(src, 150)
    rec = Recorder(client)
    plan = bucket.sync(src, "sy/")
    assert plan.results is not None and plan.results.ok
    assert len(batch_posts(rec)) == 1 and single_puts(rec) == []
    again = bucket.sync(src, "sy/", dry_run=True)
    assert all(op.action == "skip" for op in again.ops)


# ----------------------------------------------------------------------------- units


def test_plan_batches_rules(tmp_path: Path) -> None:
    def lf(size: int) -> LocalFile:
        return LocalFile(tmp_path / "x", "x", size, 0)

    items = [(lf(10), "p/a"), (lf(10), "p/b"), (lf(2 * MiB), "p/big"), (lf(10), "other/c")]
    items += [(lf(10), "p/\udcff"), (lf(10), "p/d"), (lf(10), "p/e")]
    groups, singles = plan_batches(TransferOptions(batch_files=2), items, "p/")
    assert groups == [[0, 1], [5, 6]] and singles == [2, 3, 4]
    assert plan_batches(TransferOptions(batch=False), items, "p/") == ([], list(range(7)))
    etag_match = TransferOptions(if_none_match='"abc"')
    assert plan_batches(etag_match, items, "p/")[0] == []
    below_multipart = TransferOptions(multipart_threshold=5)
    assert plan_batches(below_multipart, items, "p/")[0] == []


def test_tar_body_reads_back_with_tarfile(tmp_path: Path) -> None:
    names = ["a.txt", "données/été.txt", "x" * 150, "日本/ファイル", "ctl\x01", "n" * 100, ""]
    members = []
    for i, name in enumerate(names[:-1]):
        path = tmp_path / f"f{i}"
        data = os.urandom(i * 333)
        path.write_bytes(data)
        members.append(
            TarMember(path, name, len(data), 1_700_000_000 * 10**9, '{"mtime":"1"}', "text/x")
        )
    body = TarBody(members)
    raw = b"".join(body)
    assert len(raw) == body.length
    assert b"".join(body) == raw  # iterating again rebuilds the same bytes
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r|") as tf:
        for info, member in zip(tf, members, strict=True):
            assert info.name == member.name and info.size == member.size
            assert info.pax_headers["BUCKETRY.sha256"] == sha256_of(member.path)
            assert info.pax_headers["BUCKETRY.metadata"] == '{"mtime":"1"}'
            assert info.pax_headers["BUCKETRY.content_type"] == "text/x"
            extracted = tf.extractfile(info)
            assert extracted is not None and extracted.read() == member.path.read_bytes()
