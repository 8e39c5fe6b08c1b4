"""Private data stays private: the data directory is 0700 and every file the server makes is 0600
(database, blob files, temp files, parts, keys, the admin token)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

from bucketry_api import ApiClient
from bucketry_api.models import BucketCreate, UploadComplete, UploadCreate
from bucketry_server.accounts.users import create_user, ensure_admin
from bucketry_server.storage import LocalStore
from tests.support.live_server import live_server


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _tree(root: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Modes of the directories and of the files below ``root`` (relative names)."""
    dirs: dict[str, int] = {}
    files: dict[str, int] = {}
    for folder, subdirs, names in os.walk(root):
        for d in subdirs:
            dirs[os.path.relpath(os.path.join(folder, d), root)] = _mode(Path(folder, d))
        for n in names:
            files[os.path.relpath(os.path.join(folder, n), root)] = _mode(Path(folder, n))
    return dirs, files


def test_data_directory_and_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"  # created by the server
    with live_server(data_dir, min_part_size=1024) as server:
        assert ensure_admin(server.state.db, data_dir)  # no user yet: admin.token is written
        _, token = create_user(server.state.db, "modes", admin=False)
        with ApiClient(server.url, token=token) as api:
            b, _ = api.buckets.create(body=BucketCreate(name="modes"))
            api.blobs.put(b.id, key="single.bin", body=b"x" * 5000)
            up, _ = api.uploads.create(b.id, body=UploadCreate(key="multi.bin"))
            etags = []
            for n in (1, 2):
                part, _ = api.uploads.put_part(b.id, up.id, n, body=bytes([n]) * 2048)
                etags.append({"part_number": n, "etag": part.etag})
            _, with_parts = _tree(data_dir)  # the parts are on disk now
            assert {f: m for f, m in with_parts.items() if m != 0o600} == {}
            api.uploads.complete(b.id, up.id, body=UploadComplete.from_dict({"parts": etags}))
        assert _mode(data_dir) == 0o700
        dirs, files = _tree(data_dir)
        assert "admin.token" in files and "server.key" in files
        blob_files = [f for f in files if f.startswith("blobs" + os.sep)]
        assert len(blob_files) >= 3  # the single PUT and the two parts (maybe linked)
        if server.settings.database_url is None:  # SQLite: the database and its WAL files
            assert {"bucketry.db", "bucketry.db-wal", "bucketry.db-shm"} <= set(files)
        assert {d: m for d, m in dirs.items() if m != 0o700} == {}
        assert {f: m for f, m in files.items() if m != 0o600} == {}


def test_an_existing_open_data_directory_is_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "open"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    with live_server(data_dir):
        assert _mode(data_dir) == 0o700


def test_temp_files_are_private(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    seen: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a" * (2 << 20)  # a block: written to the temp file in a worker thread
        for _ in range(500):  # the temp file is made by that thread
            if any(store.tmp_dir.iterdir()):
                break
            await asyncio.sleep(0.01)
        seen.extend(_mode(p) for p in store.tmp_dir.iterdir())  # the in-flight temp file
        yield b"b" * 1000

    asyncio.run(store.write("obj_" + "0" * 32, chunks()))
    assert seen == [0o600]
    _, files = _tree(store.root)
    dirs, _ = _tree(store.root)
    assert set(files.values()) == {0o600} and set(dirs.values()) == {0o700}
