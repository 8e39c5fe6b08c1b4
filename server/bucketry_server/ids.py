"""Opaque prefixed identifiers (``bkt_…``, ``obj_…``): random, URL-safe, never reused.

The random bytes come from ``os.urandom`` (the kernel's CSPRNG, as ``secrets``), read 4 KiB at
a time: every id is made on a busy event loop or in a commit, and one ``getrandom`` call per id
gave the loop's thread up (the call lets go of the GIL) to wait up to a whole switch interval
for it back. A forked child drops the bytes it inherited, so no two processes share any.
"""

from __future__ import annotations

import os
import threading

#: Random bytes read from the kernel at a time.
_BATCH = 4096
_lock = threading.Lock()
_pool = b""
_used = 0


def _reset() -> None:
    """Forget the pool (a forked child: its bytes are the parent's) and make a new lock (one
    another thread of the parent held at the fork would stay held for ever)."""
    global _lock, _pool, _used
    _lock, _pool, _used = threading.Lock(), b"", 0


os.register_at_fork(after_in_child=_reset)


def token_bytes(n: int = 16) -> bytes:
    """``n`` random bytes from the kernel's CSPRNG; each byte is handed out once. Raises
    ``ValueError`` for ``n`` below 0 or above 4096 (one batch)."""
    global _pool, _used
    if not 0 <= n <= _BATCH:
        raise ValueError(f"token_bytes gives 0 to {_BATCH} bytes, not {n}")
    with _lock:
        if _used + n > len(_pool):
            _pool, _used = os.urandom(_BATCH), 0
        start, _used = _used, _used + n
        return _pool[start:_used]


def token_hex(n: int = 16) -> str:
    """``n`` random bytes as lowercase hex (``2n`` characters)."""
    return token_bytes(n).hex()


def new_id(prefix: str) -> str:
    """A new identifier: ``prefix`` + ``_`` + 32 random hex digits."""
    return f"{prefix}_{token_hex(16)}"
