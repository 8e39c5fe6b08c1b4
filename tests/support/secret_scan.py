"""Secrets of a test session never reach its log: every log record of the session is kept
(formatted, with its traceback) and, at the end, searched for every secret the session's
provider fixtures and tests used (S3 secret keys, Azure account keys, SAS signatures, GCS
private keys). Fixtures and helpers call :func:`remember` for each secret they make."""

from __future__ import annotations

import logging
import threading

#: label -> secret value, for every secret the session used.
SECRETS: dict[str, str] = {}
#: Loggers whose records are kept at DEBUG (the server) or INFO (the provider libraries).
LEVELS = {
    "bucketry_server": logging.DEBUG,
    "uvicorn": logging.INFO,
    "botocore": logging.INFO,
    "boto3": logging.INFO,
    "azure": logging.INFO,
    "google": logging.INFO,
    "urllib3": logging.INFO,
}


def remember(label: str, secret: str | None) -> None:
    """Add ``secret`` (if any) to the secrets the session log must not hold."""
    if secret:
        SECRETS[f"{label} #{len(SECRETS)}"] = secret


class SessionLog(logging.Handler):
    """Keeps the formatted text of every record it sees (thread-safe)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted: keep its raw parts
            text = f"{record.msg!r} {record.args!r}"
        with self._guard:
            self.lines.append(text)

    def leaks(self) -> list[str]:
        """``label: line`` for every kept line holding a remembered secret (or a line of a
        private key)."""
        found = []
        for label, secret in SECRETS.items():
            needles = [secret]
            if "PRIVATE KEY" in secret:  # any line of the key body
                needles = [ln for ln in secret.splitlines() if len(ln) > 40]
            for line in self.lines:
                if any(n in line for n in needles):
                    found.append(f"{label}: {line[:200]}")
                    break
        return found
