"""A serving process loads only what it uses (issue 11: the 1,000,000-file sync's peak RSS).

``serve`` migrates and sweeps in a child interpreter before its processes start, so they never
load alembic; the provider SDKs (boto3, azure, google-cloud) and ``cryptography`` load on first
use of an imported bucket or of credentials. Each worker process is a fresh interpreter
(uvicorn spawns them), so every module a worker imports costs its RSS once per worker.

Checked in a fresh interpreter (this test process has imported everything already): the app is
built as a ``serve`` worker builds it, started, and used for managed buckets (create, write,
list, read, a connection sync); then the modules it loaded are listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.db import Database, migrate

#: Top-level packages a server without imported buckets never needs.
NOT_LOADED = ("alembic", "boto3", "botocore", "azure", "google.cloud", "cryptography", "pandas")

CHILD = r"""
import json, sys
import httpx
from bucketry_server.app import create_app
from bucketry_server.config import Settings

app = create_app(Settings.from_env())
token = sys.argv[1]


async def main() -> None:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1/api/v1", headers=headers
        ) as api:
            async def ok(method, url, **kw):
                r = await api.request(method, url, **kw)
                assert r.status_code < 300, (url, r.status_code, r.text)
                return r.json() if r.content else None

            bucket = (await ok("POST", "/buckets", json={"name": "mem"}))["id"]
            await ok("PUT", f"/buckets/{bucket}/blob", params={"key": "a.txt"}, content=b"a",
                     headers={"Content-Type": "text/plain"})
            await ok("GET", f"/buckets/{bucket}/blobs")
            r = await api.get(f"/buckets/{bucket}/blob", params={"key": "a.txt"})
            assert r.status_code == 200 and r.content == b"a", r.text
            project = (await ok("POST", "/projects", json={"title": "mem"}))["id"]
            con = await ok("POST", "/connections", json={"project_id": project, "bucket": bucket})
            done = await ok("POST", f"/connections/{con['id']}/sync", json={})
            assert done["added"] == 1, done
    loaded = sorted({n for n in sys.modules for top in PREFIXES
                     if n == top or n.startswith(top + ".")})
    print(json.dumps(loaded))


PREFIXES = json.loads(sys.argv[2])
import asyncio
asyncio.run(main())
"""


def _loaded_by_a_worker(tmp_path: Path, watched: tuple[str, ...]) -> list[str]:
    """The modules among ``watched`` (and their submodules) that a server process built as
    ``serve`` builds it loaded while serving managed buckets."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = Database(f"sqlite:///{data / 'bucketry.db'}")
    migrate(db.engine)  # what serve's preparation does before any worker starts
    _, token = create_user(db, "mem", admin=True)
    db.dispose()
    env = {
        **os.environ,
        "BUCKETRY_DATA_DIR": str(data),
        "BUCKETRY_START_MIGRATE": "0",
        "BUCKETRY_START_SWEEP": "0",
    }
    env.pop("BUCKETRY_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, token, json.dumps(list(watched))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


#: What the check must see a worker load (so that it can fail).
LOADED = ("sqlalchemy", "fastapi")


@pytest.fixture(scope="module")
def loaded_by_a_worker(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The modules among :data:`NOT_LOADED` and :data:`LOADED` (and their submodules) that
    one worker loaded: one fresh interpreter serves both tests below."""
    return _loaded_by_a_worker(tmp_path_factory.mktemp("memory"), NOT_LOADED + LOADED)


def test_a_worker_serving_managed_buckets_loads_no_provider_sdk(
    loaded_by_a_worker: list[str],
) -> None:
    """Neither alembic nor a provider SDK nor cryptography: together about 30 MiB per worker
    (boto3+botocore alone ~25 MiB, cryptography ~7, alembic ~10)."""
    unwanted = [n for n in loaded_by_a_worker if any(_within(n, top) for top in NOT_LOADED)]
    assert unwanted == [], unwanted


def test_the_check_sees_what_a_worker_loads(loaded_by_a_worker: list[str]) -> None:
    """The same listing names what a worker does load (so the check above can fail)."""
    assert all(top in loaded_by_a_worker for top in LOADED), loaded_by_a_worker


def _within(name: str, top: str) -> bool:
    """Whether module ``name`` is the package ``top`` or one of its submodules."""
    return name == top or name.startswith(top + ".")
