"""``project.connect`` → ``Connection.diff`` / ``sync`` (dry run, real, idempotent re-sync,
``delete_extraneous_files``) and ``bucketry connections sync --dry-run``, end to end on the
live server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bucketry import Bucket, Client, Project
from bucketry.cli import main
from tests.support.live_server import LiveServer


@pytest.fixture
def project(client: Client, unique: str) -> Project:
    return client.projects.create(f"con-{unique}")


def test_connect_diff_dry_run_sync_and_resync(project: Project, bucket: Bucket) -> None:
    for key in ("raw/a.jpg", "raw/b.jpg", "raw/notes.txt", "other/c.jpg"):
        bucket.blob(key).write_bytes(b"x")
    connection = project.connect(bucket, selected_folders=["raw/"], include=["**/*.jpg"])
    assert connection.selected_folders == ["raw/"] and connection.last_checked is None

    plan = connection.diff()
    assert sorted(a["key"] for a in plan.to_add) == ["raw/a.jpg", "raw/b.jpg"]
    assert plan.summary() == "+2 to add, -0 to remove, 0 unchanged"

    dry = connection.sync(dry_run=True)
    assert dry.dry_run and dry.added == 0 and dry.plan.add_count == 2
    assert project.assets.count() == 0 and connection.refresh().last_checked is None

    done = connection.sync()
    assert (done.added, done.removed, done.dry_run) == (2, 0, False)
    contents = sorted(a.content for a in project.assets.list(fields=["content"]))
    assert contents == [f"bkt://{bucket.id}/raw/a.jpg", f"bkt://{bucket.id}/raw/b.jpg"]
    assert connection.refresh().number_of_assets == 2 and connection.last_checked is not None

    again = connection.sync()
    assert (again.added, again.removed, again.plan.unchanged) == (0, 0, 2) and again.plan.empty

    bucket.blob("raw/a.jpg").delete()
    kept = connection.sync()
    assert kept.removed == 0 and kept.plan.remove_count == 1 and project.assets.count() == 2
    dropped = connection.sync(delete_extraneous_files=True)
    assert dropped.removed == 1 and [a.external_id for a in project.assets.list()] == ["raw/b.jpg"]
    bucket.blob("raw/d.jpg").write_bytes(b"x")
    queued = connection.sync(as_operation=True)  # the server's 202 path, waited on
    assert queued.operation is not None and queued.operation.status == "SUCCEEDED"
    assert sorted(a.external_id for a in project.assets.list()) == ["raw/b.jpg", "raw/d.jpg"]
    bucket.blob("raw/d.jpg").delete()
    connection.sync(delete_extraneous_files=True)
    assert [c.id for c in project.connections.list()] == [connection.id]
    connection.delete()
    assert project.assets.count() == 1  # the assets stay


def test_cli_connections_sync_dry_run(
    project: Project,
    bucket: Bucket,
    server: LiveServer,
    users: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BUCKETRY_URL", server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", users["alice"])
    monkeypatch.setenv("BUCKETRY_NO_PROGRESS", "1")
    bucket.blob("k1.png").write_bytes(b"1")
    assert main(["connections", "create", project.id, bucket.name]) == 0
    cid = capsys.readouterr().out.strip()
    assert cid.startswith("con_")
    assert main(["connections", "sync", cid, "--dry-run", "-v"]) == 0
    out = capsys.readouterr().out
    assert "+ k1.png" in out and "dry run: +1 to add" in out and project.assets.count() == 0
    assert main(["connections", "sync", cid]) == 0
    assert "added 1" in capsys.readouterr().out and project.assets.count() == 1


def test_sync_of_an_imported_filesystem_bucket_is_an_operation(
    imports_server: LiveServer, imports_users: dict[str, str], imports_root: Path, unique: str
) -> None:
    """The server keeps no object count of an imported bucket, so every real sync of one runs
    as a CONNECTION_SYNC operation (never inside the request, whatever the bucket's size):
    ``Connection.sync`` waits on it and reports its counts; a dry run still answers at once."""
    folder = imports_root / f"con-{unique}"
    (folder / "raw").mkdir(parents=True)
    for name in ("a.jpg", "b.jpg", "notes.txt"):
        (folder / "raw" / name).write_bytes(b"x")
    with Client(imports_server.url, token=imports_users["admin"], progress=False) as admin:
        bucket = admin.buckets.import_external(
            provider="FILESYSTEM", provider_bucket_name=str(folder), name=f"con-fs-{unique}"
        )
        project = admin.projects.create(f"con-fs-{unique}")
        connection = project.connect(bucket, include=["**/*.jpg"])
        dry = connection.sync(dry_run=True)
        assert dry.operation is None and dry.plan.add_count == 2 and project.assets.count() == 0

        done = connection.sync()
        assert done.operation is not None and done.operation.kind == "CONNECTION_SYNC"
        assert done.operation.status == "SUCCEEDED" and (done.added, done.removed) == (2, 0)
        assert done.plan.add_count == 2 and done.plan.unchanged == 0
        assert sorted(a.external_id for a in project.assets.list()) == ["raw/a.jpg", "raw/b.jpg"]

        (folder / "raw" / "a.jpg").unlink()
        kept = connection.sync()
        assert kept.operation is not None and kept.plan.summary() == (
            "+0 to add, -1 to remove, 1 unchanged"
        )
        assert kept.removed == 0 and project.assets.count() == 2
        dropped = connection.sync(delete_extraneous_files=True)
        assert dropped.operation is not None and dropped.removed == 1
        assert connection.refresh().number_of_assets == 1 and project.assets.count() == 1
