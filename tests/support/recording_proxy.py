"""A byte-recording TCP forwarder on 127.0.0.1 (tests of the direct data path).

Everything a client sends through it is forwarded verbatim to ``127.0.0.1:upstream_port`` and
the answers back, so signatures over the ``Host`` header stay valid when the proxy is used as
the endpoint itself. ``sent`` and ``received`` hold every byte that went up and came back, to
prove that a body did (or did not) pass, or that a header was never sent.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RecordingProxy:
    """Forward connections to ``upstream_port``, recording both directions."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._sent = bytearray()
        self._received = bytearray()
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sent(self) -> bytes:
        """Every byte clients sent upstream so far."""
        with self._lock:
            return bytes(self._sent)

    @property
    def received(self) -> bytes:
        """Every byte upstream answered so far."""
        with self._lock:
            return bytes(self._received)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for a, b, log in ((conn, upstream, self._sent), (upstream, conn, self._received)):
                threading.Thread(target=self._pipe, args=(a, b, log), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, log: bytearray) -> None:
        try:
            while chunk := src.recv(65536):
                with self._lock:
                    log += chunk
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@contextmanager
def recording_proxy(upstream_port: int) -> Iterator[RecordingProxy]:
    """A running :class:`RecordingProxy` in front of ``upstream_port``, closed on exit."""
    proxy = RecordingProxy(upstream_port)
    proxy._thread.start()
    try:
        yield proxy
    finally:
        proxy._sock.close()
