"""Issue 11 item 4: connections of a managed bucket to a project — files added, removed and
unchanged with and without delete_extraneous_files, selected folders and globs, conflicts,
a dry run (and a diff) leaving every table of the database unchanged, idempotent re-syncs,
deleting a connection (assets stay, unlinked) and bad input."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.server.connection_helpers import (
    asset_keys,
    connect,
    dump,
    finished,
    new_bucket,
    put,
    remove,
    sync,
)
from tests.server.project_helpers import append, client_for, new_project
from tests.support.live_server import LiveServer


@pytest.fixture
def alice(server: LiveServer, users: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(server, users["alice"]) as c:
        yield c


def test_sync_adds_keeps_and_removes(alice: httpx.Client, unique: str) -> None:
    bucket = new_bucket(alice, f"con-{unique}")
    put(alice, bucket, "a.txt", "b.txt", "dir/c.txt")
    project = new_project(alice)
    con = connect(alice, project, bucket)
    assert con["id"].startswith("con_") and con["number_of_assets"] == 0
    assert con["last_checked"] is None and con["selected_folders"] == []

    diff = alice.post(f"/connections/{con['id']}/diff").json()
    assert [d["key"] for d in diff["to_add"]] == ["a.txt", "b.txt", "dir/c.txt"]
    assert diff["to_add_count"] == 3 and diff["to_remove"] == [] and diff["unchanged"] == 0

    first = sync(alice, con["id"])
    assert (first["added"], first["removed"], first["dry_run"]) == (3, 0, False)
    assert first["connection"]["number_of_assets"] == 3
    assert first["connection"]["last_checked"] is not None
    assets = asset_keys(alice, project)
    assert sorted(assets) == ["a.txt", "b.txt", "dir/c.txt"]
    assert assets["dir/c.txt"]["content"] == f"bkt://{bucket}/dir/c.txt"
    assert assets["a.txt"]["connection_id"] == con["id"]

    again = sync(alice, con["id"])
    assert (again["added"], again["removed"]) == (0, 0)
    assert again["plan"]["unchanged"] == 3 and again["plan"]["to_add_count"] == 0

    remove(alice, bucket, "b.txt")
    put(alice, bucket, "d.txt")
    kept = sync(alice, con["id"])
    assert (kept["added"], kept["removed"]) == (1, 0)
    assert kept["plan"]["to_remove_count"] == 1
    assert kept["plan"]["to_remove"][0]["key"] == "b.txt"
    assert kept["plan"]["to_remove"][0]["asset_id"] == assets["b.txt"]["id"]
    assert sorted(asset_keys(alice, project)) == ["a.txt", "b.txt", "d.txt", "dir/c.txt"]
    assert kept["connection"]["number_of_assets"] == 4

    pruned = sync(alice, con["id"], delete_extraneous_files=True)
    assert (pruned["added"], pruned["removed"]) == (0, 1)
    assert sorted(asset_keys(alice, project)) == ["a.txt", "d.txt", "dir/c.txt"]
    assert pruned["connection"]["number_of_assets"] == 3
    assert alice.get(f"/connections/{con['id']}").json()["number_of_assets"] == 3


def test_unchanged_resync_writes_only_last_checked(
    server: LiveServer, alice: httpx.Client, unique: str
) -> None:
    bucket = new_bucket(alice, f"con-{unique}")
    put(alice, bucket, *[f"k{i:03}" for i in range(30)])
    project = new_project(alice)
    con = connect(alice, project, bucket)
    assert sync(alice, con["id"])["added"] == 30
    alice.get(f"/connections/{con['id']}")  # the token's coarse last-use stamp, not the sync's
    before = dump(server)
    assert sync(alice, con["id"], delete_extraneous_files=True)["added"] == 0
    after = dump(server)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"connections"}
    diff_rows = set(after["connections"]) - set(before["connections"])
    assert len(diff_rows) == 1 and con["id"] in next(iter(diff_rows))


def test_dry_run_and_diff_change_nothing(
    server: LiveServer, alice: httpx.Client, unique: str
) -> None:
    bucket = new_bucket(alice, f"con-{unique}")
    put(alice, bucket, "old/1", "old/2", "keep")
    project = new_project(alice)
    con = connect(alice, project, bucket)
    checked = sync(alice, con["id"])["connection"]["last_checked"]
    remove(alice, bucket, "old/1", "old/2")
    put(alice, bucket, "new/1", "new/2", "new/3")
    alice.get(f"/connections/{con['id']}")  # the token's coarse last-use stamp, not the sync's
    before = dump(server)
    dry = sync(alice, con["id"], dry_run=True, delete_extraneous_files=True, plan_limit=2)
    diff = alice.post(f"/connections/{con['id']}/diff", params={"plan_limit": 0}).json()
    assert dump(server) == before
    assert dry["dry_run"] is True and (dry["added"], dry["removed"]) == (0, 0)
    plan = dry["plan"]
    assert (plan["to_add_count"], plan["to_remove_count"], plan["unchanged"]) == (3, 2, 1)
    assert [a["key"] for a in plan["to_add"]] == ["new/1", "new/2"]
    assert [r["key"] for r in plan["to_remove"]] == ["old/1", "old/2"]
    assert dry["connection"]["last_checked"] == checked
    assert diff["to_add"] == [] and diff["to_add_count"] == 3 and diff["to_remove_count"] == 2
    real = sync(alice, con["id"], delete_extraneous_files=True)
    assert real["plan"] == {**plan, "to_add": real["plan"]["to_add"]}
    assert (real["added"], real["removed"]) == (3, 2)


def test_selected_folders_and_globs(alice: httpx.Client, unique: str) -> None:
    bucket = new_bucket(alice, f"con-{unique}")
    keys = ["raw/a.jpg", "raw/b.png", "raw/sub/c.jpg", "raw/sub/d.png", "rawx/e.jpg", "z.jpg"]
    put(alice, bucket, *keys)
    project = new_project(alice)
    con = connect(
        alice,
        project,
        bucket,
        selected_folders=["/raw", "raw/sub/"],
        include=["**/*.jpg"],
        exclude=["raw/sub/c*"],
    )
    assert con["selected_folders"] == ["raw/"]
    assert sync(alice, con["id"])["added"] == 1
    assert sorted(asset_keys(alice, project)) == ["raw/a.jpg"]

    two = connect(alice, new_project(alice), bucket, selected_folders=["rawx", "raw/sub"])
    assert two["selected_folders"] == ["raw/sub/", "rawx/"]
    plan = alice.post(f"/connections/{two['id']}/diff").json()
    assert [a["key"] for a in plan["to_add"]] == ["raw/sub/c.jpg", "raw/sub/d.png", "rawx/e.jpg"]

    everything = connect(alice, new_project(alice), bucket)
    assert sync(alice, everything["id"])["added"] == len(keys)


def test_conflicting_keys_and_delete_unlinks(alice: httpx.Client, unique: str) -> None:
    bucket = new_bucket(alice, f"con-{unique}")
    put(alice, bucket, "a", "b")
    project = new_project(alice)
    append(alice, project, [{"content": "https://example.com/x", "external_id": "a"}])
    con = connect(alice, project, bucket)
    result = sync(alice, con["id"])
    assert result["added"] == 1 and result["plan"]["conflicting"] == 1
    assert asset_keys(alice, project)["a"]["connection_id"] is None
    assert sync(alice, con["id"])["plan"]["conflicting"] == 1
    assert alice.delete(f"/connections/{con['id']}").status_code == 204
    assert alice.get(f"/connections/{con['id']}").status_code == 404
    assets = asset_keys(alice, project)
    assert sorted(assets) == ["a", "b"] and assets["b"]["connection_id"] is None
    again = connect(alice, project, bucket)
    assert sync(alice, again["id"])["plan"]["conflicting"] == 2


def test_bad_input_is_named(alice: httpx.Client, unique: str) -> None:
    bucket = new_bucket(alice, f"con-{unique}")
    project = new_project(alice)
    for body, name in [
        ({"include": ["[z-a]"]}, "include[0]"),
        ({"exclude": ["ok", "a[z-a]"]}, "exclude[1]"),
        ({"selected_folders": ["a/../b"]}, "selected_folders[0]"),
        ({"selected_folders": ["a//b"]}, "selected_folders[0]"),
    ]:
        r = alice.post("/connections", json={"project_id": project, "bucket": bucket, **body})
        assert r.status_code == 400 and name in r.json()["detail"], r.text
    for body, name in [
        ({"nope": 1}, "nope"),
        ({"exclude": [""]}, "exclude"),
        ({"selected_folders": ["//"]}, "selected_folders"),
    ]:
        r = alice.post("/connections", json={"project_id": project, "bucket": bucket, **body})
        assert r.status_code == 422 and name in r.text, r.text
    r = alice.post("/connections", json={"project_id": project, "bucket": "no-such-bucket-x"})
    assert r.status_code == 404
    con = connect(alice, project, bucket)
    r = alice.post(f"/connections/{con['id']}/sync", json={"plan_limit": 10001})
    assert r.status_code == 422 and "plan_limit" in r.text
    r = alice.post(f"/connections/{con['id']}/sync", json={"dry_run": "yes"})
    assert r.status_code == 422 and "dry_run" in r.text
    r = alice.post(f"/connections/{con['id']}/diff", params={"plan_limit": -1})
    assert r.status_code in (400, 422) and "plan_limit" in r.text
    assert alice.get("/connections", params={"cursor": "garbage"}).status_code == 400
    assert alice.get(f"/connections/{con['id']}").json()["number_of_assets"] == 0


def test_small_pages_never_read_back_new_assets(
    alice: httpx.Client, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 2 on each side, new keys interleaved with held ones: every page boundary of
    the merge is crossed with adds pending and flushed, and no inserted asset is met again by
    the asset side (so none is deleted as gone) nor counted twice."""
    from bucketry_server.connections import diff

    monkeypatch.setattr(diff, "PAGE", 2)
    bucket = new_bucket(alice, f"con-{unique}")
    put(alice, bucket, *[f"b{i}" for i in range(0, 20, 2)])
    project = new_project(alice)
    con = connect(alice, project, bucket)
    assert sync(alice, con["id"])["added"] == 10
    put(alice, bucket, *[f"b{i}" for i in range(1, 20, 2)])
    result = sync(alice, con["id"], delete_extraneous_files=True)
    assert (result["added"], result["removed"]) == (10, 0), result["plan"]
    assert result["plan"]["unchanged"] == 10 and result["plan"]["to_remove_count"] == 0
    assert len(asset_keys(alice, project)) == 20
    assert result["connection"]["number_of_assets"] == 20


