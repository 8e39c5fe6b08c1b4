"""generated/ is exactly what scripts/regenerate makes from openapi.yaml, and regeneration is
deterministic.  Skipped (only) when the pinned code generator cannot be installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = ROOT / "scripts" / "regenerate"
TOOLS_UNAVAILABLE = 3  # scripts/regenerate's exit status when it cannot install its tools


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(REGENERATE), *args], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    if proc.returncode == TOOLS_UNAVAILABLE:
        pytest.skip(
            "scripts/regenerate could not install the pinned openapi-python-client/ruff "
            f"(scripts/codegen-requirements.txt): {proc.stderr.strip()[-500:]}"
        )
    return proc


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.slow
def test_generated_matches_a_fresh_regeneration(tmp_path: Path) -> None:
    proc = _run("--output", str(tmp_path / "bucketry_api"))
    assert proc.returncode == 0, proc.stderr
    fresh = _tree(tmp_path / "bucketry_api")
    current = _tree(ROOT / "generated" / "bucketry_api")
    missing = sorted(set(fresh) - set(current))
    extra = sorted(set(current) - set(fresh))  # stale or hand-written files
    changed = sorted(name for name in set(fresh) & set(current) if fresh[name] != current[name])
    assert not (missing or extra or changed), (
        f"generated/ is stale, run scripts/regenerate: missing={missing} extra={extra} changed={changed}"
    )
    others = sorted(p.name for p in (ROOT / "generated").iterdir() if p.name != "__pycache__")
    assert others == ["bucketry_api"], f"unexpected files in generated/: {others}"


@pytest.mark.slow
def test_regeneration_is_deterministic(tmp_path: Path) -> None:
    for run in ("a", "b"):
        proc = _run("--output", str(tmp_path / run / "bucketry_api"))
        assert proc.returncode == 0, proc.stderr
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


@pytest.mark.slow
def test_stale_files_do_not_survive_regeneration(tmp_path: Path) -> None:
    """openapi-python-client --overwrite only replaces api/ and models/; the script starts clean."""
    package = tmp_path / "bucketry_api"
    (package / "api").mkdir(parents=True)
    (package / "stale_module.py").write_text("# from an old spec\n")
    (package / "api" / "stale_tag").mkdir()
    proc = _run("--output", str(package))
    assert proc.returncode == 0, proc.stderr
    assert not (package / "stale_module.py").exists()
    assert not (package / "api" / "stale_tag").exists()
    assert (package / "api" / "__init__.py").is_file()
