"""Provider credentials at rest: AES-GCM under a key ring with rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bucketry_server.keyring import (
    KEY_FILE,
    KeyRing,
    KeyRingError,
    SealedUnreadable,
    new_key_entry,
    parse_keys,
)

CREDS = {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t-value"}


def test_key_file_is_created_0600_once(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, None)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = KeyRing.load(tmp_path, None)
    assert again.primary_id == ring.primary_id
    assert again.open("bkt_1", ring.seal("bkt_1", CREDS)) == CREDS


def test_sealed_value_hides_the_secret_and_is_bound_to_the_bucket(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, None)
    sealed = ring.seal("bkt_1", CREDS)
    assert "s3cr3t" not in sealed and "AKIA" not in sealed
    assert ring.seal("bkt_1", CREDS) != sealed  # fresh nonce each time
    with pytest.raises(SealedUnreadable):
        ring.open("bkt_2", sealed)
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealedUnreadable):
        ring.open("bkt_1", tampered)
    assert "s3cr3t" not in repr(ring)


def test_rotation_new_key_encrypts_old_still_decrypts() -> None:
    old = new_key_entry("old")
    new = new_key_entry("new")
    before = KeyRing(parse_keys(old))
    sealed = before.seal("bkt_1", CREDS)
    after = KeyRing(parse_keys(f"{new},{old}"))
    assert after.primary_id == "new"
    assert after.open("bkt_1", sealed) == CREDS
    rotated = after.reencrypt("bkt_1", sealed)
    assert after.key_id_of(rotated) == "new"
    only_new = KeyRing(parse_keys(new))
    assert only_new.open("bkt_1", rotated) == CREDS
    with pytest.raises(SealedUnreadable):
        only_new.open("bkt_1", sealed)


def test_setting_wins_over_the_file(tmp_path: Path) -> None:
    entry = new_key_entry("env1")
    ring = KeyRing.load(tmp_path, entry)
    assert ring.primary_id == "env1"
    assert not (tmp_path / KEY_FILE).exists()


@pytest.mark.parametrize(
    "text", ["", "nokey", "a b:xyz", "k1:!!!", "k1:" + "A" * 10, "k:" + "A" * 43 + ",k:" + "A" * 43]
)
def test_malformed_rings_are_refused(text: str) -> None:
    with pytest.raises(KeyRingError):
        parse_keys(text)
