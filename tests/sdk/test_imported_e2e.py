"""Imported buckets end to end through the SDK, on a live server, for every provider: a
FILESYSTEM bucket (a folder under the server's allowed root), S3_COMPATIBLE on SeaweedFS,
AZURE_BLOB on Azurite and GCS on fake-gcs-server. Register, status, actions, content pages,
then the SAME transfer calls as on a managed bucket (a folder with nested folders, an empty
file, unicode names and a 9 MiB multipart file synced up and back with identical sha256, glob,
delete), and the secret nowhere; the preview, MIME types in the content view and a
manifest-driven view."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bucketry import (
    BadRequestError,
    Bucket,
    Client,
    NotFoundError,
    PermissionDeniedError,
    ProgressAdvance,
    ProgressEvent,
    TransferOptions,
)
from tests.conftest import SEAWEED_BUCKET
from tests.sdk.transfer_support import MiB, Recorder, fast_link, open_upload, random_file
from tests.support.azurite import Azurite
from tests.support.fake_gcs import FakeGcs
from tests.support.gcs_keys import granting_token_endpoint, service_account
from tests.support.live_server import LiveServer
from tests.support.recording_proxy import recording_proxy
from tests.support.seaweed import SeaweedS3


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


#: What the provider holds before the import: 5 root entries, so 3 pages of 2.
SEED = {
    "a/1.txt": b"one",
    "a/2.txt": b"two",
    "b/pic.jpg": _jpeg(),
    "c.txt": b"c" * 10,
    "d.bin": os.urandom(100),
    "e/f/g.txt": b"deep",
}


@dataclass
class Imported:
    bucket: Bucket
    client: Client
    secret: str | None
    provider: str


@contextmanager
def _client_keeping_no_secret(
    server: LiveServer, token: str, secret: str, provider: str
) -> Iterator[Client]:
    """A client of ``server`` through a recording proxy; when the test is done, no byte the
    server answered (any response of the whole test) may hold ``secret``."""
    with (
        recording_proxy(urlsplit(server.url).port or 80) as front,
        Client(url=front.url, token=token, progress=False) as client,
    ):
        yield client
        assert front.received, "nothing went through the recording proxy"
        assert secret.encode() not in front.received, f"the {provider} secret in a response"


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def fs_bucket(
    imports_server: LiveServer, imports_users: dict[str, str], imports_root: Path, unique: str
) -> Iterator[Imported]:
    folder = imports_root / f"data-{unique}"
    for key, data in SEED.items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(data)
    with Client(url=imports_server.url, token=imports_users["admin"], progress=False) as c:
        bucket = c.buckets.import_external(
            provider="FILESYSTEM", provider_bucket_name=str(folder), name=f"fs-{unique}"
        )
        yield Imported(bucket, c, None, "FILESYSTEM")


@pytest.fixture
def s3_bucket(
    imports_server: LiveServer, imports_users: dict[str, str], seaweed: SeaweedS3, unique: str
) -> Iterator[Imported]:
    import boto3

    prefix = f"imported-{unique}/"
    s3 = boto3.client(
        "s3",
        endpoint_url=seaweed.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=seaweed.access_key,
        aws_secret_access_key=seaweed.secret_key,
    )
    for key, data in SEED.items():
        s3.put_object(Bucket=SEAWEED_BUCKET, Key=prefix + key, Body=data)
    secret = seaweed.secret_key
    with _client_keeping_no_secret(imports_server, imports_users["alice"], secret, "S3") as c:
        bucket = c.buckets.import_external(
            provider="S3_COMPATIBLE",
            provider_bucket_name=SEAWEED_BUCKET,
            prefix=prefix,
            endpoint_url=seaweed.endpoint_url,
            region="us-east-1",
            credentials={
                "access_key_id": seaweed.access_key,
                "secret_access_key": seaweed.secret_key,
            },
            name=f"s3-{unique}",
        )
        yield Imported(bucket, c, seaweed.secret_key, "S3_COMPATIBLE")


@pytest.fixture
def azure_bucket(
    imports_server: LiveServer, imports_users: dict[str, str], azurite: Azurite, unique: str
) -> Iterator[Imported]:
    import uuid

    from azure.storage.blob import BlobServiceClient

    container = f"e2e-sdk-{uuid.uuid4().hex[:10]}"
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    service.create_container(container)
    for key, data in SEED.items():
        service.get_blob_client(container, key).upload_blob(data)
    secret = azurite.account_key
    with _client_keeping_no_secret(imports_server, imports_users["alice"], secret, "Azure") as c:
        bucket = c.buckets.import_external(
            provider="AZURE_BLOB",
            provider_bucket_name=container,
            endpoint_url=azurite.endpoint_url,
            credentials={"account_name": azurite.account_name, "account_key": azurite.account_key},
            name=f"az-{unique}",
        )
        yield Imported(bucket, c, azurite.account_key, "AZURE_BLOB")


@pytest.fixture(scope="module")
def gcs_token_uri() -> Iterator[str]:
    """A loopback OAuth endpoint granting every service-account key a token."""
    with granting_token_endpoint() as uri:
        yield uri


@pytest.fixture
def gcs_bucket(
    imports_server: LiveServer,
    imports_users: dict[str, str],
    fake_gcs: FakeGcs,
    gcs_token_uri: str,
    unique: str,
) -> Iterator[Imported]:
    """A GCS bucket registered with a service account (a key made here: the session's secret
    scan looks for it in the log, and no response of the test may hold a line of it)."""
    import uuid

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    name = f"e2e-sdk-{uuid.uuid4().hex[:10]}"
    gcs = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": fake_gcs.endpoint_url},
    )
    provider_bucket = gcs.create_bucket(name)
    for key, data in SEED.items():
        provider_bucket.blob(key).upload_from_string(data)
    key_file, pem = service_account(gcs_token_uri)
    secret = pem.splitlines()[10]  # a line of the key's body (not the common header)
    with _client_keeping_no_secret(imports_server, imports_users["alice"], secret, "GCS") as c:
        bucket = c.buckets.import_external(
            provider="GCS",
            provider_bucket_name=name,
            endpoint_url=fake_gcs.endpoint_url,
            credentials={"service_account_json": key_file},
            name=f"gcs-{unique}",
        )
        yield Imported(bucket, c, secret, "GCS")


@pytest.fixture(params=["fs_bucket", "s3_bucket", "azure_bucket", "gcs_bucket"])
def imported(request: pytest.FixtureRequest) -> Imported:
    value: Imported = request.getfixturevalue(request.param)
    return value


def test_register_status_actions_content(imported: Imported) -> None:
    bucket, client = imported.bucket, imported.client
    assert bucket.imported and bucket.provider == imported.provider
    if imported.secret:
        assert bucket.credentials_set
        shown = repr(bucket) + repr(bucket.to_dict()) + repr(client.buckets.get(bucket.id).model)
        assert imported.secret not in shown
    report = bucket.status()
    assert report.status == "AVAILABLE" and report.available and report.checked_at is not None
    assert sorted(bucket.actions()) == ["READ", "WRITE"]

    pager = bucket.content(page_size=2)
    pages = list(pager.pages())
    assert len(pages) == 3
    entries = [e for page in pages for e in page]
    assert [(e.key, e.type) for e in entries] == [
        ("a/", "folder"),
        ("b/", "folder"),
        ("c.txt", "file"),
        ("d.bin", "file"),
        ("e/", "folder"),
    ]
    assert entries[2].size == 10 and entries[2].modified_at is not None
    assert [e.key for e in bucket.content("e/")] == ["e/f/"]
    assert [e.name for e in bucket.content("a/", first=1)] == ["1.txt"]

    found = client.buckets.list(imported=True, provider=imported.provider)
    assert bucket.id in {b.id for b in found}
    assert client.buckets.count(imported=True, provider=imported.provider) >= 1
    assert bucket.id not in {b.id for b in client.buckets.list(imported=False)}


def test_listdir_folders_carry_aggregates(imported: Imported) -> None:
    bucket = imported.bucket
    entries = bucket.listdir()
    assert [e.key for e in entries] == ["a/", "b/", "c.txt", "d.bin", "e/"]
    first = entries[0]
    assert first.is_dir and first.size == 6 and first.count == 2 and first.complete
    assert first.modified_at is not None
    assert (entries[4].size, entries[4].count) == (4, 1)  # e/f/g.txt, two levels down
    sizes = {"a/": 6, "b/": len(SEED["b/pic.jpg"]), "c.txt": 10, "d.bin": 100, "e/": 4}
    assert {e.key: e.size for e in entries} == sizes
    for descending in (False, True):
        by_size = bucket.listdir(order_by="size", descending=descending)
        assert [e.key for e in by_size] == sorted(
            sizes, key=lambda k: (sizes[k], k), reverse=descending
        )
    newest = bucket.listdir(order_by="time", descending=True)
    assert {e.key for e in newest} == set(sizes) and all(e.modified_at for e in newest)


def test_content_mime_types_manifest_and_preview(imported: Imported) -> None:
    from PIL import Image

    bucket = imported.bucket
    pages = list(bucket.content(page_size=2).pages())
    assert len(pages) == 3
    assert {e.key: e.mime_type for page in pages for e in page} == {
        "a/": None,
        "b/": None,
        "c.txt": "text/plain",
        "d.bin": "application/octet-stream",
        "e/": None,
    }
    assert [(e.key, e.mime_type) for e in bucket.content("b/")] == [("b/pic.jpg", "image/jpeg")]
    manifest = "\n".join(["a/1.txt", "m/x.png", "m/y.json", "m/z.noext", "n/", "c.txt"]) + "\n"
    bucket.blob("index/manifest.txt").write_bytes(manifest.encode())
    via = list(bucket.content(page_size=1, manifest_path="index/manifest.txt"))
    assert [(e.key, e.type) for e in via] == [("a/", "folder"), ("c.txt", "file"), ("m/", "folder")]
    assert via[1].size == 10 and via[1].mime_type == "text/plain"  # exists: size from the bucket
    inner = list(bucket.content("m/", manifest_path="index/manifest.txt"))
    assert [(e.name, e.mime_type, e.size) for e in inner] == [
        ("x.png", "image/png", None),
        ("y.json", "application/json", None),
        ("z.noext", None, None),
    ]
    thumb = Image.open(io.BytesIO(bucket.preview()))  # b/pic.jpg, read from the provider
    assert thumb.format == "JPEG" and thumb.size == (64, 48)


#: The folder synced up and back: nested folders, an empty file, unicode names, and a 9 MiB
#: file (multipart here; above GCS's 8 MiB resumable chunk and Azure's 4 MiB blocks there).
TREE = {
    "x/1.bin": 1000,
    "x/y/2.bin": 300_000,
    "top.txt": 5,
    "z.bin": 70,
    "empty.txt": 0,
    "x/y/z/deeper/empty.bin": 0,
    "ünïcödé/résumé ✓.txt": 2_000,
    "日本/データ.bin": 4_096,
    "big/nine.bin": 9 * 1024 * 1024,
}


def test_same_transfer_calls_as_a_managed_bucket(imported: Imported, tmp_path: Path) -> None:
    bucket = imported.bucket
    src = tmp_path / "src"
    for rel, size in TREE.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(os.urandom(size))
    options = TransferOptions(part_size=1024 * 1024, multipart_threshold=128 * 1024)
    up = bucket.sync(src, "up/", options=options)
    assert up.results is not None and up.results.ok, up.results and up.results.summary()
    assert len(up.by_action("upload")) == len(TREE)
    assert bucket.blob("up/big/nine.bin").stat().size == 9 * 1024 * 1024
    assert bucket.blob("up/empty.txt").stat().size == 0
    again = bucket.sync(src, "up/", options=options)
    assert again.changes == [], again.summary()  # the provider's listing matches the folder

    back = tmp_path / "back"
    plan = bucket.sync(back, "up/", direction="download")
    assert plan.results is not None and plan.results.ok, plan.results and plan.results.summary()
    assert _tree(back) == _tree(src) and len(_tree(back)) == len(TREE)

    assert sorted(b.key for b in bucket.glob("up/**/*.bin")) == sorted(
        f"up/{rel}" for rel in TREE if rel.endswith(".bin")
    )
    assert bucket.blob("a/1.txt").read_bytes() == b"one"  # what the provider held before

    assert bucket.rm("up/", recursive=True) == len(TREE)
    assert not bucket.exists("up/top.txt")
    assert [e.key for e in bucket.list("up/")] == []
    if imported.secret:
        assert imported.secret not in repr(bucket.to_dict()) + repr(up.to_dict())


def _parts_sent(recorder: Recorder) -> list[tuple[int, int]]:
    """(number, bytes) of the part PUTs recorded, by number."""
    return sorted(
        (int(r.url.path.rsplit("/", 1)[-1]), int(r.headers["content-length"]))
        for r in recorder.part_puts()
    )


def test_merged_parts_on_the_providers_multipart(
    imported: Imported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merged parts (numbers with gaps, sizes that differ) through each provider's own
    multipart, on a link that probes fast: slots of the provider's least part (S3: 5 MiB,
    the server's minimum raises the SDK's 2 MiB), parts 1, 2 over slots 2-3 and 4 (5 bytes).
    Then a run killed while its merged part 2 was on its way resumes: part 1 reused, slot 2
    probes, slots 3-4 go merged. Last, a merged part 2 the provider holds with other bytes
    is sent again over the same slots (the new copy replaces it)."""
    slot = 5 * MiB if imported.provider == "S3_COMPATIBLE" else MiB
    fast_link(monkeypatch, merged=2 * slot)
    bucket = imported.bucket
    f = tmp_path / "f.bin"
    data = random_file(f, 3 * slot + 5)
    recorder = Recorder(imported.client)
    assert bucket.upload(f, "merged/f.bin", multipart_threshold=0).ok
    assert _parts_sent(recorder) == [(1, slot), (2, 2 * slot), (4, 5)]
    assert bucket.blob("merged/f.bin").read_bytes() == data

    moved = 0

    def kill_in_part_2(event: ProgressEvent) -> None:
        nonlocal moved
        moved += event.amount if isinstance(event, ProgressAdvance) else 0
        if moved > slot + slot // 2:
            raise KeyboardInterrupt  # what Ctrl-C does midway

    with pytest.raises(KeyboardInterrupt):
        bucket.upload(f, "again.bin", multipart_threshold=0, progress=kill_in_part_2)
    for _ in range(50):  # part 1's commit may land a moment after the client gave up
        [upload] = imported.client.api.uploads.list(bucket.ref, key="again.bin")[0].results
        if upload.parts:
            break
        time.sleep(0.1)
    assert [(p.part_number, p.size) for p in upload.parts] == [(1, slot)]
    recorder.clear()
    report = bucket.upload(f, "again.bin", multipart_threshold=0)
    assert report.ok and report.results[0].resumed
    assert _parts_sent(recorder) == [(2, slot), (3, slot + 5)]
    assert bucket.blob("again.bin").read_bytes() == data

    open_upload(bucket, f, "wrong.bin", slot, {1: data[:slot], 2: os.urandom(2 * slot)})
    recorder.clear()
    assert bucket.upload(f, "wrong.bin", multipart_threshold=0).results[0].resumed
    assert _parts_sent(recorder) == [(2, 2 * slot), (4, 5)]
    assert bucket.blob("wrong.bin").read_bytes() == data


