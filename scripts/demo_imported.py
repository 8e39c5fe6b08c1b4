"""The tour's imported-bucket step (``scripts/demo_tour.py``): a folder on the server host
registered as a FILESYSTEM bucket, then used through the same SDK calls as a managed bucket:
its status, actions and content pages; folder listings with totals (size, blob count, latest
time) as a managed bucket's; a write checked by CRC32C on its way into the folder (a wrong
checksum is refused and writes nothing); upload, sync and glob through it.

It runs only when ``BUCKETRY_DEMO_IMPORTS`` names a folder the server allows as a FILESYSTEM
root (``scripts/demo`` starts the server with ``--filesystem-root <tmp>/imports`` and sets it)
and the token is an administrator's (FILESYSTEM buckets are reserved to them).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import google_crc32c

from bucketry import Bucket, Client
from bucketry_api.errors import ApiError as LowLevelApiError

ENV = "BUCKETRY_DEMO_IMPORTS"

Say = Callable[[str], None]
Check = Callable[[object, str], None]


def imports_root() -> Path | None:
    """The allowed FILESYSTEM root the tour may use, or ``None`` (the step is skipped)."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _crc32c(data: bytes) -> str:
    """``data``'s CRC32C as the server shows it (base64 of the big-endian 4 bytes)."""
    return base64.b64encode(int(google_crc32c.value(data)).to_bytes(4, "big")).decode()


def _seed(folder: Path, files: dict[str, Path]) -> dict[str, Path]:
    """Copy the tour's small files into ``folder`` (data already on the server host), each
    with its own whole-second modification time a minute apart (an hour ago onwards), so a
    folder's latest time is one file's; returns relative path -> copied file."""
    seeded: dict[str, Path] = {}
    start = int(time.time()) - 3600
    small = sorted(rel for rel, path in files.items() if path.stat().st_size < 1024 * 1024)
    for i, rel in enumerate(small):
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files[rel], target)
        os.utime(target, (start + 60 * i, start + 60 * i))
        seeded[rel] = target
    return seeded


def _folder_totals(seeded: dict[str, Path]) -> dict[str, tuple[int, int, int]]:
    """Top-level folder -> (total size, file count, latest mtime) of the seeded files."""
    totals: dict[str, tuple[int, int, int]] = {}
    for rel, path in seeded.items():
        if "/" not in rel:
            continue
        top = rel.split("/", 1)[0] + "/"
        st = path.stat()
        size, count, latest = totals.get(top, (0, 0, 0))
        totals[top] = (size + st.st_size, count + 1, max(latest, int(st.st_mtime)))
    return totals


def show_folder_totals(bucket: Bucket, seeded: dict[str, Path], say: Say, check: Check) -> None:
    """``listdir`` of the imported folder: its folders carry their total size, blob count and
    latest time, summed by the server from the provider's listing, as a managed bucket's do;
    and ordering by size puts folders among the files by those totals."""
    want = _folder_totals(seeded)
    entries = bucket.listdir()
    say("bucket.listdir(): folders carry totals, summed by the server from the folder's files")
    for e in entries:
        when = f"latest {e.modified_at:%H:%M:%S %Z}" if e.modified_at else "no time"
        what = f"{e.count} blob{'' if e.count == 1 else 's'}, {when}" if e.is_dir else "file"
        say(f"  {e.key:<12} {e.size:>8} B  {what}")
    folders = {e.key: e for e in entries if e.is_dir}
    check(sorted(folders) == sorted(want), f"folders {sorted(folders)}, expected {sorted(want)}")
    for key, (size, count, latest) in want.items():
        e = folders[key]
        got = (e.size, e.count, e.modified_at and int(e.modified_at.timestamp()), e.complete)
        check(got == (size, count, latest, True), f"{key}: {got}, files say {size, count, latest}")
    by_size = bucket.listdir(order_by="size", descending=True)
    order = [e.key for e in by_size]
    sizes = {e.key: e.size for e in entries}
    check(
        order == sorted(sizes, key=lambda k: (sizes[k], k), reverse=True),
        f"by size: {order}",
    )
    say(f"bucket.listdir(order_by='size', descending=True): {', '.join(order)}")


