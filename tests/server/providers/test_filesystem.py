"""FILESYSTEM: the folder client passes the ObjectClient contract; keys never escape."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from bucketry_server.backends import filesystem
from bucketry_server.backends.filesystem import FolderClient, open_client
from bucketry_server.backends.remote.client import ObjectClient, ProviderConfig, ProviderNotFound
from bucketry_server.backends.remote.folders import confine_folder
from bucketry_server.errors import Invalid
from tests.server.providers.contract import ClientFactory, ObjectClientContract


class FolderFactory:
    def __init__(self, root: Path) -> None:
        self.root = root

    def good(self) -> ObjectClient:
        return FolderClient(ProviderConfig("FILESYSTEM", str(self.root)))

    def wrong_secret(self) -> ObjectClient | None:
        return None

    def missing_bucket(self) -> ObjectClient:
        return FolderClient(ProviderConfig("FILESYSTEM", str(self.root / "no-such-folder")))

    def dead_endpoint(self) -> ObjectClient | None:
        return None


class TestFolderClientContract(ObjectClientContract):
    @pytest.fixture
    def factory(self, tmp_path: Path) -> ClientFactory:
        root = tmp_path / "bucket"
        root.mkdir()
        return FolderFactory(root)


def test_keys_cannot_escape(tmp_path: Path) -> None:
    root = tmp_path / "bucket"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("outside")
    (root / "link").symlink_to(tmp_path)
    (root / "file-link").symlink_to(tmp_path / "secret.txt")
    client = FolderClient(ProviderConfig("FILESYSTEM", str(root)))
    for key in [
        "../secret.txt",
        "/etc/passwd",
        "a/../../secret.txt",
        "./x",
        "a//b",
        "link/secret.txt",
    ]:
        with pytest.raises(ProviderNotFound):
            list(client.read(key))
        assert client.head(key) is None
    with pytest.raises(ProviderNotFound):
        list(client.read("file-link"))
    assert client.list_page("", None, 100) == []  # links are not listed
    with pytest.raises(Exception):  # noqa: B017 - any refusal; nothing written outside
        client.write("link/evil.txt", iter([b"x"]), content_type="text/plain", metadata={})
    assert not (tmp_path / "evil.txt").exists()


def test_temp_files_are_invisible_and_cleaned(tmp_path: Path) -> None:
    client = FolderClient(ProviderConfig("FILESYSTEM", str(tmp_path)))

    def failing() -> object:
        yield b"part"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        client.write("f.bin", failing(), content_type="x/y", metadata={})  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


def test_confinement_to_roots(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    assert confine_folder(str(root / "data"), [root]) == (root / "data").resolve()
    for bad in [
        str(outside),
        str(root / "escape"),
        "relative/path",
        str(root / "data" / ".." / ".." / "outside"),
    ]:
        with pytest.raises(Invalid) as info:
            confine_folder(bad, [root])
        assert "provider_bucket" in (info.value.detail or "")
    with pytest.raises(Invalid, match="no FILESYSTEM roots"):
        confine_folder(str(root / "data"), [])
    with pytest.raises(Invalid):
        open_client(ProviderConfig("FILESYSTEM", str(outside)), [root])


class TestFolderWithoutHardLinks(TestFolderClientContract):
    """A folder on a file system without hard links (``os.link`` refused): a create-only
    write falls back to the name checked absent under the process lock, and the contract
    (racing writers included) still holds."""

    @pytest.fixture(autouse=True)
    def no_links(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def refused(*args: object, **kwargs: object) -> None:
            raise OSError(errno.EPERM, "hard links not supported")

        monkeypatch.setattr(filesystem.os, "link", refused)
