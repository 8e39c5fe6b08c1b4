"""FILESYSTEM buckets end to end through the HTTP API: register, status, data plane, refusals."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import anyio
import google_crc32c
import httpx
import pytest
from sqlalchemy import update

from bucketry_server.accounts.users import create_user
from bucketry_server.backends.remote.folders import TEMP_PREFIX
from bucketry_server.maintenance import expire_uploads
from bucketry_server.models import Bucket, Upload
from bucketry_server.timeutil import utcnow
from tests.server.imported_helpers import auth, exercise_data_plane, import_bucket
from tests.support.live_server import LiveServer, live_server


@pytest.fixture(scope="module")
def fs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("fs-root")
    with live_server(
        tmp_path_factory.mktemp("fs-data"), filesystem_roots=[root], min_part_size=64 * 1024
    ) as srv:
        tokens = {}
        for name, admin in (("root", True), ("eve", False)):
            _, tokens[name] = create_user(srv.state.db, name, admin=admin)
        yield srv, root, tokens


def _count(srv: LiveServer) -> int:
    with srv.state.db.session() as s:
        return s.query(Bucket).count()


def test_register_and_use_a_folder(fs: tuple[LiveServer, Path, dict[str, str]]) -> None:
    srv, root, tokens = fs
    folder = root / "photos"
    folder.mkdir()
    r = import_bucket(
        srv.api, tokens["root"], {"provider": "FILESYSTEM", "provider_bucket": str(folder)}
    )
    assert r.status_code == 201, r.text
    b = r.json()
    assert (b["name"], b["provider"], b["imported"], b["status"]) == (
        "photos",
        "FILESYSTEM",
        True,
        "AVAILABLE",
    )
    assert sorted(b["actions"]) == ["READ", "WRITE"] and b["last_checked_at"]
    st = httpx.get(f"{srv.api}/buckets/photos/status", headers=auth(tokens["root"])).json()
    assert st["status"] == "AVAILABLE" and st["checked_at"]
    exercise_data_plane(srv.api, tokens["root"], "photos", store=srv.state)
    assert (folder / "dir-a" / "x1.txt").read_bytes() == b"in folder"  # the keys are real files
    content = httpx.get(f"{srv.api}/buckets/photos/content", headers=auth(tokens["root"]))
    assert content.status_code == 200, content.text
    gone = httpx.delete(f"{srv.api}/buckets/photos", headers=auth(tokens["root"]))
    assert gone.status_code == 200 and gone.json()["deleted"] is True, gone.text
    assert (folder / "dir-a" / "x1.txt").exists()  # forgetting the bucket leaves the data


def test_prefix_scopes_the_folder(fs: tuple[LiveServer, Path, dict[str, str]]) -> None:
    srv, root, tokens = fs
    folder = root / "scoped"
    (folder / "inside").mkdir(parents=True)
    (folder / "inside" / "a.txt").write_bytes(b"a")
    (folder / "outside.txt").write_bytes(b"o")
    r = import_bucket(
        srv.api,
        tokens["root"],
        {
            "provider": "FILESYSTEM",
            "provider_bucket": str(folder),
            "prefix": "inside/",
            "name": "scoped-in",
        },
    )
    assert r.status_code == 201, r.text
    listed = httpx.get(f"{srv.api}/buckets/scoped-in/blobs", headers=auth(tokens["root"])).json()
    assert [x["key"] for x in listed["results"]] == ["a.txt"]


def test_missing_folder_is_not_found_status(fs: tuple[LiveServer, Path, dict[str, str]]) -> None:
    srv, root, tokens = fs
    r = import_bucket(
        srv.api,
        tokens["root"],
        {"provider": "FILESYSTEM", "provider_bucket": str(root / "gone"), "name": "gone-folder"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "NOT_FOUND"


def test_read_only_folder_refuses_writes_naming_write(
    fs: tuple[LiveServer, Path, dict[str, str]],
) -> None:
    srv, root, tokens = fs
    folder = root / "ro"
    folder.mkdir()
    (folder / "k.txt").write_bytes(b"k")
    folder.chmod(0o555)
    try:
        r = import_bucket(
            srv.api,
            tokens["root"],
            {"provider": "FILESYSTEM", "provider_bucket": str(folder), "name": "ro-folder"},
        )
        assert r.status_code == 201, r.text
        if "WRITE" in r.json()["actions"]:
            pytest.skip("running as root: the folder stays writable")
        w = httpx.put(
            f"{srv.api}/buckets/ro-folder/blob",
            params={"key": "new.txt"},
            content=b"x",
            headers=auth(tokens["root"]),
        )
        assert w.status_code == 403 and "WRITE" in w.json()["detail"]
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("root", {"provider": "DROPBOX", "provider_bucket": "x"}, 400, "provider"),
        ("root", {"provider": "MANAGED", "provider_bucket": "x"}, 400, "provider"),
        ("root", {"provider": "FILESYSTEM", "provider_bucket": "/etc"}, 400, "provider_bucket"),
        ("root", {"provider": "FILESYSTEM", "provider_bucket": "relative"}, 400, "provider_bucket"),
        ("eve", {"provider": "FILESYSTEM", "provider_bucket": "ROOT/x"}, 403, "FILESYSTEM"),
        (
            "root",
            {"provider": "FILESYSTEM", "provider_bucket": "ROOT/p", "prefix": "a/../b"},
            400,
            "prefix",
        ),
        (
            "root",
            {
                "provider": "S3_COMPATIBLE",
                "provider_bucket": "bkt-x",
                "endpoint_url": "http://10.0.0.1:9000",
                "credentials": {"access_key_id": "a", "secret_access_key": "TOPSECRET"},
            },
            400,
            "endpoint_url",
        ),
        (
            "eve",
            {
                "provider": "S3_COMPATIBLE",
                "provider_bucket": "bkt-x",
                "endpoint_url": "http://127.0.0.1:9",
                "credentials": {"access_key_id": "a"},
            },
            400,
            "credentials.secret_access_key",
        ),
        (
            "eve",
            {
                "provider": "S3_COMPATIBLE",
                "provider_bucket": "bkt-x",
                "credentials": {"access_key_id": "a", "secret_access_key": "TOPSECRET"},
            },
            400,
            "endpoint_url",
        ),
        (
            "eve",
            {
                "provider": "AWS_S3",
                "provider_bucket": "bkt-x",
                "credentials": {
                    "access_key_id": "a",
                    "secret_access_key": "TOPSECRET",
                    "secret": "x",
                },
            },
            400,
            "credentials.secret",
        ),
        (
            "eve",
            {"provider": "GCS", "provider_bucket": "bkt-x", "credentials": {}},
            400,
            "credentials.service_account_json",
        ),
    ],
)
def test_bad_imports_store_nothing_and_echo_no_secret(
    fs: tuple[LiveServer, Path, dict[str, str]], who: str, body: dict, status: int, field: str
) -> None:
    srv, root, tokens = fs
    body = {k: v.replace("ROOT", str(root)) if isinstance(v, str) else v for k, v in body.items()}
    (root / "p").mkdir(exist_ok=True)
    before = _count(srv)
    r = import_bucket(srv.api, tokens[who], body)
    assert r.status_code == status, r.text
    assert field in r.json()["detail"], r.text
    assert "TOPSECRET" not in r.text
    assert _count(srv) == before


def test_symlink_escape_is_refused(
    fs: tuple[LiveServer, Path, dict[str, str]], tmp_path: Path
) -> None:
    srv, root, tokens = fs
    (root / "sneaky").symlink_to(tmp_path)
    r = import_bucket(
        srv.api, tokens["root"], {"provider": "FILESYSTEM", "provider_bucket": str(root / "sneaky")}
    )
    assert r.status_code == 400 and "provider_bucket" in r.json()["detail"]


@pytest.mark.parametrize("provider", ["S3_COMPATIBLE", "AZURE_BLOB", "GCS"])
def test_unreadable_credentials_fail_the_bucket_not_the_listing(
    fs: tuple[LiveServer, Path, dict[str, str]], provider: str
) -> None:
    srv, _, tokens = fs
    from bucketry_server.models import User
    from bucketry_server.timeutil import utcnow

    with srv.state.db.session() as s:
        owner = s.query(User).filter(User.name == "root").one()
        s.add(
            Bucket(
                id=f"bkt_unreadable_{provider.lower()}",
                name=f"unreadable-{provider.lower()}",
                owner_id=owner.id,
                provider=provider,
                provider_bucket="b",
                endpoint_url="http://127.0.0.1:9",
                credentials_enc="v1.gone.AAAA",
                status="AVAILABLE",
                actions=["READ"],
                manifests=[],
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    h = auth(tokens["root"])
    listed = httpx.get(f"{srv.api}/buckets", headers=h)
    assert listed.status_code == 200, listed.text
    st = httpx.get(f"{srv.api}/buckets/bkt_unreadable_{provider.lower()}/status", headers=h).json()
    assert st["status"] == "UNREACHABLE" and "credentials" in st["detail"]
    blobs = httpx.get(f"{srv.api}/buckets/bkt_unreadable_{provider.lower()}/blobs", headers=h)
    assert blobs.status_code == 400 and blobs.json()["code"] == "credentials_unreadable"


def test_expired_provider_upload_is_aborted_at_the_provider(
    fs: tuple[LiveServer, Path, dict[str, str]],
) -> None:
    """The janitor's expiry of an upload on the provider's own multipart drops its rows and
    the provider's parts (a folder's hidden parts folder here)."""
    srv, root, tokens = fs
    folder = root / "expiring"
    folder.mkdir()
    token = tokens["root"]
    r = import_bucket(srv.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder)})
    assert r.status_code == 201, r.text
    created = httpx.post(
        f"{srv.api}/buckets/expiring/uploads", json={"key": "late.bin"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    upload = created.json()["id"]
    part = httpx.put(
        f"{srv.api}/buckets/expiring/uploads/{upload}/parts/1", content=b"x", headers=auth(token)
    )
    assert part.status_code == 200, part.text
    hidden = [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert len(hidden) == 1 and len(list(hidden[0].iterdir())) == 1  # the part, at the provider
    with srv.state.db.session() as s:
        s.execute(update(Upload).where(Upload.id == upload).values(expires_at=utcnow()))
    assert anyio.run(expire_uploads, srv.state) == 1
    assert not hidden[0].exists()
    assert list(folder.iterdir()) == []


def test_unregistering_a_bucket_aborts_its_provider_uploads(
    fs: tuple[LiveServer, Path, dict[str, str]],
) -> None:
    """Deleting (unregistering) an imported bucket with an upload in progress drops the upload
    and its parts at the provider; the provider's objects stay."""
    srv, root, tokens = fs
    folder = root / "leaving"
    folder.mkdir()
    (folder / "kept.txt").write_bytes(b"stays")
    token = tokens["root"]
    r = import_bucket(srv.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder)})
    assert r.status_code == 201, r.text
    created = httpx.post(
        f"{srv.api}/buckets/leaving/uploads", json={"key": "open.bin"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    upload = created.json()["id"]
    part = httpx.put(
        f"{srv.api}/buckets/leaving/uploads/{upload}/parts/1", content=b"x", headers=auth(token)
    )
    assert part.status_code == 200, part.text
    gone = httpx.delete(f"{srv.api}/buckets/leaving", headers=auth(token))
    assert gone.status_code == 200 and gone.json()["deleted"] is True, gone.text
    assert sorted(p.name for p in folder.iterdir()) == ["kept.txt"]


def test_crc32c_is_verified_on_the_way_to_the_provider(
    fs: tuple[LiveServer, Path, dict[str, str]],
) -> None:
    """A wrong ``X-Checksum-CRC32C`` aborts the provider write (nothing lands in the folder);
    a right one is answered with the blob's CRC32C."""
    srv, root, tokens = fs
    folder = root / "crc"
    folder.mkdir()
    r = import_bucket(
        srv.api, tokens["root"], {"provider": "FILESYSTEM", "provider_bucket": str(folder)}
    )
    assert r.status_code == 201, r.text
    data = b"checked on the way" * 1000
    crc = base64.b64encode(int(google_crc32c.value(data)).to_bytes(4, "big")).decode()
    url = f"{srv.api}/buckets/crc/blob"
    bad = httpx.put(
        url,
        params={"key": "f.bin"},
        content=data,
        headers={**auth(tokens["root"]), "X-Checksum-CRC32C": "AAAAAA=="},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "checksum_mismatch", bad.text
    assert not (folder / "f.bin").exists()
    ok = httpx.put(
        url,
        params={"key": "f.bin"},
        content=data,
        headers={**auth(tokens["root"]), "X-Checksum-CRC32C": crc},
    )
    assert ok.status_code == 201 and ok.json()["crc32c"] == crc, ok.text
    assert (folder / "f.bin").read_bytes() == data


def test_a_part_landing_after_its_upload_expired_is_removed(
    fs: tuple[LiveServer, Path, dict[str, str]],
) -> None:
    """A part still streaming while its upload expires reaches the folder after the upload is
    gone for good: it is answered 404 and its part file removed, not left behind."""
    srv, root, tokens = fs
    folder = root / "late-part"
    folder.mkdir()
    token = tokens["root"]
    r = import_bucket(srv.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder)})
    assert r.status_code == 201, r.text
    created = httpx.post(
        f"{srv.api}/buckets/late-part/uploads", json={"key": "late.bin"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    upload = created.json()["id"]

    def body() -> Iterator[bytes]:
        yield b"a" * 1000
        with srv.state.db.session() as s:
            s.execute(update(Upload).where(Upload.id == upload).values(expires_at=utcnow()))
        yield b"b" * 1000

    part = httpx.put(
        f"{srv.api}/buckets/late-part/uploads/{upload}/parts/1", content=body(), headers=auth(token)
    )
    assert part.status_code == 404, part.text
    assert [p for p in folder.rglob("*") if p.is_file()] == []


def test_a_late_part_does_not_abort_an_upload_a_completion_holds(
    fs: tuple[LiveServer, Path, dict[str, str]],
) -> None:
    """A part refused because a completion has claimed the upload meanwhile leaves the
    provider upload alone: the completion's parts stay."""
    srv, root, tokens = fs
    folder = root / "held-part"
    folder.mkdir()
    token = tokens["root"]
    r = import_bucket(srv.api, token, {"provider": "FILESYSTEM", "provider_bucket": str(folder)})
    assert r.status_code == 201, r.text
    created = httpx.post(
        f"{srv.api}/buckets/held-part/uploads", json={"key": "held.bin"}, headers=auth(token)
    )
    upload = created.json()["id"]
    base = f"{srv.api}/buckets/held-part/uploads/{upload}/parts"
    assert httpx.put(f"{base}/1", content=b"x" * 100, headers=auth(token)).status_code == 200

    def body() -> Iterator[bytes]:
        yield b"a" * 1000
        with srv.state.db.session() as s:
            s.execute(update(Upload).where(Upload.id == upload).values(completing="cmp_test"))
        yield b"b" * 1000

    assert httpx.put(f"{base}/2", content=body(), headers=auth(token)).status_code == 404
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.name.startswith("00001-") for p in files), files  # not aborted


@pytest.mark.parametrize("order_by", ["name", "size"])
def test_a_bad_glob_on_a_folder_is_the_same_400_as_on_a_managed_bucket(
    fs: tuple[LiveServer, Path, dict[str, str]], order_by: str
) -> None:
    srv, root, tokens = fs
    folder = root / f"globbed-{order_by}"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a")
    body = {"provider": "FILESYSTEM", "provider_bucket": str(folder)}
    assert import_bucket(srv.api, tokens["root"], body).status_code == 201
    for prefix in ("", "zzz/"):  # also when the prefix rules out every key
        r = httpx.get(
            f"{srv.api}/buckets/{folder.name}/blobs",
            params={"glob": "[z-a]", "prefix": prefix, "order_by": order_by},
            headers=auth(tokens["root"]),
        )
        assert r.status_code == 400, r.text
        problem = r.json()
        assert problem["code"] == "invalid_parameter" and problem["detail"].startswith("glob:")
        assert problem["errors"][0]["loc"] == ["query", "glob"]
    ok = httpx.get(
        f"{srv.api}/buckets/{folder.name}/blobs",
        params={"glob": "*.txt", "order_by": order_by},
        headers=auth(tokens["root"]),
    )
    assert ok.status_code == 200 and [b["key"] for b in ok.json()["results"]] == ["a.txt"]
