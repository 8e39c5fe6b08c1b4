"""``project.connect`` → ``Connection.diff`` / ``sync`` (dry run, real, idempotent re-sync,
``delete_extraneous_files``) and ``bucketry connections sync --dry-run``, end to end on the
live server."""

from __future__ import annotations

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