def test_delete_unregisters(imported: Imported) -> None:
    bucket, client = imported.bucket, imported.client
    bucket.delete(force=True)
    with pytest.raises(NotFoundError, match=bucket.name):
        client.buckets.get(bucket.name)


def test_wrong_secret_is_forbidden_and_fixed_by_update_credentials(
    s3_bucket: Imported, seaweed: SeaweedS3
) -> None:
    bucket = s3_bucket.bucket
    wrong = "not-the-" + seaweed.secret_key
    bucket.update_credentials({"access_key_id": seaweed.access_key, "secret_access_key": wrong})
    report = bucket.status(refresh=True)
    assert report.status == "FORBIDDEN" and not report.available
    assert wrong not in repr(bucket.to_dict()) and wrong not in (report.detail or "")
    bucket.update_credentials(
        {"access_key_id": seaweed.access_key, "secret_access_key": seaweed.secret_key}
    )
    assert bucket.status(refresh=True).available
    assert bucket.blob("c.txt").read_bytes() == b"c" * 10


def test_bad_input_is_refused_naming_the_parameter(
    imports_server: LiveServer, imports_users: dict[str, str], tmp_path: Path, unique: str
) -> None:
    with Client(url=imports_server.url, token=imports_users["admin"], progress=False) as admin:
        with pytest.raises(BadRequestError, match="provider"):
            admin.buckets.import_external(provider="DROPBOX", provider_bucket_name="x")
        with pytest.raises((BadRequestError, PermissionDeniedError)):
            admin.buckets.import_external(  # outside the allowed roots
                provider="FILESYSTEM", provider_bucket_name=str(tmp_path), name=f"out-{unique}"
            )
    with Client(url=imports_server.url, token=imports_users["alice"], progress=False) as alice:
        with pytest.raises(PermissionDeniedError):
            alice.buckets.import_external(
                provider="FILESYSTEM", provider_bucket_name=str(tmp_path), name=f"na-{unique}"
            )
        secret = "sEcReT-" + unique * 4
        with pytest.raises(BadRequestError) as info:
            alice.buckets.import_external(
                provider="S3_COMPATIBLE",
                provider_bucket_name="b",
                endpoint_url="http://127.0.0.1:9",
                credentials={"secret_access_key": secret},  # no access_key_id
                name=f"bad-{unique}",
            )
        assert secret not in str(info.value) and secret not in repr(info.value.problem)
        names = {b.name for b in alice.buckets.list()}
        assert not {f"na-{unique}", f"bad-{unique}"} & names


