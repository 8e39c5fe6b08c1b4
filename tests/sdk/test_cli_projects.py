"""``bucketry projects``, ``bucketry assets`` (filters as options) and the ``connections``
commands' usage errors, run in-process against the live server."""

from __future__ import annotations

import json

import pytest

from bucketry import Client
from bucketry.cli import main
from tests.support.live_server import LiveServer


@pytest.fixture
def env(server: LiveServer, users: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUCKETRY_URL", server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", users["alice"])
    monkeypatch.setenv("BUCKETRY_NO_PROGRESS", "1")
    monkeypatch.delenv("BUCKETRY_DEBUG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_projects_and_assets_commands(
    env: None,
    capsys: pytest.CaptureFixture[str],
    server: LiveServer,
    users: dict[str, str],
    unique: str,
) -> None:
    code, out, _ = run(capsys, "projects", "create", f"cli-{unique}", "--input-type", "text")
    assert code == 0 and out.strip().startswith("prj_")
    pid = out.strip()
    with Client(url=server.url, token=users["alice"], progress=False) as client:
        client.projects(pid).assets.append(
            [
                {
                    "json_content": {"text": str(i)},
                    "external_id": f"doc-{i}",
                    "json_metadata": {"n": i},
                }
                for i in range(4)
            ]
        )
    code, out, _ = run(capsys, "projects", "list", "--search", f"cli-{unique}")
    assert code == 0 and pid in out and "TEXT" in out
    code, out, _ = run(capsys, "assets", "count", pid, "--metadata-where", '{"n": [1, 2]}')
    assert (code, out.strip()) == (0, "2")
    code, out, _ = run(
        capsys,
        "assets",
        "ls",
        pid,
        "--external-id",
        "doc-3",
        "--external-id",
        "doc-0",
        "--status",
        "todo",
        "--fields",
        "external_id,json_metadata",
    )
    assert code == 0 and out.splitlines() == ['doc-0\t{"n": 0}', 'doc-3\t{"n": 3}']
    code, out, _ = run(capsys, "assets", "ls", pid, "--limit", "1", "--json")
    assert code == 0 and [a["external_id"] for a in json.loads(out)] == ["doc-0"]
    code, _, err = run(capsys, "assets", "count", pid, "--category-search", "JOB.A.count >")
    assert code == 1 and "label_category_search" in err
    code, _, err = run(capsys, "assets", "count", pid, "--metadata-where", "{nope")
    assert code == 2 and "--metadata-where" in err
    code, _, err = run(capsys, "assets", "count", pid, "--skipped", "maybe")
    assert code == 2 and "true or false" in err
    code, _, err = run(capsys, "connections")
    assert code == 2 and "choose an action" in err
