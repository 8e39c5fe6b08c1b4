"""The ``bkt://`` fsspec filesystem against the real server: found through the entry point,
used by ``fsspec.open`` and by pandas."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import fsspec
import pandas as pd
import pytest

from bucketry import Bucket, Client
from bucketry.fsspec import BucketryFileSystem
from tests.support.live_server import LiveServer


@pytest.fixture
def opts(server: LiveServer, users: dict[str, str]) -> dict[str, Any]:
    return {"url": server.url, "token": users["alice"]}


@pytest.fixture
def bucket(server: LiveServer, users: dict[str, str], unique: str) -> Iterator[Bucket]:
    with Client(url=server.url, token=users["alice"], progress=False) as client:
        b = client.buckets.create(f"fs-{unique}")
        name = b.name
        b.ref = name  # address it by name, as bkt:// paths do
        yield b
        client.bucket(name).delete(force=True)


@pytest.fixture
def fs(opts: dict[str, Any]) -> BucketryFileSystem:
    return BucketryFileSystem(**opts, skip_instance_cache=True)


def test_protocol_is_registered(opts: dict[str, Any]) -> None:
    cls = fsspec.get_filesystem_class("bkt")
    assert cls is BucketryFileSystem
    assert isinstance(fsspec.filesystem("bkt", **opts), BucketryFileSystem)
    assert BucketryFileSystem._strip_protocol("bkt://b/k/") == "b/k"
    assert BucketryFileSystem._strip_protocol("b/dir/x") == "b/dir/x"


def test_pandas_round_trip(opts: dict[str, Any], bucket: Bucket) -> None:
    df = pd.DataFrame({"name": ["a", "b", "c"], "value": [1, 2, 3], "note": ["x", "é", "z"]})
    url = f"bkt://{bucket.name}/tables/data.csv"
    df.to_csv(url, index=False, storage_options=opts)
    assert bucket.blob("tables/data.csv").read_text().startswith("name,value,note\n")
    back = pd.read_csv(url, storage_options=opts)
    pd.testing.assert_frame_equal(back, df)


def test_fsspec_open_read_write(opts: dict[str, Any], bucket: Bucket) -> None:
    url = f"bkt://{bucket.name}/notes/hello.txt"
    with fsspec.open(url, "w", **opts) as f:
        f.write("hello\nworld\n")
    assert bucket.blob("notes/hello.txt").read_bytes() == b"hello\nworld\n"
    with fsspec.open(url, "r", **opts) as f:
        assert f.readlines() == ["hello\n", "world\n"]
    with fsspec.open(url, "rb", **opts) as f:
        f.seek(6)
        assert f.read(5) == b"world"


def test_large_write_goes_multipart(fs: BucketryFileSystem, bucket: Bucket) -> None:
    data = os.urandom(300 * 1024)
    with fs.open(f"{bucket.name}/big.bin", "wb", block_size=64 * 1024) as f:
        for i in range(0, len(data), 10_000):
            f.write(data[i : i + 10_000])
    assert fs.cat_file(f"{bucket.name}/big.bin") == data
    assert fs.info(f"bkt://{bucket.name}/big.bin")["size"] == len(data)


def test_ls_info_and_friends(fs: BucketryFileSystem, bucket: Bucket) -> None:
    n = bucket.name
    fs.pipe_file(f"{n}/dir/a.txt", b"aaaa")
    fs.pipe_file(f"bkt://{n}/dir/sub/b.txt", b"bb")
    fs.pipe_file(f"{n}/top", b"t")
    assert fs.ls(f"bkt://{n}", detail=False) == [f"{n}/dir", f"{n}/top"]
    entries = {e["name"]: e for e in fs.ls(f"{n}/dir/")}
    assert entries[f"{n}/dir/a.txt"]["type"] == "file" and entries[f"{n}/dir/a.txt"]["size"] == 4
    assert entries[f"{n}/dir/sub"]["type"] == "directory"
    assert fs.ls(f"{n}/dir/a.txt", detail=False) == [f"{n}/dir/a.txt"]
    assert fs.info(f"{n}/dir")["type"] == "directory"
    assert fs.info(n)["type"] == "directory"
    info = fs.info(f"{n}/dir/a.txt")
    assert info["type"] == "file" and info["size"] == 4 and info["etag"]
    assert fs.exists(f"{n}/dir/sub/b.txt") and not fs.exists(f"{n}/nope")
    with pytest.raises(FileNotFoundError):
        fs.info(f"{n}/nope")
    with pytest.raises(FileNotFoundError):
        fs.cat_file(f"{n}/nope")
    with pytest.raises(FileNotFoundError):
        fs.open(f"{n}/nope", "rb")
    assert fs.find(f"{n}") == [f"{n}/dir/a.txt", f"{n}/dir/sub/b.txt", f"{n}/top"]
    assert fs.find(f"{n}/dir", maxdepth=1) == [f"{n}/dir/a.txt"]
    assert sorted(fs.glob(f"{n}/**/*.txt")) == [f"{n}/dir/a.txt", f"{n}/dir/sub/b.txt"]
    assert fs.du(f"{n}/dir") == 6
    assert bucket.name in fs.ls("", detail=False)
    fs.mkdir(f"{n}/empty")  # no-op, folders are implied
    assert not fs.exists(f"{n}/empty")

    # ranges: [start, end), negative offsets from the end, out of range is empty
    fs.pipe_file(f"{n}/digits", b"0123456789")
    assert fs.cat_file(f"{n}/digits", start=2, end=5) == b"234"
    assert fs.cat_file(f"{n}/digits", start=7) == b"789"
    assert fs.cat_file(f"{n}/digits", start=-3) == b"789"
    assert fs.cat_file(f"{n}/digits", start=0, end=-8) == b"01"
    assert fs.cat_file(f"{n}/digits", start=20) == b""
    assert fs.cat_file(f"{n}/digits", start=5, end=5) == b""
    assert fs.read_block(f"{n}/digits", 4, 3) == b"456"

    fs.cp_file(f"{n}/digits", f"{n}/copy")
    assert fs.cat(f"{n}/copy") == b"0123456789"
    fs.rm_file(f"{n}/copy")
    assert not fs.exists(f"{n}/copy")
    fs.rm(f"{n}/dir", recursive=True)
    assert fs.ls(n, detail=False) == [f"{n}/digits", f"{n}/top"]
    with pytest.raises(FileNotFoundError):
        fs.ls("no-such-bucket-anywhere")


def test_client_from_environment(
    server: LiveServer, users: dict[str, str], bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUCKETRY_URL", server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", users["alice"])
    bucket.blob("env.txt").write_bytes(b"from env")
    with fsspec.open(f"bkt://{bucket.name}/env.txt", "rb") as f:
        assert f.read() == b"from env"


def test_exclusive_open_sign_mkdir_and_missing_paths(
    fs: BucketryFileSystem, bucket: Bucket, unique: str
) -> None:
    """Issue 8, D7: ``open(path, "xb")`` creates only, ``sign()`` gives a working signed URL,
    ``mkdir("name")`` creates the bucket (as s3fs does), and a missing path is named."""
    import httpx

    n = bucket.name
    with fs.open(f"{n}/x.bin", "xb") as f:
        f.write(b"first")
    with pytest.raises(FileExistsError):
        fs.open(f"{n}/x.bin", "xb")
    assert fs.cat_file(f"{n}/x.bin") == b"first"

    url = fs.sign(f"{n}/x.bin", expiration=60)
    assert httpx.get(url).content == b"first"  # no token needed

    new = f"fs-made-{unique}"
    fs.mkdir(new)
    try:
        assert fs.info(new)["type"] == "directory" and new in fs.ls("", detail=False)
        with pytest.raises(FileExistsError):
            fs.mkdir(new)
        fs.makedirs(f"{new}/deep/er", exist_ok=True)
    finally:
        fs.rmdir(new)
    assert not fs.exists(new)

    for call in (fs.info, fs.cat_file, fs.open, fs.ls):
        with pytest.raises(FileNotFoundError, match=f"{n}/nope/missing.csv"):
            call(f"{n}/nope/missing.csv")
    with pytest.raises(FileNotFoundError, match=f"no-such-bucket-{unique}"):
        fs.cat_file(f"no-such-bucket-{unique}/k")


def test_rmdir_refuses_what_is_not_empty_and_names_what_is_missing(
    fs: BucketryFileSystem, bucket: Bucket, unique: str
) -> None:
    """``rmdir`` is ``os.rmdir``: a bucket or folder with blobs in it is ``ENOTEMPTY`` (nothing
    deleted), a missing one ``FileNotFoundError`` naming the path (as s3fs does)."""
    import errno

    n = bucket.name
    fs.pipe_file(f"{n}/dir/k.txt", b"data")
    for path in (n, f"{n}/dir"):
        with pytest.raises(OSError) as caught:
            fs.rmdir(path)
        assert caught.value.errno == errno.ENOTEMPTY and caught.value.filename == f"bkt://{path}"
        assert not isinstance(caught.value, FileExistsError)
    with pytest.raises(NotADirectoryError):
        fs.rmdir(f"{n}/dir/k.txt")
    assert fs.cat_file(f"{n}/dir/k.txt") == b"data"
    for path in (f"{n}/no-such-dir", f"no-such-bucket-{unique}"):
        with pytest.raises(FileNotFoundError, match=path):
            fs.rmdir(path)


def test_pipe_file_create_is_atomic(
    fs: BucketryFileSystem, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pipe_file(mode="create")`` is one conditional PUT (``If-None-Match: *``), not a
    check then a write: a blob created by someone else in between is never overwritten."""
    from bucketry.resources.blobs import Blob

    n = bucket.name
    fs.pipe_file(f"{n}/once.txt", b"theirs", mode="create")
    monkeypatch.setattr(Blob, "exists", lambda self: False)  # it appeared after any check
    with pytest.raises(FileExistsError):
        fs.pipe_file(f"{n}/once.txt", b"mine", mode="create")
    assert fs.cat_file(f"{n}/once.txt") == b"theirs"
    fs.pipe_file(f"{n}/once.txt", b"mine")  # overwrite (the default) still overwrites
    assert fs.cat_file(f"{n}/once.txt") == b"mine"
