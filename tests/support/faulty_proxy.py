"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1 for retry tests.

Each client connection carries one request (responses say ``Connection: close``). For every
request the next entry of ``plan`` decides: ``"pass"`` forwards it, ``"503"``/``"429"``/``"409"``
answers that status (with ``Retry-After: 0``), ``"reset"`` drops the connection with a TCP RST.
When the plan is exhausted everything passes. ``seen`` records (fault, method, path).
"""

from __future__ import annotations

import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class FaultyProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.plan: deque[str] = deque()
        self.seen: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            headers = []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
                if name.strip().lower() != "connection":
                    headers.append(line)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            with self._lock:
                fault = self.plan.popleft() if self.plan else "pass"
                self.seen.append((fault, method, path))
            if fault == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if fault != "pass":
                reason = {
                    "503": "Service Unavailable",
                    "429": "Too Many Requests",
                    "409": "Conflict",
                }
                payload = b'{"type":"about:blank","title":"injected","status":%s}' % fault.encode()
                conn.sendall(
                    f"HTTP/1.1 {fault} {reason.get(fault, 'Error')}\r\nRetry-After: 0\r\n"
                    f"Content-Type: application/problem+json\r\nContent-Length: {len(payload)}\r\n"
                    "Connection: close\r\n\r\n".encode()
                    + payload
                )
                return
            request = "\r\n".join([lines[0], *headers, "Connection: close", "", ""]).encode()
            with socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
                up.sendall(request + body)
                while True:
                    chunk = up.recv(1 << 20)
                    if not chunk:
                        break
                    conn.sendall(chunk)


@contextmanager
def faulty_proxy(upstream_port: int) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
