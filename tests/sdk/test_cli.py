"""The ``bucketry`` command line, run in-process (``cli.main``) against the real server, plus
one run of the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bucketry import Client, NotFoundError
from bucketry.cli import main
from bucketry.uri import BucketURI, format_uri, parse_uri, split_path
from tests.support.live_server import LiveServer


@pytest.fixture
def env(server: LiveServer, users: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUCKETRY_URL", server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", users["alice"])
    monkeypatch.setenv("BUCKETRY_NO_PROGRESS", "1")
    monkeypatch.delenv("BUCKETRY_DEBUG", raising=False)


@pytest.fixture
def name(env: None, server: LiveServer, users: dict[str, str], unique: str) -> Iterator[str]:
    bucket = f"cli-{unique}"
    yield bucket
    with Client(url=server.url, token=users["alice"], progress=False) as client:
        try:
            client.bucket(bucket).delete(force=True)
        except FileNotFoundError:
            pass


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_uri_helper() -> None:
    assert parse_uri("bkt://b") == BucketURI("b", "")
    assert parse_uri("bkt://b/raw/") == BucketURI("b", "raw/")
    assert parse_uri("BKT://b/a//c") == BucketURI("b", "a//c")
    assert parse_uri("bkt://b/raw/").is_prefix and not parse_uri("bkt://b/k").is_prefix
    assert split_path("/b/k").path == "b/k"
    assert format_uri("b", "k") == "bkt://b/k" and str(BucketURI("b")) == "bkt://b"
    assert BucketURI("b", "raw").child("x").key == "raw/x"
    for bad in ("s3://b/k", "bkt://", "bkt:///k", "b/k"):
        with pytest.raises(ValueError):
            parse_uri(bad)


def test_buckets_ls_cp_rm_du(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    assert run(capsys, "buckets", "create", name)[0] == 0
    code, out, _ = run(capsys, "ls")
    assert code == 0 and name in out.split()
    code, out, _ = run(capsys, "buckets", "info", name, "--json")
    assert code == 0 and json.loads(out)["name"] == name

    (tmp_path / "hello.txt").write_text("hello")
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.csv").write_text("a,b\n1,2\n")
    (folder / "sub" / "b.bin").write_bytes(os.urandom(1000))
    assert run(capsys, "cp", str(tmp_path / "hello.txt"), f"bkt://{name}/docs/")[0] == 0
    assert run(capsys, "cp", "-r", str(folder), f"bkt://{name}/tree")[0] == 0

    code, out, _ = run(capsys, "ls", f"bkt://{name}/")
    assert out.split() == ["docs/", "tree/"]
    code, out, _ = run(capsys, "ls", "-r", f"bkt://{name}/tree/")
    assert out.split() == ["tree/a.csv", "tree/sub/b.bin"]
    code, out, _ = run(capsys, "ls", "-l", "-r", f"bkt://{name}/docs/")
    assert out.split()[0] == "5" and out.split()[-1] == "docs/hello.txt"
    code, out, _ = run(capsys, "ls", "--json", "-r", f"bkt://{name}")
    assert {e["key"]: e["size"] for e in json.loads(out)} == {
        "docs/hello.txt": 5,
        "tree/a.csv": 8,
        "tree/sub/b.bin": 1000,
    }

    # downloads: one key into a folder, a prefix recursively
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert run(capsys, "cp", f"bkt://{name}/docs/hello.txt", str(out_dir))[0] == 0
    assert (out_dir / "hello.txt").read_text() == "hello"
    assert run(capsys, "cp", "-r", f"bkt://{name}/tree/", str(out_dir / "t"))[0] == 0
    assert (out_dir / "t" / "sub" / "b.bin").read_bytes() == (folder / "sub" / "b.bin").read_bytes()

    # server-side copies
    assert run(capsys, "cp", f"bkt://{name}/docs/hello.txt", f"bkt://{name}/copy.txt")[0] == 0
    code, out, _ = run(capsys, "cp", "-r", f"bkt://{name}/tree/", f"bkt://{name}/backup/")
    assert code == 0 and "copied 2 blob(s)" in out and "(operation op_" in out  # one operation
    code, out, _ = run(capsys, "ls", f"bkt://{name}")
    assert out.split() == ["backup/", "copy.txt", "docs/", "tree/"]

    code, out, _ = run(capsys, "du", f"bkt://{name}", "--json")
    assert code == 0 and json.loads(out)["objects"] == 6
    assert json.loads(out)["bytes"] == 5 + 5 + 2 * (8 + 1000)
    code, out, _ = run(capsys, "du", f"bkt://{name}/tree/", "--json")
    assert json.loads(out) == {"bucket": name, "prefix": "tree/", "bytes": 1008, "objects": 2}

    code, out, _ = run(capsys, "rm", "-r", "--dry-run", f"bkt://{name}/backup/")
    assert code == 0 and "would delete 2" in out
    code, out, _ = run(capsys, "rm", "-r", f"bkt://{name}/backup/")
    assert code == 0 and "deleted 2" in out
    assert run(capsys, "rm", f"bkt://{name}/copy.txt")[0] == 0
    code, out, _ = run(capsys, "ls", f"bkt://{name}")
    assert out.split() == ["docs/", "tree/"]

    code, out, _ = run(capsys, "buckets", "delete", name, "--force")
    assert code == 0 and "deleted bucket" in out


def test_sync_command(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    run(capsys, "buckets", "create", name)
    src = tmp_path / "src"
    src.mkdir()
    (src / "one.txt").write_text("1")
    (src / "two.txt").write_text("22")
    code, out, _ = run(capsys, "sync", str(src), f"bkt://{name}/s", "--dry-run", "-v")
    assert code == 0 and "dry run" in out and "upload   s/one.txt" in out
    assert run(capsys, "ls", "-r", f"bkt://{name}")[1] == ""  # nothing changed
    plan_file = tmp_path / "plan.json"
    code, out, _ = run(capsys, "sync", str(src), f"bkt://{name}/s", "--save-plan", str(plan_file))
    assert code == 0 and json.loads(plan_file.read_text())["ops"][0]["action"] == "upload"
    code, out, _ = run(capsys, "sync", str(src), f"bkt://{name}/s", "--json")
    plan = json.loads(out)
    assert [op["action"] for op in plan["ops"]] == ["skip", "skip"]
    (src / "two.txt").unlink()
    code, out, _ = run(capsys, "sync", str(src), f"bkt://{name}/s", "--delete", "--compare", "size")
    assert code == 0
    assert run(capsys, "ls", "-r", f"bkt://{name}")[1].split() == ["s/one.txt"]
    back = tmp_path / "back"
    code, out, _ = run(capsys, "sync", f"bkt://{name}/s/", str(back))
    assert code == 0 and (back / "one.txt").read_text() == "1"


def test_sync_update_keeps_a_newer_destination(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    """``sync`` mirrors by default; ``--update`` keeps a destination that is newer (D1)."""
    run(capsys, "buckets", "create", name)
    (tmp_path / "k.txt").write_text("old")
    os.utime(tmp_path / "k.txt", (1_600_000_000, 1_600_000_000))
    with Client(progress=False) as client:
        client.bucket(name).blob("u/k.txt").write_text("new")
    code, out, _ = run(capsys, "sync", str(tmp_path), f"bkt://{name}/u", "--update", "-v")
    assert code == 0 and "update=True" in out
    assert run(capsys, "cp", f"bkt://{name}/u/k.txt", str(tmp_path / "got.txt"))[0] == 0
    assert (tmp_path / "got.txt").read_text() == "new"
    (tmp_path / "got.txt").unlink()
    assert run(capsys, "sync", str(tmp_path), f"bkt://{name}/u")[0] == 0
    with Client(progress=False) as client:
        assert client.bucket(name).blob("u/k.txt").read_text() == "old"


def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "ls", "bkt://no-such-bucket-anywhere/")
    assert code == 1 and err.startswith("bucketry: error: ") and err.count("\n") == 1
    assert "bucket 'no-such-bucket-anywhere'" in err  # errors name what failed (D6)
    code, _, err = run(capsys, "cp", str(tmp_path / "missing"), "bkt://b/x")
    assert code == 1 and "missing" in err and err.count("\n") == 1
    code, _, err = run(capsys, "rm", "bkt://no-such-bucket-anywhere/k")
    assert code == 1 and err.count("\n") == 1 and "no-such-bucket-anywhere" in err
    monkeypatch.setenv("BUCKETRY_MAX_RETRIES", "0")
    code, _, err = run(capsys, "--url", "http://127.0.0.1:9", "ls")
    assert code == 1 and "http://127.0.0.1:9/api/v1/buckets" in err
    # usage errors: exit 2
    assert run(capsys, "cp", "a", "b")[0] == 2
    assert run(capsys, "sync", "a", "b")[0] == 2
    assert run(capsys, "rm", "bkt://bucket")[0] == 2
    assert run(capsys, "ls", "s3://x")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "sync", str(tmp_path), "bkt://b", "--compare", "fuzzy")[0] == 2
    assert run(capsys, "--version")[0] == 0


def test_missing_token_says_how_to_fix(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    server: LiveServer,
) -> None:
    monkeypatch.delenv("BUCKETRY_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("BUCKETRY_CONFIG", str(tmp_path / "none.toml"))
    code, _, err = run(capsys, "ls", "--url", server.url)
    assert code == 1 and "BUCKETRY_TOKEN" in err and err.count("\n") == 1


def test_options_after_the_command(
    capsys: pytest.CaptureFixture[str],
    users: dict[str, str],
    server: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BUCKETRY_URL", raising=False)
    monkeypatch.delenv("BUCKETRY_TOKEN", raising=False)
    code, out, _ = run(
        capsys, "ls", "--url", server.url, "--token", users["bob"], "--json", "--no-progress"
    )
    assert code == 0 and isinstance(json.loads(out), list)
    code, out, _ = run(capsys, "--url", server.url, "--token", users["bob"], "ls")
    assert code == 0


def test_console_script(server: LiveServer, users: dict[str, str], name: str) -> None:
    script = Path(sys.executable).with_name("bucketry")
    env = dict(os.environ, BUCKETRY_URL=server.url, BUCKETRY_TOKEN=users["alice"])
    done = subprocess.run(
        [str(script), "buckets", "create", name],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(script), "ls"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and name in done.stdout.split()
    done = subprocess.run(
        [str(script), "ls", "bkt://no-such-bucket-anywhere"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("bucketry: error:") and done.stderr.count("\n") == 1


def test_cp_dash_is_stdin_or_stdout_and_json_is_an_object(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
) -> None:
    """Issue 8, D5: ``cp bkt://b/k -`` writes the blob to stdout (no file named ``-``),
    ``cp - bkt://b/k`` stores stdin, and ``cp --json`` prints a JSON object."""
    import io

    assert main(["buckets", "create", name]) == 0
    payload = bytes(range(256)) * 4000  # ~1 MiB of binary
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload)))
    assert main(["cp", "-", f"bkt://{name}/in/blob.bin"]) == 0
    capsysbinary.readouterr()
    monkeypatch.chdir(tmp_path)
    assert main(["cp", f"bkt://{name}/in/blob.bin", "-"]) == 0
    out, _ = capsysbinary.readouterr()
    assert out == payload and not (tmp_path / "-").exists()

    (tmp_path / "f.txt").write_text("x")
    assert main(["cp", str(tmp_path / "f.txt"), f"bkt://{name}/j/f.txt", "--json"]) == 0
    out, _ = capsysbinary.readouterr()
    data = json.loads(out)
    assert isinstance(data, dict) and data["transferred"] == 1 and data["ok"] is True
    assert data["files"][0]["key"] == "j/f.txt"
    assert main(["cp", "-r", "-", f"bkt://{name}/x"]) == 2


def test_a_failed_copy_names_both_blobs(capsys: pytest.CaptureFixture[str], name: str) -> None:
    """Issue 8, D6: a server-side copy that fails names the source and the destination as
    ``bkt://bucket/key`` (the request goes to the destination bucket, the key is in the body,
    so the bare error said only ``bucket 'NAME'``) in the SDK and in the CLI."""
    assert run(capsys, "buckets", "create", name)[0] == 0
    with Client(progress=False) as client, pytest.raises(NotFoundError) as info:
        client.bucket(name).blob("dir/nokey").copy_to("copies/nokey")
    message = str(info.value)
    assert f"bkt://{name}/dir/nokey" in message and f"bkt://{name}/copies/nokey" in message
    assert info.value.status_code == 404 and info.value.request_id
    code, _, err = run(capsys, "cp", f"bkt://{name}/dir/nokey", f"bkt://{name}/copies/")
    assert code == 1 and f"bkt://{name}/dir/nokey" in err and err.count("\n") == 1
