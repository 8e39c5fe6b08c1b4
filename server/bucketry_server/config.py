"""Server settings: command-line flags win over ``BUCKETRY_*`` environment variables over defaults."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

_N = TypeVar("_N", int, float)


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"BUCKETRY_{name}", default)


def _parsed(name: str, parse: Callable[[str], _N], what: str) -> _N | None:
    """``BUCKETRY_<name>`` through ``parse`` (None when unset); a value it refuses raises
    ``ValueError`` naming the variable (``serve`` prints it as a one-line error)."""
    text = _env(name)
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError:
        raise ValueError(f"BUCKETRY_{name} must be {what}, not {text!r}") from None


def _int(name: str) -> int | None:
    """``BUCKETRY_<name>`` as an integer (None when unset)."""
    return _parsed(name, int, "an integer")


def _float(name: str) -> float | None:
    """``BUCKETRY_<name>`` as a number (None when unset)."""
    return _parsed(name, float, "a number")


#: Numeric settings read from ``BUCKETRY_<NAME>`` (the field's name in capitals).
_INT_SETTINGS = (
    "port",
    "min_part_size",
    "preview_max_pixels",
    "remote_sort_limit",
    "import_url_max_bytes",
    "export_max_part_mb",
    "spool_max_bytes",
    "operation_workers",
    "operation_owner_concurrency",
    "operation_max_attempts",
    "operation_chunk_items",
    "operation_chunk_bytes",
    "operation_max_active",
    "workers",
    "max_connections",
)
_FLOAT_SETTINGS = (
    "import_url_max_seconds",
    "body_idle_seconds",
    "operation_lease_seconds",
    "operation_heartbeat_seconds",
    "operation_poll_seconds",
)


def split_list(text: str, sep: str = os.pathsep) -> list[str]:
    """The non-empty, stripped items of a ``sep``-separated setting (``os.pathsep`` for
    folders, ``,`` for networks)."""
    return [item.strip() for item in text.split(sep) if item.strip()]


#: The longest ``BUCKETRY_OPERATION_RETENTION_DAYS`` (a century).
MAX_RETENTION_DAYS = 36_500


def retention_days(text: str) -> int:
    """``BUCKETRY_OPERATION_RETENTION_DAYS`` as a whole number of days from 0 (keep finished
    operations forever) to :data:`MAX_RETENTION_DAYS`. Raises ``ValueError`` naming the
    variable for anything else."""
    try:
        days = int(text.strip())
    except ValueError:
        days = -1
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"BUCKETRY_OPERATION_RETENTION_DAYS must be a whole number of days from 0 (keep "
            f"finished operations forever) to {MAX_RETENTION_DAYS}, not {text!r}"
        )
    return days


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = field(default_factory=lambda: Path(".bucketry-data"))
    database_url: str | None = None  # default: sqlite under data_dir
    storage: str | None = None  # default: data_dir/blobs; or s3://bucket/prefix?endpoint_url=...
    public_url: str | None = None  # absolute base for signed URLs (else relative paths)
    max_json_bytes: int = 4 * 1024 * 1024
    max_blob_bytes: int = 5 * 1024**4  # 5 TiB, like S3
    upload_ttl_seconds: int = 7 * 24 * 3600
    min_part_size: int = 5 * 1024 * 1024
    max_parts: int = 10_000
    preview_max_pixels: int = 24_000_000  # larger preview sources are skipped undecoded
    preview_concurrency: int = 2  # preview decodes running at once
    log_level: str = "info"
    #: CIDRs an imported bucket's endpoint may resolve into although they are loopback,
    #: private, link-local... (SSRF guard, :mod:`.netguard`); none by default.
    allowed_networks: list[str] = field(default_factory=list)
    #: Folders under which FILESYSTEM buckets may be registered (admins only); none by default.
    filesystem_roots: list[Path] = field(default_factory=list)
    #: Server key ring for provider credentials ("id:base64key,..."; the first encrypts).
    #: Default: the key file in the data dir, created 0600 on first start.
    secret_keys: str | None = None
    #: Objects one page of an imported bucket may list when sorted by size, time or descending
    #: name (providers list by key only); beyond it: 400 ``sort_too_large``.
    remote_sort_limit: int = 100_000
    #: Largest body an ``import_url`` operation fetches (Content-Length and streamed bytes).
    import_url_max_bytes: int = 5 * 1024**3  # 5 GiB
    #: Longest an ``import_url`` fetch may take in all (a source trickling a byte within
    #: every read timeout would otherwise hold a worker indefinitely); beyond it: 504.
    import_url_max_seconds: float = 4 * 3600.0
    #: Largest ``part_size_mb`` an ``export`` takes: a part is held in memory while it is
    #: sent (S3 buffers one, Azure stages blocks), so a client may not ask for gigabytes.
    export_max_part_mb: int = 256
    #: Operation engine (``operations/``): async workers in this process (0: run none, e.g.
    #: an instance that only serves requests), running chunks per owner across all instances,
    #: a worker's lease (a dead worker's chunk is re-run after it), the heartbeat that renews
    #: it and persists progress, runs of one chunk before the operation fails, the idle poll.
    operation_workers: int = 4
    operation_owner_concurrency: int = 2
    operation_lease_seconds: float = 30.0
    operation_heartbeat_seconds: float = 0.5
    operation_max_attempts: int = 3
    operation_poll_seconds: float = 2.0
    #: Planners cut a prefix operation's chunk after this many keys or bytes.
    operation_chunk_items: int = 1000
    operation_chunk_bytes: int = 1024**3
    #: PENDING or RUNNING operations one user may have at once (more: 429).
    operation_max_active: int = 100
    #: Days a finished (SUCCEEDED, FAILED, CANCELLED) operation is kept before the janitor
    #: deletes it with its chunks and its ``Idempotency-Key`` (0: keep forever).
    operation_retention_days: int = 30
    #: Bytes this process may hold in spools at once, in memory or on disk in
    #: ``DATA_DIR/spool`` (:mod:`.spooling`: S3 store writes, tar batches into imported
    #: buckets, S3 parts without a CRC32C); past it a write is refused with 503 ``busy``.
    spool_max_bytes: int = 2 << 30
    #: Seconds the server waits for the next byte of a request body before giving up on it
    #: (408 ``body_timeout``; 0: for ever).
    body_idle_seconds: float = 60.0
    #: Worker processes of ``serve`` (0: one per CPU).
    workers: int = 0
    #: Connections (and requests in progress) one serving process takes at most; beyond it a
    #: request gets 503 ``busy`` with ``Retry-After`` and its connection is closed (0: no
    #: bound). Each connection may hold a request head (64 KiB) and 1 MiB of body read ahead,
    #: so this bounds that memory too: about 0.5 GiB per process at the default.
    max_connections: int = 512
    #: Sweep interrupted writes at start-up (off in the workers of ``serve --workers N``,
    #: whose parent sweeps once before starting them).
    start_sweep: bool = True
    #: Migrate the schema when the app starts (off in the processes of ``serve``, which
    #: migrates once before starting them: they never load alembic).
    start_migrate: bool = True

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from ``BUCKETRY_*`` variables; non-None overrides (flags) win."""
        s = cls()
        s.host = _env("HOST", s.host) or s.host
        s.data_dir = Path(_env("DATA_DIR", str(s.data_dir)) or s.data_dir)
        s.database_url = _env("DATABASE_URL")
        s.storage = _env("STORAGE")
        s.public_url = _env("PUBLIC_URL")
        s.log_level = _env("LOG_LEVEL", s.log_level) or s.log_level
        for name in _INT_SETTINGS:
            if (n := _int(name.upper())) is not None:
                setattr(s, name, n)
        for name in _FLOAT_SETTINGS:
            if (x := _float(name.upper())) is not None:
                setattr(s, name, x)
        s.allowed_networks = split_list(_env("ALLOWED_NETWORKS", "") or "", ",")
        s.filesystem_roots = [Path(p) for p in split_list(_env("FILESYSTEM_ROOTS", "") or "")]
        s.secret_keys = _env("SECRET_KEYS")
        if (v := _env("OPERATION_RETENTION_DAYS")) is not None:
            s.operation_retention_days = retention_days(v)
        s.start_sweep = (_env("START_SWEEP", "1") or "1") != "0"
        s.start_migrate = (_env("START_MIGRATE", "1") or "1") != "0"
        for key, value in overrides.items():
            if value is None or value == []:
                continue
            if key == "data_dir":
                value = Path(str(value))
            elif key == "filesystem_roots":
                value = [Path(str(v)) for v in value]  # type: ignore[attr-defined]
            elif key == "allowed_networks" and isinstance(value, str):
                value = split_list(value, ",")
            setattr(s, key, value)
        return s

    @property
    def effective_workers(self) -> int:
        """Worker processes to serve with: ``workers``, or one per CPU when 0."""
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def to_env(self) -> dict[str, str]:
        """The ``BUCKETRY_*`` variables that rebuild these settings with :meth:`from_env` (the
        command-line ones): how ``serve --workers`` hands them to its worker processes."""
        env = {
            "HOST": self.host,
            "PORT": str(self.port),
            "DATA_DIR": str(self.data_dir),
            "LOG_LEVEL": self.log_level,
            "ALLOWED_NETWORKS": ",".join(self.allowed_networks),
            "FILESYSTEM_ROOTS": os.pathsep.join(str(p) for p in self.filesystem_roots),
            "REMOTE_SORT_LIMIT": str(self.remote_sort_limit),
            "WORKERS": str(self.workers),
            "START_SWEEP": "1" if self.start_sweep else "0",
            "START_MIGRATE": "1" if self.start_migrate else "0",
        }
        optional = {
            "DATABASE_URL": self.database_url,
            "STORAGE": self.storage,
            "PUBLIC_URL": self.public_url,
            "SECRET_KEYS": self.secret_keys,
        }
        env.update({k: v for k, v in optional.items() if v is not None})
        return {f"BUCKETRY_{k}": v for k, v in env.items()}

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'bucketry.db').resolve()}"

    @property
    def effective_storage(self) -> str:
        return self.storage or str((self.data_dir / "blobs").resolve())
