"""Bad server settings end ``bucketry-server serve`` with a one-line error naming the setting,
before anything is prepared or served (no traceback, no server that refuses every upload)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bucketry_server.config import Settings


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "BUCKETRY_SPOOL_MAX_BYTES",
            "2GiB",
            "BUCKETRY_SPOOL_MAX_BYTES must be an integer, not '2GiB'",
        ),
        ("BUCKETRY_MAX_CONNECTIONS", "many", "BUCKETRY_MAX_CONNECTIONS must be an integer"),
        ("BUCKETRY_PORT", "http", "BUCKETRY_PORT must be an integer, not 'http'"),
        (
            "BUCKETRY_OPERATION_LEASE_SECONDS",
            "soon",
            "BUCKETRY_OPERATION_LEASE_SECONDS must be a number",
        ),
        ("BUCKETRY_BODY_IDLE_SECONDS", "0", "BUCKETRY_BODY_IDLE_SECONDS must be above 0"),
        ("BUCKETRY_BODY_IDLE_SECONDS", "-5", "BUCKETRY_BODY_IDLE_SECONDS must be above 0"),
        ("BUCKETRY_SPOOL_MAX_BYTES", "0", "BUCKETRY_SPOOL_MAX_BYTES must be above 0"),
    ],
)
def test_serve_refuses_a_bad_setting_naming_it(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    """``int()``'s bare "invalid literal" did not say which variable was wrong, and a body
    idle time of 0 or less started a server on which every upload timed out at once."""
    exe = Path(sys.executable).with_name("bucketry-server")
    env = {**os.environ, variable: value}
    done = subprocess.run(
        [str(exe), "serve", "--data-dir", str(tmp_path / "data"), "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # refused before the data folder was prepared


def test_settings_from_the_environment_read_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUCKETRY_SPOOL_MAX_BYTES", "1048576")
    monkeypatch.setenv("BUCKETRY_BODY_IDLE_SECONDS", "2.5")
    settings = Settings.from_env()
    assert (settings.spool_max_bytes, settings.body_idle_seconds) == (1 << 20, 2.5)
