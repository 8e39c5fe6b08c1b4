"""Where the client's settings come from: arguments, then ``BUCKETRY_*`` variables, then the
config file (``$BUCKETRY_CONFIG`` or ``~/.config/bucketry/config.toml``, section ``[default]``
or ``[profiles.<BUCKETRY_PROFILE>]``)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

DEFAULT_URL = "http://127.0.0.1:8080"


def config_path() -> Path:
    """The config file: ``$BUCKETRY_CONFIG``, else
    ``$XDG_CONFIG_HOME/bucketry/config.toml`` (``~/.config`` by default)."""
    if env := os.environ.get("BUCKETRY_CONFIG"):
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "bucketry" / "config.toml"


def _file_settings(path: Path, profile: str | None) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc}") from exc
    section = data.get("profiles", {}).get(profile) if profile else data.get("default", data)
    if profile and section is None:
        raise ConfigurationError(f"profile {profile!r} not found in {path}")
    return dict(section or {})


@dataclass(frozen=True)
class ResolvedConfig:
    """The client settings after arguments, environment and config file were
    weighed (in that order)."""

    url: str
    token: str | None
    organization: str | None
    timeout: float
    connect_timeout: float
    max_retries: int


def resolve(
    url: str | None = None,
    token: str | None = None,
    organization: str | None = None,
    timeout: float | None = None,
    connect_timeout: float | None = None,
    max_retries: int | None = None,
    *,
    anonymous: bool = False,
    profile: str | None = None,
) -> ResolvedConfig:
    """The settings for a client: each from its argument, else its ``BUCKETRY_*``
    variable, else the config file (``profile`` or ``$BUCKETRY_PROFILE`` picks a section), else
    the default. Raises ``ConfigurationError`` without a token (unless ``anonymous``), for an
    unreadable config file, a missing profile or a number that is not one."""
    env = os.environ
    file = _file_settings(config_path(), profile or env.get("BUCKETRY_PROFILE"))

    def pick(arg: Any, env_name: str, key: str, default: Any = None) -> Any:
        if arg is not None:
            return arg
        if env.get(env_name):
            return env[env_name]
        return file.get(key, default)

    final_token = None if anonymous else pick(token, "BUCKETRY_TOKEN", "token")
    if not anonymous and not final_token:
        raise ConfigurationError(
            'no Bucketry token: pass Client(token=...), set BUCKETRY_TOKEN, or put token = "..." '
            f"in {config_path()} (use Client(anonymous=True) for public buckets only)"
        )
    try:
        return ResolvedConfig(
            url=str(pick(url, "BUCKETRY_URL", "url", DEFAULT_URL)).rstrip("/"),
            token=final_token,
            organization=pick(organization, "BUCKETRY_ORG", "organization"),
            timeout=float(pick(timeout, "BUCKETRY_TIMEOUT", "timeout", 60.0)),
            connect_timeout=float(
                pick(connect_timeout, "BUCKETRY_CONNECT_TIMEOUT", "connect_timeout", 10.0)
            ),
            max_retries=int(pick(max_retries, "BUCKETRY_MAX_RETRIES", "max_retries", 3)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid Bucketry setting: {exc}") from exc
