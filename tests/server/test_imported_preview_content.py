"""Imported buckets beyond the data plane: previews read through the backend, folder content
with MIME types across pages, and deleting an imported bucket only forgets it."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from tests.server.imported_helpers import auth, import_bucket
from tests.support.live_server import LiveServer, live_server


@pytest.fixture(scope="module")
def fs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path, str]]:
    root = tmp_path_factory.mktemp("fs-root")
    with live_server(tmp_path_factory.mktemp("fs-data"), filesystem_roots=[root]) as srv:
        _, token = create_user(srv.state.db, "root", admin=True)
        yield srv, root, token


def _image(color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), color).save(out, format=fmt)
    return out.getvalue()


def _red(jpeg: bytes) -> int:
    from PIL import Image

    pixel: Any = Image.open(io.BytesIO(jpeg)).convert("RGB").getpixel((5, 5))
    return int(pixel[0])


def _register(srv: LiveServer, token: str, folder: Path) -> str:
    r = import_bucket(srv.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder)})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_preview_of_an_imported_folder(fs: tuple[LiveServer, Path, str]) -> None:
    srv, root, token = fs
    folder = root / "pics"
    (folder / "sub").mkdir(parents=True)
    (folder / "a-notes.txt").write_text("not an image")
    bucket = _register(srv, token, folder)
    url = f"{srv.api}/buckets/{bucket}/preview"
    none = httpx.get(url, headers=auth(token), timeout=60)
    assert none.status_code == 404 and none.json()["code"] == "no_preview", none.text
    (folder / "sub" / "red.png").write_bytes(_image((255, 0, 0)))
    r = httpx.get(url, headers=auth(token), timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg" and _red(r.content) > 200
    # A new version of the same key (new etag) gets a new thumbnail, not the cached one.
    (folder / "sub" / "red.png").write_bytes(_image((0, 0, 255), "JPEG"))
    st = (folder / "sub" / "red.png").stat()
    os.utime(folder / "sub" / "red.png", (st.st_atime + 5, st.st_mtime + 5))
    again = httpx.get(url, headers=auth(token), timeout=60)
    assert again.status_code == 200 and _red(again.content) < 60


def test_deleting_an_imported_bucket_keeps_the_provider_data(
    fs: tuple[LiveServer, Path, str],
) -> None:
    srv, root, token = fs
    folder = root / "keep"
    folder.mkdir()
    for i in range(3):
        (folder / f"f{i}.txt").write_text(f"data {i}")
    bucket = _register(srv, token, folder)
    dry = httpx.delete(
        f"{srv.api}/buckets/{bucket}", params={"dry_run": "true"}, headers=auth(token)
    )
    assert dry.status_code == 200 and dry.json()["deleted"] is False, dry.text
    r = httpx.delete(f"{srv.api}/buckets/{bucket}", params={"force": "true"}, headers=auth(token))
    assert r.status_code == 200, r.text
    assert r.json()["deleted"] is True and r.json()["blobs"] == 0
    assert sorted(p.name for p in folder.iterdir()) == ["f0.txt", "f1.txt", "f2.txt"]
    gone = httpx.get(f"{srv.api}/buckets/{bucket}", headers=auth(token))
    assert gone.status_code == 404
