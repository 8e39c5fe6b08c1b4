"""The SDK's projects, assets and labels end to end on the live server: ``client.projects``,
``project.assets`` (filters, fields, pages, progress sized by the count, DataFrames), appends
of URLs, ``bkt://`` references and local files (uploaded first), per-item results with
duplicates, bulk mutations, labels, and ``download_media``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bucketry import (
    BadRequestError,
    Bucket,
    Client,
    NotFoundError,
    PermissionDeniedError,
    ProgressAdvance,
    ProgressEvent,
    ProgressFinish,
    ProgressStart,
    Project,
)
from tests.support.live_server import LiveServer


@pytest.fixture
def project(client: Client, unique: str) -> Iterator[Project]:
    p = client.projects.create(f"sdk-{unique}", description="tour", input_type="IMAGE")
    yield p
    p.delete()


def _seed(project: Project) -> list[str]:
    """Five URL assets with metadata; returns their ids in order."""
    result = project.assets.append(
        [
            {
                "content": f"https://example.com/img-{i}.png",
                "external_id": f"img-{i}",
                "json_metadata": {"color": "blue" if i % 2 else "red", "size": i},
            }
            for i in range(5)
        ]
    )
    assert result.ok and len(result.ids) == 5
    return result.ids


def test_projects_crud(
    client: Client, unique: str, server: LiveServer, users: dict[str, str]
) -> None:
    p = client.projects.create(f"crud-{unique}", input_type="TEXT", json_interface={"jobs": {}})
    assert p.id.startswith("prj_") and p.input_type == "TEXT" and p.number_of_assets == 0
    assert client.projects.get(p.id).title == f"crud-{unique}"
    assert [x.id for x in client.projects.list(search=f"crud-{unique}")] == [p.id]
    p.update(title=f"crud-{unique}-renamed", description="now described")
    again = client.projects(p.id).refresh()
    assert again.title == f"crud-{unique}-renamed" and again.description == "now described"
    with pytest.raises(ValueError, match="input_type"):
        client.projects.create("x", input_type="PICTURE")
    with (
        Client(url=server.url, token=users["bob"], progress=False) as bob,  # another org
        pytest.raises((NotFoundError, PermissionDeniedError)),
    ):
        bob.projects.get(p.id)
    client.projects.delete(p.id)
    with pytest.raises(NotFoundError, match=p.id):
        client.projects.get(p.id)


def test_list_filters_fields_and_count(project: Project) -> None:
    ids = _seed(project)
    assets = project.assets
    assert assets.count() == 5
    assert [a.external_id for a in assets.list(page_size=2)] == [f"img-{i}" for i in range(5)]
    assert assets.count(metadata_where={"color": "blue"}) == 2
    assert [a.external_id for a in assets.list(metadata_where={"size": [1, 3]})] == [
        "img-1",
        "img-2",
        "img-3",
    ]
    assert [a.id for a in assets.list(asset_id=ids[4], asset_id_in=[ids[0]])] == [ids[0], ids[4]]
    assert assets.count(external_id_strictly_in=["img-2", "img-3"], status_in=["TODO"]) == 2
    assert assets.count(external_id_contains="img-") == 5
    assert assets.count(asset_id_in=[]) == 0 and assets.list(status_in=[]).to_list() == []
    only = assets.list(fields=["external_id"], first=1).to_list()[0]
    assert only.to_dict() == {"id": ids[0], "external_id": "img-0"}
    with pytest.raises(AttributeError, match="status"):
        _ = only.status
    assert only.refresh().status == "TODO"
    frame = assets.to_pandas(fields=["external_id", "json_metadata"], skipped=False)
    assert list(frame["external_id"]) == [f"img-{i}" for i in range(5)]
    with pytest.raises(TypeError, match="colour"):
        assets.count(colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="status_in"):
        assets.count(status_in=["DONE"])
    with pytest.raises(BadRequestError) as bad:
        assets.count(label_category_search="JOB.A.count >>> 1")
    assert "label_category_search" in str(bad.value.problem)


def test_to_pandas_without_pandas_says_how_to_install_it(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(project)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match=r"pip install 'bucketry\[pandas\]'"):
        project.assets.to_pandas()


def test_progress_is_sized_by_the_count(project: Project) -> None:
    _seed(project)
    events: list[ProgressEvent] = []
    listed = project.assets.list(
        page_size=2, progress=events.append, metadata_where={"size": [0, 2]}
    )
    assert len(listed.to_list()) == 3
    start = events[0]
    assert isinstance(start, ProgressStart) and start.total == 3 and start.unit == "asset"
    assert [e.amount for e in events if isinstance(e, ProgressAdvance)] == [2, 1]
    assert isinstance(events[-1], ProgressFinish)


def test_append_reports_duplicates_and_local_files_are_uploaded(
    project: Project, bucket: Bucket, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_bytes(b"alpha")
    (tmp_path / "b.bin").write_bytes(bytes(range(256)) * 40)
    result = project.assets.append(
        content=[tmp_path / "a.txt", str(tmp_path / "b.bin"), "https://example.com/x.png"],
        external_id=["a", "b", "a"],
        bucket=bucket,
        prefix="media/",
    )
    assert [r.ok for r in result] == [True, True, False]
    assert [r.index for r in result.duplicates] == [2]
    assert result.duplicates[0].code == "duplicate_external_id"
    assert bucket.blob("media/b.bin").read_bytes() == bytes(range(256)) * 40
    listed = {a.external_id: a.content for a in project.assets.list()}
    assert listed == {
        "a": f"bkt://{bucket.id}/media/a.txt",
        "b": f"bkt://{bucket.id}/media/b.bin",
    }
    with pytest.raises(ValueError, match="bucket="):
        project.assets.append([tmp_path / "a.txt"])
    with pytest.raises(ValueError, match="same length"):
        project.assets.append(content=["https://e.com/1"], external_id=["1", "2"])
    missing = project.assets.append([tmp_path / "gone.png"], bucket=bucket)
    assert [(r.ok, r.code) for r in missing] == [(False, "upload_failed")]

    media = tmp_path / "media-out"
    got = project.assets.list(download_media=True, local_media_dir=media, fields=["external_id"])
    paths = {a.external_id: a.local_media_path for a in got}
    assert paths["a"] == media / bucket.id / "media" / "a.txt"
    assert paths["a"] is not None and paths["a"].read_bytes() == b"alpha"


def test_mutations_labels_and_state_machine(project: Project) -> None:
    ids = _seed(project)
    assets = project.assets
    updated = assets.update(
        [{"asset_id": ids[0], "priority": 5}, {"external_id": "img-1", "json_metadata": {"k": 1}}]
    )
    assert updated.ok and assets.get(ids[0]).priority == 5
    renamed = assets.change_external_ids({ids[2]: "renamed", ids[3]: "img-4"})
    assert [r.ok for r in renamed] == [True, False]
    assert renamed.failed[0].code == "external_id_taken"

    first = assets.get(ids[0])
    label = first.labels.create({"JOB": {"categories": [{"name": "CAT"}]}}, seconds_to_label=3)
    assert label.label_type == "DEFAULT" and label.author == "alice"
    assert [x.id for x in first.labels.list()] == [label.id]
    assert first.refresh().status == "LABELED"
    assert assets.count(label_category_search="JOB.CAT.count > 0") == 1
    review = assets.review(asset_ids=[ids[0], ids[1]])
    assert [r.ok for r in review] == [True, False]  # an unlabelled asset is left alone
    assert assets.count(status_in=["TO_REVIEW"]) == 1
    assert assets.queue(external_ids=["img-0"]).ok
    assert assets.get(ids[0]).status == "ONGOING"
    deleted = assets.delete(asset_ids=[ids[4]], external_ids=["nope"])
    assert [r.ok for r in deleted] == [True, False] and deleted.failed[0].code == "not_found"
    assert assets.count() == 4


def test_a_misspelt_field_fails_before_any_request(project: Project) -> None:
    """The generated ``from_dict`` drops unknown keys; the SDK names them instead."""
    with pytest.raises(TypeError, match="json_metdata"):
        project.assets.append([{"content": "https://e.com/1", "json_metdata": {"k": 1}}])
    assert project.assets.count() == 0
    ids = _seed(project)
    with pytest.raises(TypeError, match="priorty"):
        project.assets.update([{"asset_id": ids[0], "priorty": 3}])
    with pytest.raises(TypeError, match="stat"):
        project.assets.get(ids[0]).update(stat="ONGOING")
    assert project.assets.get(ids[0]).priority == 0


def test_label_type_checked_before_any_request(project: Project) -> None:
    asset: Any = project.assets.get(_seed(project)[0])
    with pytest.raises(ValueError, match="label_type"):
        asset.labels.create({}, label_type="GUESS")