def test_cli_import_status_content_on_seaweedfs(
    imports_server: LiveServer,
    imports_users: dict[str, str],
    seaweed: SeaweedS3,
    tmp_path: Path,
    unique: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from bucketry.cli import main

    monkeypatch.setenv("BUCKETRY_URL", imports_server.url)
    monkeypatch.setenv("BUCKETRY_TOKEN", imports_users["alice"])
    monkeypatch.setenv("BUCKETRY_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("BUCKETRY_DEBUG", raising=False)
    creds = tmp_path / "creds.json"
    creds.write_text(
        json.dumps({"access_key_id": seaweed.access_key, "secret_access_key": seaweed.secret_key})
    )
    name = f"cli-s3-{unique}"
    argv = ["buckets", "import", "s3_compatible", SEAWEED_BUCKET, "--name", name]
    argv += ["--prefix", f"cli-{unique}/", "--endpoint-url", seaweed.endpoint_url]
    argv += ["--region", "us-east-1", "--credentials-file", str(creds)]
    outputs = []
    assert main(argv) == 0
    outputs.append(capsys.readouterr())
    assert outputs[-1].out.startswith(f"imported bucket {name} (bkt_")
    (tmp_path / "note.txt").write_text("hello")
    assert main(["cp", str(tmp_path / "note.txt"), f"bkt://{name}/dir/note.txt"]) == 0
    outputs.append(capsys.readouterr())
    assert main(["buckets", "status", name]) == 0
    outputs.append(capsys.readouterr())
    assert outputs[-1].out.splitlines()[0].startswith("AVAILABLE  (checked ")
    assert main(["buckets", "content", name, "--json"]) == 0
    outputs.append(capsys.readouterr())
    assert [(e["key"], e["type"]) for e in json.loads(outputs[-1].out)] == [("dir/", "folder")]
    assert main(["buckets", "info", name, "--json"]) == 0
    outputs.append(capsys.readouterr())
    assert main(["buckets", "delete", name, "--force"]) == 0
    outputs.append(capsys.readouterr())
    assert all(seaweed.secret_key not in o.out + o.err for o in outputs)


def test_a_providers_own_multipart_upload_prefers_parts_its_spool_holds(
    s3_bucket: Imported, imports_server: LiveServer
) -> None:
    """An upload into an imported S3 bucket goes on the provider's own multipart upload,
    whose parts sent without a CRC32C the server holds whole before passing them on: it
    prefers parts of a sixteenth of the spool budget (the SDK merges parts no further)."""
    upload = s3_bucket.bucket.uploads.create("prefers.bin")
    try:
        budget = imports_server.state.settings.spool_max_bytes
        assert upload.preferred_max_part_size == max(budget // 16, upload.min_part_size or 0)
    finally:
        upload.abort()


def test_a_providers_multipart_streaming_its_parts_prefers_the_largest_part(
    fs_bucket: Imported,
) -> None:
    """A provider whose own multipart upload streams each part as it arrives (a folder here;
    GCS and Azure alike) holds no part whole in the server's spool: its uploads suit parts up
    to the largest one the server takes (5 GiB), as created, listed and got."""
    upload = fs_bucket.bucket.uploads.create("streams.bin")
    try:
        api = fs_bucket.client.api.uploads
        [listed] = api.list(fs_bucket.bucket.ref, key="streams.bin")[0].results
        got, _ = api.get(fs_bucket.bucket.ref, upload.id)
        preferred = {upload.preferred_max_part_size, listed.preferred_max_part_size}
        assert preferred | {got.preferred_max_part_size} == {5 * 1024**3}
    finally:
        upload.abort()
