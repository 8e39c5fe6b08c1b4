"""Secrets: token generation and hashing, signed-URL HMACs, provider-credential encryption.

Bearer secrets are 256-bit random strings, so one SHA-256 (not a slow password hash) is the
right way to store them: it cannot be inverted and lookups stay O(1). Provider credentials
must be usable by the server, so they are encrypted (Fernet) with the server key instead.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use (credentials): most requests never need it
    from cryptography.fernet import Fernet


def new_secret(kind: str) -> str:
    """A bearer secret such as ``bkt_pat_<43 url-safe chars>`` (the prefix says what it is)."""
    return f"bkt_{kind}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as a directory only its owner can enter (0700).

    An existing directory that others may read or enter is tightened to 0700 too. Returns
    ``path``; raises OSError if it cannot be created.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (SQLite then keeps that mode
    for the database and gives it to its ``-wal`` and ``-shm`` files)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def load_server_key(data_dir: Path) -> bytes:
    """The server's 32-byte key: ``BUCKETRY_SECRET_KEY`` (shared by instances) or a 0600 file."""
    env = os.environ.get("BUCKETRY_SECRET_KEY")
    if env:
        return hashlib.sha256(env.encode()).digest()
    path = data_dir / "server.key"
    if path.exists():
        return base64.urlsafe_b64decode(path.read_bytes().strip())
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.urlsafe_b64encode(key))
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url, accepting only the one canonical spelling.

    Plain decoding ignores the spare low bits of the last character, so several spellings
    decode to the same bytes; a signed URL with a changed last character must not verify.
    """
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data


class Signer:
    """HMAC-SHA256 tokens over a JSON payload, domain-separated by purpose."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._fernet_instance: Fernet | None = None

    @property
    def _fernet(self) -> Fernet:
        """The Fernet of the key, made on first use (``cryptography`` is loaded then)."""
        if self._fernet_instance is None:
            from cryptography.fernet import Fernet

            derived = hashlib.sha256(self._key + b"fernet").digest()
            self._fernet_instance = Fernet(base64.urlsafe_b64encode(derived))
        return self._fernet_instance

    def _mac(self, purpose: str, body: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + body, hashlib.sha256).digest()

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(purpose, body))}"

    def verify(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The payload if the token is intact, else None (never raises on garbage)."""
        try:
            body_b64, mac_b64 = token.split(".", 1)
            body = _unb64(body_b64)
            if not hmac.compare_digest(_unb64(mac_b64), self._mac(purpose, body)):
                return None
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        return payload if isinstance(payload, dict) else None

    def encrypt(self, data: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(data).encode()).decode()

    def decrypt(self, token: str) -> dict[str, str]:
        from cryptography.fernet import InvalidToken

        try:
            value = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:  # key rotated or data corrupted
            raise ValueError("stored credentials cannot be decrypted") from exc
        return {str(k): str(v) for k, v in value.items()}
