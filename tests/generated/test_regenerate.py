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


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One regeneration into an empty folder (the package folder it made)."""
    package = tmp_path_factory.mktemp("fresh") / "bucketry_api"
    proc = _run("--output", str(package))
    assert proc.returncode == 0, proc.stderr
    return package


@pytest.fixture(scope="module")
def over_stale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second regeneration, into a package folder holding files of an old spec
    (``stale_module.py``, ``api/stale_tag/``): the package folder it made."""
    package = tmp_path_factory.mktemp("over-stale") / "bucketry_api"
    (package / "api").mkdir(parents=True)
    (package / "stale_module.py").write_text("# from an old spec\n")
    (package / "api" / "stale_tag").mkdir()
    proc = _run("--output", str(package))
    assert proc.returncode == 0, proc.stderr
    return package


@pytest.mark.slow
def test_generated_matches_a_fresh_regeneration(fresh: Path) -> None:
    fresh_tree = _tree(fresh)
    current = _tree(ROOT / "generated" / "bucketry_api")
    missing = sorted(set(fresh_tree) - set(current))
    extra = sorted(set(current) - set(fresh_tree))  # stale or hand-written files
    changed = sorted(n for n in set(fresh_tree) & set(current) if fresh_tree[n] != current[n])
    assert not (missing or extra or changed), (
        f"generated/ is stale, run scripts/regenerate: missing={missing} extra={extra} changed={changed}"
    )
    others = sorted(p.name for p in (ROOT / "generated").iterdir() if p.name != "__pycache__")
    assert others == ["bucketry_api"], f"unexpected files in generated/: {others}"


@pytest.mark.slow
def test_regeneration_is_deterministic(fresh: Path, over_stale: Path) -> None:
    """Two runs (the second over an old package, see below) write the same files, byte for
    byte."""
    first, second = _tree(fresh), _tree(over_stale)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


@pytest.mark.slow
def test_stale_files_do_not_survive_regeneration(over_stale: Path) -> None:
    """openapi-python-client --overwrite only replaces api/ and models/; the script starts clean."""
    assert not (over_stale / "stale_module.py").exists()
    assert not (over_stale / "api" / "stale_tag").exists()
    assert (over_stale / "api" / "__init__.py").is_file()
