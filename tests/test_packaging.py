"""Packaging: the one distribution installs three import packages, two console scripts, and
every dependency of every extra is pinned in constraints.txt."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("server", "dev", "pandas", "fsspec")
PACKAGES = {
    "bucketry_api": ROOT / "generated" / "bucketry_api",
    "bucketry": ROOT / "highlevel" / "bucketry",
    "bucketry_server": ROOT / "server" / "bucketry_server",
}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!_-]+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, raw in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"constraints.txt:{number}: not an exact 'name==version' pin: {raw!r}"
        name = canonical(match["name"])
        assert name not in pins, f"constraints.txt:{number}: {name} pinned twice"
        pins[name] = match["version"]
    return pins


def dependency_closure() -> dict[str, str]:
    """Installed name -> version for everything bucketry[all extras] needs, transitively."""
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [("bucketry", frozenset(EXTRAS))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = md.distribution(name)
        if name != "bucketry":
            found[name] = dist.version
        for spec in dist.requires or []:
            req = Requirement(spec)
            wanted = req.marker is None or any(
                req.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            )
            if wanted:
                todo.append((canonical(req.name), frozenset(req.extras)))
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_imports_from_its_folder(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == PACKAGES[package].resolve()


def test_packages_import_from_any_directory(tmp_path: Path) -> None:
    code = "import bucketry_api, bucketry, bucketry_server; print(bucketry.__version__)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == md.version("bucketry")


def test_highlevel_package_is_typed() -> None:
    assert (PACKAGES["bucketry"] / "py.typed").is_file()


def test_generated_package_is_typed_and_client_api_too() -> None:
    """``bucketry_api`` ships ``py.typed`` (written by scripts/regenerate), so ``client.api``
    is checked as the generated ``ApiClient``, not ``Any``."""
    import typing

    from bucketry import Client
    from bucketry_api import ApiClient

    assert (PACKAGES["bucketry_api"] / "py.typed").is_file()
    assert typing.get_type_hints(Client)["api"] is ApiClient


@pytest.mark.parametrize("script", ["bucketry", "bucketry-server"])
def test_console_script_help(script: str) -> None:
    declared = {
        ep.name for ep in md.distribution("bucketry").entry_points if ep.group == "console_scripts"
    }
    assert script in declared
    path = Path(sys.executable).parent / script
    assert path.is_file(), f"{script} is not installed next to {sys.executable}"
    for args in (["--help"], []):
        result = subprocess.run(
            [str(path), *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        assert f"usage: {script}" in result.stdout


def test_constraints_are_exact_pins_without_the_project() -> None:
    pins = read_pins()
    assert pins, "constraints.txt pins nothing"
    assert "bucketry" not in pins


def test_constraints_pin_every_installed_dependency_of_every_extra() -> None:
    pins = read_pins()
    closure = dependency_closure()
    missing = sorted(name for name in closure if name not in pins)
    assert not missing, f"not pinned in constraints.txt: {missing}"
    drifted = {name: (closure[name], pins[name]) for name in closure if closure[name] != pins[name]}
    assert not drifted, (
        f"installed version differs from constraints.txt (installed, pinned): {drifted}"
    )
    # Every declared extra really is part of the distribution's metadata.
    assert set(EXTRAS) <= set(md.metadata("bucketry").get_all("Provides-Extra") or [])
