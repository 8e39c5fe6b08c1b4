"""The tour's imported-bucket step (``scripts/demo_tour.py``): a folder on the server host
registered as a FILESYSTEM bucket, then used through the same SDK calls as a managed bucket.

It runs only when ``BUCKETRY_DEMO_IMPORTS`` names a folder the server allows as a FILESYSTEM
root (``scripts/demo`` starts the server with ``--filesystem-root <tmp>/imports`` and sets it)
and the token is an administrator's (FILESYSTEM buckets are reserved to them).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from bucketry import Client

ENV = "BUCKETRY_DEMO_IMPORTS"


def imports_root() -> Path | None:
    """The allowed FILESYSTEM root the tour may use, or ``None`` (the step is skipped)."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imported_step(
    client: Client,
    root: Path,
    files: dict[str, Path],
    work: Path,
    say: Callable[[str], None],
    check: Callable[[object, str], None],
) -> None:
    """Put some of the tour's files in a folder under ``root`` (data that is already on the
    server host), import it, look at it (status, actions, content pages), upload and sync
    through it, and unregister it. ``files``: relative path -> local file."""
    folder = root / f"tour-{secrets.token_hex(4)}"
    seeded = {rel: path for rel, path in files.items() if path.stat().st_size < 1024 * 1024}
    for rel, path in seeded.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / rel)
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
    finally:
        bucket.delete(force=True)
    say(f"bucket.delete(): {name} unregistered")