def test_concurrent_syncs_never_duplicate(
    server: LiveServer, users: dict[str, str], unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two syncs of one connection at once (pages of 5, so they interleave): each answers 200
    or 409 ``sync_conflict``, no asset is created twice and a third sync completes the set."""
    from concurrent.futures import ThreadPoolExecutor

    from bucketry_server.connections import diff

    monkeypatch.setattr(diff, "PAGE", 5)
    with client_for(server, users["alice"]) as api:
        bucket = new_bucket(api, f"con-{unique}")
        put(api, bucket, *[f"k{i:03}" for i in range(60)])
        project = new_project(api)
        con = connect(api, project, bucket)

        def run() -> int:
            with client_for(server, users["alice"]) as c:
                r = c.post(f"/connections/{con['id']}/sync", json={})
                assert r.status_code in (200, 409), r.text
                if r.status_code == 409:
                    assert r.json()["code"] == "sync_conflict"
                return r.status_code

        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(lambda _: run(), range(2)))
        assert 200 in statuses
        final = sync(api, con["id"], delete_extraneous_files=True)
        assert final["removed"] == 0
        assets = asset_keys(api, project)
        assert sorted(assets) == [f"k{i:03}" for i in range(60)]
        assert final["connection"]["number_of_assets"] == 60


def test_non_ascii_keys_merge_in_one_order(
    alice: httpx.Client, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing and asset side agree on byte order for keys beyond ASCII (upper case, accents,
    CJK, an emoji), across page boundaries: a re-sync finds every key unchanged."""
    from bucketry_server.connections import diff

    monkeypatch.setattr(diff, "PAGE", 3)
    keys = ["Z", "a", "a b", "a-b", "a/b", "é.txt", "ä/1", "z", "日本/x", "\U0001f600.png", "~"]
    bucket = new_bucket(alice, f"con-{unique}")
    put(alice, bucket, *keys)
    project = new_project(alice)
    con = connect(alice, project, bucket)
    assert sync(alice, con["id"])["added"] == len(keys)
    again = sync(alice, con["id"], delete_extraneous_files=True)
    assert (again["added"], again["removed"]) == (0, 0), again["plan"]
    assert again["plan"]["unchanged"] == len(keys)
    assert sorted(asset_keys(alice, project)) == sorted(keys)


def test_large_or_asked_sync_runs_as_operation(
    alice: httpx.Client, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the threshold (lowered to 5 objects) a sync answers 202 with a CONNECTION_SYNC
    operation whose result and progress tell what it did; ``as_operation`` asks for one on a
    small bucket; a dry run never becomes one."""
    from bucketry_server.connections import sync as sync_module

    monkeypatch.setattr(sync_module, "OPERATION_THRESHOLD", 5)
    bucket = new_bucket(alice, f"con-{unique}")
    put(alice, bucket, *[f"k{i}" for i in range(8)])
    project = new_project(alice)
    con = connect(alice, project, bucket)
    dry = sync(alice, con["id"], dry_run=True)
    assert dry["plan"]["to_add_count"] == 8
    r = alice.post(f"/connections/{con['id']}/sync", json={})
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "CONNECTION_SYNC"
    assert r.json()["params"]["connection_id"] == con["id"]
    done = finished(alice, r.json())
    assert done["status"] == "SUCCEEDED", done
    assert done["result"]["added"] == 8 and done["result"]["number_of_assets"] == 8
    assert done["progress"]["done"] == 8
    assert len(asset_keys(alice, project)) == 8

    remove(alice, bucket, "k0", "k1", "k2", "k3")
    small = connect(alice, project, bucket, selected_folders=["none"])
    r = alice.post(f"/connections/{small['id']}/sync", json={"as_operation": True})
    assert r.status_code == 202 and finished(alice, r.json())["status"] == "SUCCEEDED"
    r = alice.post(
        "/operations",
        json={
            "kind": "CONNECTION_SYNC",
            "connection_id": con["id"],
            "delete_extraneous_files": True,
        },
    )
    assert r.status_code == 202, r.text
    done = finished(alice, r.json())
    assert done["result"]["removed"] == 4 and done["result"]["unchanged"] == 4
    assert sorted(asset_keys(alice, project)) == ["k4", "k5", "k6", "k7"]
    r = alice.post("/operations", json={"kind": "CONNECTION_SYNC", "connection_id": "con_nope"})
    assert r.status_code == 404
    r = alice.post("/operations", json={"kind": "CONNECTION_SYNC", "source": "bkt://x/y"})
    assert r.status_code == 400 and "source" in r.json()["detail"]