def show_crc32c(client: Client, bucket: Bucket, folder: Path, say: Say, check: Check) -> None:
    """A write into the folder is checked against the CRC32C the SDK declares, and answered
    with the blob's CRC32C; the same bytes declared with a wrong one are refused (400
    ``checksum_mismatch``) and nothing reaches the folder."""
    data = b"checked by CRC32C on its way into the folder\n" * 100
    want = _crc32c(data)
    info = bucket.blob("new/checked.txt").write_bytes(data)
    say(
        f"blob.write_bytes({len(data)} B) -> crc32c {info.crc32c} (the server's, on the way "
        "into the folder; equal to the one the SDK declared)"
    )
    check(info.crc32c == want, f"the write's CRC32C {info.crc32c}, expected {want}")
    check((folder / "new/checked.txt").read_bytes() == data, "the file is in the folder")
    wrong, code = _crc32c(data + b"!"), None
    try:
        client.api.blobs.put(bucket.id, key="new/corrupt.txt", body=data, x_checksum_crc32c=wrong)
    except LowLevelApiError as exc:
        code = exc.problem.get("code")
        check(exc.status_code == 400 and code == "checksum_mismatch", f"refused: {exc}")
    else:
        check(False, "a write declaring a wrong CRC32C must be refused")
    check(not (folder / "new/corrupt.txt").exists(), "a refused write leaves no file")
    say(f"the same bytes declared with crc32c {wrong} -> HTTP 400 {code!r}; no file written")
    head = bucket.blob("new/checked.txt").stat()
    if head.crc32c is None:
        say("blob.stat() (HEAD): no crc32c, a plain folder keeps no checksum next to the file")
    else:
        check(head.crc32c == want, f"HEAD's crc32c {head.crc32c}, expected {want}")
        say(f"blob.stat() (HEAD): crc32c {head.crc32c}, kept by the provider")
    bucket.blob("new/checked.txt").delete()


def imported_step(
    client: Client, root: Path, files: dict[str, Path], work: Path, say: Say, check: Check
) -> None:
    """Put some of the tour's files in a folder under ``root`` (data that is already on the
    server host), import it, look at it (status, actions, content pages, folder totals),
    write to it with a CRC32C check, upload and sync through it, and unregister it.
    ``files``: relative path -> local file."""
    folder = root / f"tour-{secrets.token_hex(4)}"
    seeded = _seed(folder, files)
    name = folder.name
    bucket = client.buckets.import_external(
        provider="FILESYSTEM", provider_bucket_name=str(folder), name=name
    )
    try:
        say(
            f"client.buckets.import_external(provider='FILESYSTEM', provider_bucket_name=...) -> "
            f"{bucket.id} ({len(seeded)} files already in {folder})"
        )
        report = bucket.status()
        say(f"bucket.status(): {report.status}, checked {report.checked_at:%H:%M:%S}")
        check(report.available, f"the folder is available: {report}")
        actions = bucket.actions()
        say(f"bucket.actions(): {actions}")
        check(sorted(actions) == ["READ", "WRITE"], f"the server may read and write: {actions}")

        pages = list(bucket.content(page_size=2).pages())
        entries = [e for page in pages for e in page]
        say(
            f"bucket.content(page_size=2): {len(pages)} pages, "
            + ", ".join(f"{e.key} ({e.type})" for e in entries)
        )
        check(len(pages) >= 2, "the root spans several pages")
        show_folder_totals(bucket, seeded, say, check)
        show_crc32c(client, bucket, folder, say, check)
        transfer_through(bucket, root, folder, seeded, work, say, check)
    finally:
        bucket.delete(force=True)
    say(f"bucket.delete(): {name} unregistered")


def transfer_through(
    bucket: Bucket,
    root: Path,
    folder: Path,
    seeded: dict[str, Path],
    work: Path,
    say: Say,
    check: Check,
) -> None:
    """Upload a folder into the imported bucket, sync it all back down and glob it: the same
    calls as on a managed bucket."""
    remote = {b.key for b in bucket.list() if not b.is_dir}
    check(remote == set(seeded), f"the listing shows the folder's files: {sorted(remote)}")
    up = work / "imported-up"
    (up / "new").mkdir(parents=True)
    (up / "new" / "hello.txt").write_text("written through an imported bucket\n")
    report_up = bucket.upload(up, "")
    check(report_up.ok, report_up.summary())
    on_disk = folder / "new" / "hello.txt"
    check(on_disk.read_bytes() == (up / "new" / "hello.txt").read_bytes(), "file on disk")
    say(f"bucket.upload(folder, '') wrote {on_disk.relative_to(root)} on the server host")

    back = work / "imported-back"
    bucket.sync(back, "", direction="download")
    for rel, path in seeded.items():
        check(_sha(back / rel) == _sha(path), f"{rel}: synced bytes differ")
    say(f"bucket.sync(back, direction='download'): sha256 of {len(seeded) + 1} files match")
    check(
        [b.key for b in bucket.glob("**/*.txt")]
        == sorted([k for k in seeded if k.endswith(".txt")] + ["new/hello.txt"]),
        "glob sees the same keys",
    )
