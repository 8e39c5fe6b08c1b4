"""The tour's projects step (``scripts/demo_tour.py``): a labelling project fed by the tour's
bucket through a connection — a dry-run sync that changes nothing, the real sync, an idempotent
re-sync — then the assets queried with filters, a label, and a filtered count."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bucketry import Bucket, Client


def projects_step(
    client: Client,
    bucket: Bucket,
    prefix: str,
    files: dict[str, Path],
    say: Callable[[str], None],
    check: Callable[[object, str], None],
) -> None:
    """Connect ``prefix`` of ``bucket`` (its ``.txt`` files) to a new project, dry-run, sync,
    re-sync, query the assets with filters, label one; the project is deleted at the end."""
    texts = sorted(prefix + rel for rel in files if rel.endswith(".txt"))
    project = client.projects.create(f"tour-{bucket.name}", input_type="TEXT")
    say(f"client.projects.create(...) -> {project.id} ({project.input_type})")
    try:
        connection = project.connect(bucket, selected_folders=[prefix], include=["**/*.txt"])
        say(f"project.connect(bucket, selected_folders=[{prefix!r}], include=['**/*.txt'])")
        dry = connection.sync(dry_run=True)
        say(f"connection.sync(dry_run=True) -> {dry.summary()}")
        check(dry.plan.add_count == len(texts), f"the plan adds every .txt file: {dry.plan}")
        count, checked = project.assets.count(), connection.refresh().last_checked
        say(f"after the dry run: {count} assets, last_checked {checked} (nothing written)")
        check(count == 0 and checked is None, "the dry run wrote nothing, not even last_checked")
        t0 = time.monotonic()
        done = connection.sync()
        say(f"connection.sync() -> {done.summary()} in {time.monotonic() - t0:.2f} s")
        check(done.added == len(texts), f"one asset per .txt file: {done}")
        again = connection.sync()
        say(f"sync again -> {again.summary()}")
        check(again.added == 0 and again.plan.unchanged == len(texts), "a re-sync adds nothing")

        assets = project.assets
        notes = assets.list(external_id_contains="notes/", fields=["external_id", "status"])
        found = [a.external_id for a in notes]
        say(f"assets.list(external_id_contains='notes/') -> {found}")
        check(found == [k for k in texts if "/notes/" in k], f"the notes, in order: {found}")
        first = assets.get(notes.to_list()[0].id)
        first.labels.create({"TOPIC": {"categories": [{"name": "TODO"}]}})
        assets.update([{"asset_id": first.id, "json_metadata": {"lines": 2}}])
        labelled = assets.count(label_category_search="TOPIC.TODO.count > 0", status_in=["LABELED"])
        ranged = assets.count(metadata_where={"lines": [1, 5]})
        say(
            "assets.count(label_category_search='TOPIC.TODO.count > 0', status_in=['LABELED']) "
            f"-> {labelled}; assets.count(metadata_where={{'lines': [1, 5]}}) -> {ranged}"
        )
        check(labelled == 1 and ranged == 1, "one labelled asset, found by category and metadata")
    finally:
        project.delete()
