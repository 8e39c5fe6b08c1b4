"""listdir with folder aggregates, typed usage, ``bkt://`` URIs wherever the SDK takes a remote
path, and the CLI's ``ls -l --sort`` / ``usage`` tables, against the live server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bucketry import Bucket, BucketUsage, Client, Usage
from bucketry.cli import main
from tests.support.live_server import LiveServer

TREE = {"big/a.bin": 500, "big/b/c.bin": 700, "small/x": 10, "mid.bin": 300, "z.txt": 1}


@pytest.fixture
def tree(bucket: Bucket) -> Bucket:
    for key, size in TREE.items():
        bucket.blob(key).write_bytes(b"x" * size)
    return bucket


def test_listdir_folders_carry_aggregates(tree: Bucket) -> None:
    entries = tree.listdir()
    assert [e.key for e in entries] == ["big/", "mid.bin", "small/", "z.txt"]
    big = entries[0]
    assert big.is_dir and big.size == 1200 and big.count == 2 and big.complete
    assert big.modified_at is not None
    assert entries[1].count is None and entries[1].size == 300
    by_size = tree.listdir(order_by="size", descending=True)
    assert [e.key for e in by_size] == ["big/", "mid.bin", "small/", "z.txt"]
    ascending = tree.listdir(order_by="size", max_results=2)
    assert [e.key for e in ascending] == ["z.txt", "small/"]
    newest = tree.listdir(order_by="time", descending=True, max_results=1)
    assert [e.key for e in newest] == ["z.txt"]  # written last
    assert [e.key for e in tree.listdir("big")] == ["big/a.bin", "big/b/"]
    assert [e.key for e in tree.listdir(f"bkt://{tree.ref}/big/")] == ["big/a.bin", "big/b/"]


def test_usage_is_typed(tree: Bucket, client: Client) -> None:
    mine = client.usage()
    assert isinstance(mine, Usage)
    row = next(b for b in mine.buckets if b.bucket_id == tree.id)
    assert row.bytes == sum(TREE.values()) and row.objects == len(TREE) and row.name == tree.name
    assert mine.bytes >= row.bytes and mine["objects"] >= row.objects
    one = tree.usage()
    assert isinstance(one, BucketUsage) and one.bytes == 1511 and one.objects == 5
    assert one.computed_at is not None and one["objects"] == 5


def test_bkt_uris_wherever_a_remote_path_is(tree: Bucket, client: Client, tmp_path: Path) -> None:
    uri = f"bkt://{tree.name}/mid.bin"
    assert client.blob(uri).stat().size == 300
    assert client.bucket(f"bkt://{tree.name}").blob("z.txt").read_bytes() == b"x"
    assert tree.blob(uri).stat().size == 300 and tree.exists(uri)
    tree.download(uri, tmp_path / "m.bin")
    assert (tmp_path / "m.bin").stat().st_size == 300
    tree.upload(tmp_path / "m.bin", f"bkt://{tree.name}/up/m.bin")
    assert [e.key for e in tree.list(f"bkt://{tree.name}/up/")] == ["up/m.bin"]
    tree.blob("z.txt").copy_to(f"bkt://{tree.name}/copied.txt")
    assert tree.blob("copied.txt").read_bytes() == b"x"
    assert tree.rm(f"bkt://{tree.name}/up/", recursive=True) == 1
    with pytest.raises(ValueError, match="not in bucket"):
        tree.blob("bkt://another-bucket/k")
    with pytest.raises(ValueError):
        client.bucket("bkt://b/key")
    with pytest.raises(ValueError):
        client.blob("bkt://b")


@pytest.fixture
def env(server: LiveServer, users: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUCKETRY_URL", server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", users["alice"])
    monkeypatch.setenv("BUCKETRY_NO_PROGRESS", "1")


def test_cli_ls_sorted_table_and_usage(
    tree: Bucket, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "-l", "--sort", "size", "--reverse", f"bkt://{tree.name}/"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in lines]
    assert [r[-1] for r in rows] == ["big/", "mid.bin", "small/", "z.txt"]
    assert rows[0][:3] == ["1200", "1.2K", "2"]  # exact, human, blob count of the folder
    assert rows[1][:3] == ["300", "300B", "-"]
    assert main(["ls", "--sort", "time", f"bkt://{tree.name}/"]) == 0
    assert capsys.readouterr().out.split()[0] == "big/"  # its latest blob is older than z.txt
    assert main(["usage"]) == 0
    out = capsys.readouterr().out.splitlines()
    mine = next(line for line in out if line.endswith(f" {tree.name}")).split()
    assert mine[0] == "1511" and mine[2] == "5"
    assert out[-1].endswith("(total)")
