#!/usr/bin/env python3
"""The Bucketry tour: what the SDK does, step by step, against a real server.

``scripts/demo`` starts a throwaway server and runs this with ``BUCKETRY_URL`` and
``BUCKETRY_TOKEN`` set. To run it against a server of your own::

    BUCKETRY_URL=http://127.0.0.1:8080 BUCKETRY_TOKEN=... python scripts/demo_tour.py

Each step prints what it did with real figures (counts, sizes, timings, checksums) and checks
its results, so a broken SDK or server makes the tour fail (exit code 1) at the step that broke.
It creates one bucket (``tour-<random>``) and deletes it at the end (``--keep-bucket`` keeps it);
local files live in a temporary folder that is always removed. With ``BUCKETRY_DEMO_IMPORTS``
(a FILESYSTEM root of the server; an admin token) a thirteenth step imports a folder there.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import httpx
from demo_imported import imported_step, imports_root
from demo_operations import operations_step
from demo_projects import projects_step
from demo_support import (
    MiB,
    Tour,
    TourFailure,
    Wire,
    check,
    crc32c_file,
    human,
    local_files,
    say,
    settled_upload,
    sha256_file,
    snapshot,
    write_random,
)

from bucketry import (
    Bucket,
    Client,
    NotFoundError,
    ProgressAdvance,
    ProgressEvent,
    TransferOptions,
)
from bucketry_api.errors import ApiError as LowLevelApiError

BIG = 72 * MiB  # above the default 64 MiB multipart threshold: a grid of 8 slots of 9 MiB
PART = TransferOptions().part_size_for(BIG)  # the SDK's default part size for it
PREFIX = "tour/"
STEPS = 12 + (imports_root() is not None)  # the imported-bucket step needs a server folder

# The local folder of step 2: small files in nested folders, plus one large file.
TABLE = b"id,name,score\n" + b"".join(b"%d,item-%d,%d\n" % (i, i, i * 7) for i in range(200))
SMALL_FILES = {
    "readme.txt": b"Bucketry tour: a folder with nested files and one large file.\n",
    "notes/todo.txt": b"- upload a folder\n- sync it\n",
    "notes/2024/jan.txt": b"January notes\n" * 20,
    "notes/2024/feb.txt": b"February notes\n" * 30,
    "data/table.csv": TABLE,
    "data/raw/sample.json": b'{"kind": "sample", "values": [1, 2, 3]}\n',
}
RANDOM_FILES = {"images/cat.png": 48 * 1024, "big/video.bin": BIG}


def show_mirroring(bucket: Bucket, src: Path) -> None:
    """Step 5: ``sync`` mirrors. Edits made right after a sync (same size, or appended) are
    uploaded by the next one; a newer remote copy is overwritten, unless ``update=True``."""
    todo, jan, key = src / "notes/todo.txt", src / "notes/2024/jan.txt", PREFIX + "notes/todo.txt"
    todo.write_bytes(todo.read_bytes().upper())  # same size, moments after it was uploaded
    with jan.open("ab") as f:
        f.write(b"January notes\n")
    gap = todo.stat().st_mtime - bucket.blob(key).stat().modified_at.timestamp()
    say(f"{gap:.2f} s after the sync: notes/todo.txt rewritten (same size), jan.txt appended")
    plan = bucket.sync(src, PREFIX)
    say(plan.summary())
    edited = {PREFIX + "notes/todo.txt", PREFIX + "notes/2024/jan.txt"}
    check({op.key for op in plan.changes} == edited, f"both edits uploaded: {plan.changes}")
    check(plan.results is not None and plan.results.ok, "the sync succeeded")
    check(bucket.blob(key).read_bytes() == todo.read_bytes(), "the same-size edit is uploaded")

    an_hour_ago = time.time() - 3600
    os.utime(todo, (an_hour_ago, an_hour_ago))
    newer = b"edited on the server, after the local copy\n"
    bucket.blob(key).write_bytes(newer)
    say("notes/todo.txt made an hour old locally; the remote copy rewritten now (newer)")
    kept = bucket.sync(src, PREFIX, update=True)
    say(kept.summary())
    check(not kept.changes, f"update=True changes nothing, got {kept.changes}")
    check(bucket.blob(key).read_bytes() == newer, "update=True keeps the newer remote copy")
    plan = bucket.sync(src, PREFIX)
    say(plan.summary())
    check([op.key for op in plan.changes] == [key], f"the mirror replaces it: {plan.changes}")
    check(bucket.blob(key).read_bytes() == todo.read_bytes(), "the remote copy equals the local")


def step_bucket(client: Client) -> Bucket:
    """Step: Create a bucket."""
    me = client.whoami()
    name = f"tour-{secrets.token_hex(4)}"
    bucket = client.buckets.create(name, description="created by scripts/demo_tour.py")
    say(f"server {client.url}, signed in as {me.get('name')!r}")
    say(
        f"client.buckets.create({name!r}) -> {bucket.id} "
        f"(provider {bucket.provider}, created {bucket.created_at.isoformat(timespec='seconds')})"
    )
    check(bucket.id.startswith("bkt_"), f"bucket ids start with bkt_: {bucket.id}")
    check(client.buckets.get(name).id == bucket.id, "get by name finds the same bucket")
    return bucket


def step_upload(bucket: Bucket, src: Path, wire: Wire) -> dict[str, Path]:
    """Step: Upload a folder with nested files and one large file (multipart)."""
    for rel, data in SMALL_FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    for rel, size in RANDOM_FILES.items():
        write_random(src / rel, size)
    an_hour_ago = time.time() - 3600  # files made earlier: later edits are clearly newer
    for path in src.rglob("*"):
        if path.is_file():
            os.utime(path, (an_hour_ago, an_hour_ago))
    files = local_files(src)
    total = sum(p.stat().st_size for p in files.values())
    say(f"local folder: {len(files)} files, {human(total)} in {src}")

    mark = wire.mark()
    report = bucket.upload(src, PREFIX)
    layout = wire.part_layout(mark)
    say(f"bucket.upload(folder, {PREFIX!r}): {report.summary()}")
    slots = math.ceil(BIG / PART)
    shown = ", ".join(f"#{n} {human(length)}" for n, length in layout)
    how = (
        "the first part showed a fast link, so the other slots went merged"
        if len(layout) < slots
        else "each slot its own part"
    )
    calls = wire.since(mark)
    batches = sum(1 for m, path, _ in calls if m == "POST" and path.endswith("/batch"))
    puts = sum(1 for m, path, _ in calls if m == "PUT" and path.endswith("/blob"))
    say(
        f"big/video.bin ({human(BIG)}) went multipart on a grid of {slots} slots of "
        f"{human(PART)}: parts {shown} ({how}); the {len(files) - 1} small files in "
        f"{batches} tar batch request(s) and {puts} single PUT(s)"
    )
    check(report.ok and len(report.transferred) == len(files), report.summary())
    offset = 0
    for number, length in layout:  # each part starts at its slot, none overlap
        check(number == offset // PART + 1, f"part {number} is not at its slot")
        offset += length
    check(offset == BIG, f"the parts cover {offset} bytes of {BIG}: {layout}")
    remote = snapshot(bucket, PREFIX)
    for rel, path in files.items():
        size, _, digest = remote[PREFIX + rel]
        check(size == path.stat().st_size, f"{rel}: size {size} on the server")
        check(digest == crc32c_file(path), f"{rel}: server crc32c {digest} differs")
    say(f"every blob's size and CRC32C on the server match the local files ({len(files)})")
    return files


def step_list(bucket: Bucket, wire: Wire, files: dict[str, Path]) -> None:
    """Step: List lazily and glob."""
    mark = wire.mark()
    pager = bucket.list(PREFIX, first=3, page_size=2)
    check(wire.listings(mark) == 0, "building a listing makes no request")
    first3 = pager.to_list()
    requests = wire.listings(mark)
    say(f"bucket.list({PREFIX!r}, first=3, page_size=2) -> {requests} requests:")
    for b in first3:
        say(f"  {b.key:<28} {human(b.size):>10}  crc32c {b.crc32c or '-'}")
    check(len(first3) == 3 and requests == 2, f"3 items in 2 pages, got {requests} pages")

    top = bucket.list(PREFIX, recursive=False).to_list()
    say("bucket.list(recursive=False): " + "  ".join(b.name for b in top))
    check(
        [b.name for b in top] == ["big/", "data/", "images/", "notes/", "readme.txt"],
        f"top level: {[b.name for b in top]}",
    )
    largest = bucket.list(PREFIX, order_by="size", order="desc", first=1).to_list()[0]
    say(f"largest (order_by='size', order='desc', first=1): {largest.key}")
    check(largest.key == PREFIX + "big/video.bin", f"largest blob: {largest.key}")

    pattern = PREFIX + "**/*.txt"
    txt = [b.key for b in bucket.glob(pattern)]
    names = ", ".join(k.removeprefix(PREFIX) for k in txt)
    say(f"bucket.glob({pattern!r}) -> {len(txt)} blobs: {names}")
    want = sorted(PREFIX + rel for rel in files if rel.endswith(".txt"))
    check(sorted(txt) == want, f"glob matched {txt}, expected {want}")


def step_sync(bucket: Bucket, src: Path, files: dict[str, Path]) -> dict[str, Path]:
    """Step: Sync: dry run, then for real, then a dry run again."""
    with (src / "notes/todo.txt").open("ab") as f:
        f.write(b"- resume an interrupted upload\n")
    (src / "notes/2024/mar.txt").write_bytes(b"March notes\n" * 10)
    say("changed notes/todo.txt and added notes/2024/mar.txt locally")

    before = snapshot(bucket, PREFIX)
    plan = bucket.sync(src, PREFIX, dry_run=True)
    say(plan.summary())
    uploads = sorted(op.key for op in plan.by_action("upload"))
    want = [PREFIX + "notes/2024/mar.txt", PREFIX + "notes/todo.txt"]
    check(uploads == want, f"the dry run plans uploads {uploads}, expected {want}")
    check(
        len(plan.by_action("skip")) == len(files) - 1 and not plan.by_action("delete"),
        "everything else is skipped",
    )
    after = snapshot(bucket, PREFIX)
    check(after == before, "a dry run changes nothing on the server")
    check(not bucket.blob(PREFIX + "notes/2024/mar.txt").exists(), "mar.txt not uploaded")
    say(f"after the dry run the server is unchanged: {len(after)} blobs, same ETags")

    plan = bucket.sync(src, PREFIX)
    results = plan.results
    check(results is not None and results.ok, "the sync succeeded")
    assert results is not None
    say(
        f"bucket.sync(...): {len(results.done)} done "
        f"({human(results.bytes_transferred)}), "
        f"{sum(1 for o in results.outcomes if o.status == 'skipped')} skipped"
    )
    todo = bucket.blob(PREFIX + "notes/todo.txt").read_bytes()
    check(todo == (src / "notes/todo.txt").read_bytes(), "todo.txt updated remotely")
    check(len(results.done) == 2, f"2 uploads done, got {len(results.done)}")

    again = bucket.sync(src, PREFIX, dry_run=True)
    counts = again.counts()
    say(
        f"dry run again: {counts['skip'][0]} skip, {counts['upload'][0]} upload, "
        f"{counts['delete'][0]} delete — in sync"
    )
    check(not again.changes, f"nothing left to do, got {again.changes}")
    files = local_files(src)
    return files


def step_resume(client: Client, bucket: Bucket, src: Path, wire: Wire) -> dict[str, Path]:
    """Step: Resume an interrupted upload."""
    second = src / "big" / "second.bin"
    write_random(second, BIG)
    key = PREFIX + "big/second.bin"
    total_parts = math.ceil(BIG / PART)
    mark = wire.mark()

    def interrupt_after_two_parts(event: ProgressEvent) -> None:
        # Ctrl-C in the middle: once two parts are on the server, stop the upload.
        if isinstance(event, ProgressAdvance) and len(wire.parts_sent(mark)) >= 2:
            raise KeyboardInterrupt

    # A part size of our own: parts are not merged, so there is a middle to stop in.
    sized = {"part_size": PART, "max_concurrency": 2}
    t0 = time.monotonic()
    interrupted = False
    try:
        bucket.upload(second, key, progress=interrupt_after_two_parts, **sized)
    except KeyboardInterrupt:
        interrupted = True
    check(interrupted, "the upload was interrupted")
    check(not bucket.blob(key).exists(), "an interrupted upload leaves no blob")
    upload = settled_upload(client, bucket.id, key)
    done_before = sorted(p.part_number for p in upload.parts)
    say(
        f"first run: KeyboardInterrupt after {time.monotonic() - t0:.2f} s; "
        f"{len(done_before)} of {total_parts} parts on the server {done_before}, "
        f"upload {upload.id} left open, no blob yet"
    )
    check(1 <= len(done_before) < total_parts, f"parts before: {done_before}")

    mark = wire.mark()
    report = bucket.upload(second, key, **sized)
    resent = sorted(wire.parts_sent(mark))
    result = report.results[0]
    say(
        f"rerun of the same call: sent {len(resent)} parts {resent} "
        f"({human(result.bytes)}), reused {len(done_before)}, resumed={result.resumed}, "
        f"{result.elapsed:.2f} s"
    )
    check(result.resumed, "the rerun resumed the open upload")
    check(not set(resent) & set(done_before), "finished parts are not sent again")
    check(
        len(resent) == total_parts - len(done_before),
        f"only the missing parts are sent: {resent}",
    )
    digest = crc32c_file(second)
    info = bucket.blob(key).stat()
    say(f"blob complete: {human(info.size)}, crc32c {info.crc32c} (matches the file)")
    check(info.size == BIG and info.crc32c == digest, "the resumed blob is intact")
    left, _ = client.api.uploads.list(bucket.id, key=key)
    check(not left.results, "no upload left open")
    files = local_files(src)
    return files


def step_signed_url(client: Client, bucket: Bucket, src: Path) -> None:
    """Step: Download through a signed URL (no token)."""
    blob = bucket.blob(PREFIX + "big/video.bin")
    url = blob.signed_url(expires_in=300)
    shown = url.split("/signed/")[0] + "/signed/" + url.split("/signed/")[1][:10] + "…"
    say(f"blob.signed_url(expires_in=300) -> {shown}")
    h, size = hashlib.sha256(), 0
    t0 = time.monotonic()
    with (
        httpx.Client(trust_env=False, timeout=30) as anonymous,
        anonymous.stream("GET", url) as response,
    ):
        check(response.status_code == 200, f"signed GET: HTTP {response.status_code}")
        check("authorization" not in response.request.headers, "sent without a token")
        for chunk in response.iter_raw():
            h.update(chunk)
            size += len(chunk)
    elapsed = time.monotonic() - t0
    say(
        f"plain httpx GET, no token: {human(size)} in {elapsed:.2f} s "
        f"({human(size / max(elapsed, 1e-9))}/s), sha256 {h.hexdigest()[:16]}…"
    )
    check(h.hexdigest() == sha256_file(src / "big/video.bin"), "same bytes as the file")
    with httpx.Client(trust_env=False, timeout=30) as anonymous:
        tampered = url[:-1] + ("A" if url[-1] != "A" else "B")
        bad = anonymous.get(tampered).status_code
        plain = anonymous.get(
            f"{client.url}/api/v1/buckets/{bucket.id}/blob", params={"key": blob.key}
        ).status_code
    say(
        f"same bytes as the local file; a tampered URL gets HTTP {bad}, the blob's own "
        f"URL without a token HTTP {plain} (private buckets are hidden from anonymous)"
    )
    check(bad in (401, 403) and plain in (401, 403, 404), f"refused: {bad}, {plain}")


def step_usage(client: Client, bucket: Bucket, files: dict[str, Path]) -> None:
    """Step: Usage, computed by the server."""
    local_bytes = sum(p.stat().st_size for p in files.values())
    usage = bucket.usage()
    say(f"bucket.usage(): {usage['objects']} objects, {human(usage['bytes'])}")
    check(
        usage["objects"] == len(files) and usage["bytes"] == local_bytes,
        f"usage {usage} vs {len(files)} files, {local_bytes} bytes",
    )
    mine = client.usage()
    entry = next(b for b in mine["buckets"] if b["bucket_id"] == bucket.id)
    say(
        f"client.usage(): {mine['objects']} objects, {human(mine['bytes'])} "
        f"in {len(mine['buckets'])} bucket(s); {entry['name']}: {entry['objects']} objects"
    )
    check(entry["bytes"] == usage["bytes"], "the per-bucket figure agrees")
    check(mine["bytes"] >= usage["bytes"], "the total includes this bucket")


def step_low_level(client: Client, bucket: Bucket) -> None:
    """Step: The generated low-level layer: (data, response)."""
    page, response = client.api.blobs.list(bucket.id, prefix=PREFIX + "notes/", page_size=2)
    request_id = response.headers.get("x-request-id")
    say(
        f"client.api.blobs.list(...) -> ({type(page).__name__}, httpx.Response): "
        f"{len(page.results)} results, next_cursor {'set' if page.next_cursor else 'none'}"
    )
    say(
        f"HTTP {response.status_code} {response.headers.get('content-type')}, "
        f"X-Request-ID {request_id}, {response.elapsed.total_seconds() * 1000:.1f} ms"
    )
    check(response.status_code == 200 and request_id, "a 200 with a request id")
    check(len(page.results) == 2 and page.next_cursor, "a first page of 2 with a cursor")
    try:
        client.api.buckets.get("no-such-bucket-" + secrets.token_hex(3))
    except LowLevelApiError as exc:
        say(
            f"errors carry it too: {type(exc).__name__} {exc.status_code} "
            f"{exc.problem.get('code')!r}, request id {exc.request_id}"
        )
        check(exc.status_code == 404 and exc.request_id, "404 with a request id")
    else:
        raise TourFailure("a missing bucket must raise")
    try:
        client.buckets.get("no-such-bucket-" + secrets.token_hex(3))
    except NotFoundError as exc:
        check(isinstance(exc, FileNotFoundError), "NotFoundError is a FileNotFoundError")
        say(f"high level: NotFoundError, also a FileNotFoundError, id {exc.request_id}")


def step_download(bucket: Bucket, work: Path, files: dict[str, Path]) -> None:
    """Step: Download the whole prefix with update=True and verify every checksum."""
    out = work / "restored"
    report = bucket.download(PREFIX, out, update=True)
    say(f"bucket.download({PREFIX!r}, out, update=True): {report.summary()}")
    check(report.ok and len(report.transferred) == len(files), report.summary())
    got = local_files(out)
    check(sorted(got) == sorted(files), f"downloaded {sorted(got)}")
    remote = snapshot(bucket, PREFIX)
    for rel, path in files.items():
        check(sha256_file(got[rel]) == sha256_file(path), f"{rel}: downloaded bytes differ")
        digest = crc32c_file(got[rel])
        check(digest == remote[PREFIX + rel][2], f"{rel}: differs from the server crc32c")
    say(f"all {len(got)} files match the originals (sha256) and the server (crc32c)")
    report = bucket.download(PREFIX, out, update=True)
    say(f"again with update=True: {report.summary()}")
    check(
        not report.transferred and len(report.skipped) == len(files),
        "nothing to download the second time",
    )


def run(tour: Tour, keep_bucket: bool) -> None:
    client = Client()  # BUCKETRY_URL, BUCKETRY_TOKEN
    wire = Wire(client)
    work = Path(tempfile.mkdtemp(prefix="bucketry-tour-"))
    src = work / "photos"
    bucket: Bucket | None = None
    try:
        # ------------------------------------------------------------------ 1. bucket
        with tour.step("Create a bucket"):
            bucket = step_bucket(client)
        # ------------------------------------------------------------------ 2. upload
        with tour.step("Upload a folder with nested files and one large file (multipart)"):
            files = step_upload(bucket, src, wire)
        # ------------------------------------------------------------------ 3. list and glob
        with tour.step("List lazily and glob"):
            step_list(bucket, wire, files)
        # ------------------------------------------------------------------ 4. sync
        with tour.step("Sync: dry run, then for real, then a dry run again"):
            files = step_sync(bucket, src, files)
        # ------------------------------------------------------------------ 5. mirror
        with tour.step("Sync mirrors: quick edits go up, a newer destination is replaced"):
            show_mirroring(bucket, src)

        # ------------------------------------------------------------------ 6. resume
        with tour.step("Resume an interrupted upload"):
            files = step_resume(client, bucket, src, wire)
        # ------------------------------------------------------------------ 7. signed URL
        with tour.step("Download through a signed URL (no token)"):
            step_signed_url(client, bucket, src)
        # ------------------------------------------------------------------ 8. usage
        with tour.step("Usage, computed by the server"):
            step_usage(client, bucket, files)
        # ------------------------------------------------------------------ 9. low level
        with tour.step("The generated low-level layer: (data, response)"):
            step_low_level(client, bucket)
        # ------------------------------------------------------------------ 10. download
        with tour.step("Download the whole prefix with update=True and verify every checksum"):
            step_download(bucket, work, files)
        # ------------------------------------------------------------------ 11. operations
        with tour.step("Copy a prefix server-side with one operation and wait for it"):
            operations_step(client, bucket, PREFIX, files, say, check)
        # ------------------------------------------------------------------ 12. projects
        with tour.step("A project fed by the bucket: dry run, sync, query assets with filters"):
            projects_step(client, bucket, PREFIX, files, say, check)
        # ------------------------------------------------------------------ 13. imported
        if (root := imports_root()) is not None:
            with tour.step("An imported bucket: a server folder, used through the same calls"):
                imported_step(client, root, files, work, say, check)
    finally:
        if bucket is not None and not keep_bucket:
            try:
                bucket.delete(force=True)
            except Exception as exc:  # the tour's verdict matters more than the cleanup
                print(f"\n(could not delete the tour bucket: {exc})", file=sys.stderr)
        client.close()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep-bucket", action="store_true", help="do not delete the tour's bucket at the end"
    )
    args = parser.parse_args(argv)
    tour = Tour(STEPS)
    print("Bucketry tour: the SDK against a real server", flush=True)
    try:
        run(tour, args.keep_bucket)
    except Exception as exc:
        traceback.print_exc()
        print(
            f"\nTOUR FAILED at step {tour.number}/{STEPS} ({tour.title}): "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    print(f"\nTour complete: {STEPS} steps in {time.monotonic() - tour.started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
