"""The server key ring for provider credentials at rest (AES-256-GCM, ``cryptography``).

Keys have ids; the first key of the ring encrypts, every key decrypts, so a key is rotated by
putting a new one first and keeping the old ones until every bucket's credentials were
re-encrypted (a ``PATCH`` with credentials, or ``bucketry-server rekey``:
:mod:`.buckets.rekey` over :meth:`KeyRing.reencrypt`). The ring comes from
the setting ``BUCKETRY_SECRET_KEYS`` (``id:base64url-key,...``, 32-byte keys) or from the file
``credentials.keys`` in the data dir (same text, one key per line), created with mode 0600
holding one fresh key on first start.

A sealed value is ``v1.<key id>.<base64url(nonce | ciphertext+tag)>``; the associated data
binds it to its bucket id, so a value copied onto another bucket does not decrypt.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on first use: a server without imported buckets never loads it
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "credentials.keys"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_VERSION = "v1"


class KeyRingError(ValueError):
    """A key ring setting or file is malformed (names the entry, never the key bytes)."""


class SealedUnreadable(ValueError):
    """A sealed value cannot be opened (unknown key id, wrong bucket, tampered data)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """The ``(id, key)`` pairs of a ring text (entries separated by commas or newlines; ``#``
    starts a comment line). Raises :class:`KeyRingError` on a malformed entry."""
    keys: list[tuple[str, bytes]] = []
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("#")]
    for n, raw in enumerate(re.split(r"[,\n]", "\n".join(lines)), 1):
        entry = raw.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise KeyRingError(f"key ring entry {n}: expected id:base64url-key")
        try:
            key = _unb64(encoded.strip())
        except ValueError:
            raise KeyRingError(f"key ring entry {key_id!r}: not base64url") from None
        if len(key) != 32:
            raise KeyRingError(f"key ring entry {key_id!r}: the key must be 32 bytes")
        if any(k == key_id for k, _ in keys):
            raise KeyRingError(f"key ring entry {key_id!r}: duplicate id")
        keys.append((key_id, key))
    if not keys:
        raise KeyRingError("the key ring holds no key")
    return keys


def new_key_entry(key_id: str | None = None) -> str:
    """A fresh ``id:key`` entry (for the key file or ``BUCKETRY_SECRET_KEYS``)."""
    return f"{key_id or 'k' + secrets.token_hex(4)}:{_b64(secrets.token_bytes(32))}"


def load_key_text(data_dir: Path, setting: str | None) -> str:
    """The ring text: ``setting`` if given, else the key file, created 0600 with one fresh
    key if missing."""
    if setting:
        return setting
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text()
    with os.fdopen(fd, "w") as f:
        f.write("# Bucketry provider-credential keys: the first encrypts, all decrypt.\n")
        f.write(new_key_entry() + "\n")
    return path.read_text()


class KeyRing:
    """Seal and open provider credentials (a JSON object of strings) under the ring."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyRingError("the key ring holds no key")
        if any(len(key) not in (16, 24, 32) for _, key in keys):
            raise KeyRingError("an AES-GCM key is 16, 24 or 32 bytes")
        self._primary = keys[0][0]
        self._raw = dict(keys)
        self._ciphers: dict[str, AESGCM] = {}

    def _cipher(self, key_id: str) -> AESGCM:
        """The AES-GCM cipher of key ``key_id`` (``KeyError`` if the ring lacks it), made on
        first use (``cryptography`` is loaded then, not when the server starts)."""
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            cipher = self._ciphers[key_id] = AESGCM(self._raw[key_id])
        return cipher

    @classmethod
    def load(cls, data_dir: Path, setting: str | None) -> KeyRing:
        """The ring of the server (see the module docstring). Raises :class:`KeyRingError`."""
        return cls(parse_keys(load_key_text(data_dir, setting)))

    @property
    def primary_id(self) -> str:
        """The id of the key that encrypts."""
        return self._primary

    def __repr__(self) -> str:
        return f"KeyRing(primary={self._primary!r}, keys={len(self._raw)})"

    def seal(self, bucket_id: str, credentials: Mapping[str, str]) -> str:
        """Encrypt ``credentials`` for ``bucket_id`` under the primary key."""
        nonce = secrets.token_bytes(12)
        plain = json.dumps(dict(credentials), separators=(",", ":")).encode()
        sealed = self._cipher(self._primary).encrypt(nonce, plain, bucket_id.encode())
        return f"{_VERSION}.{self._primary}.{_b64(nonce + sealed)}"

    def open(self, bucket_id: str, sealed: str) -> dict[str, str]:
        """Decrypt a value :meth:`seal` made for ``bucket_id`` with any key of the ring.
        Raises :class:`SealedUnreadable` (no detail about the key material)."""
        from cryptography.exceptions import InvalidTag

        try:
            version, key_id, body = sealed.split(".", 2)
            if version != _VERSION:
                raise KeyError(version)
            aes = self._cipher(key_id)
            raw = _unb64(body)
            plain = aes.decrypt(raw[:12], raw[12:], bucket_id.encode())
            value = json.loads(plain)
        except (ValueError, KeyError, InvalidTag):
            raise SealedUnreadable(
                "stored credentials cannot be decrypted (key removed from the ring?)"
            ) from None
        if not isinstance(value, dict):
            raise SealedUnreadable("stored credentials are not an object")
        return {str(k): str(v) for k, v in value.items()}

    def key_id_of(self, sealed: str) -> str | None:
        """The id of the key that sealed a value (None if not a sealed value)."""
        parts = sealed.split(".", 2)
        return parts[1] if len(parts) == 3 and parts[0] == _VERSION else None

    def reencrypt(self, bucket_id: str, sealed: str) -> str:
        """``sealed`` under the primary key (unchanged if it already is)."""
        if self.key_id_of(sealed) == self._primary:
            return sealed
        return self.seal(bucket_id, self.open(bucket_id, sealed))
