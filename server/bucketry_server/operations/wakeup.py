"""Waking a loop of another worker process of one data folder (``serve --workers N``).

Some work runs in one process only: on SQLite the operation workers (:mod:`..leader`), and on
any database the purge of deleted buckets (the janitor's leader). Work created through another
process would wait for that process's next poll, so the runner binds a Unix datagram socket in
the data folder (mode 0600, in the 0700 folder), one per purpose: :data:`SOCKET_FILE` for the
operation engine, :data:`PURGE_SOCKET_FILE` for the purge; the other processes send it a byte
per piece of new work. Loopback only by construction (no port, no network).

- Never blocking a request: the sender's socket is non-blocking and every error is ignored (no
  runner yet, a runner that died, a full queue): the runner's poll stays the fallback.
- Bounded: the kernel queues a bounded number of datagrams (``net.unix.max_dgram_qlen``); the
  runner drains the whole queue per wake-up, so a flood of sends coalesces into a few wakes.
- Leader changes: the lock holder owns the path; a new leader removes the socket file a dead
  one left and binds its own, and senders address the path, not a process.

A data folder whose socket path is too long for ``sun_path`` (108 bytes on Linux) uses a Linux
abstract socket name derived from the folder's path instead (elsewhere: no socket, poll only).
An abstract name has no file permissions (any local user may send to it), so where the kernel
tells the sender's credentials (Linux ``SO_PASSCRED``) only datagrams from this process's own
user wake the runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("bucketry_server.operations")

#: The operation engine's socket (SQLite: the leading process runs the workers).
SOCKET_FILE = "operations.wake"
#: The socket of the purge of deleted buckets (the janitor's leading process runs it).
PURGE_SOCKET_FILE = "purge.wake"
#: The longest path ``sun_path`` holds, without its terminating NUL: 108 bytes on Linux, 104 on
#: macOS and the BSDs.
_SUN_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
#: Datagrams read per wake-up at most (the rest wait for the next loop turn).
_DRAIN_MAX = 4096

Address = str | bytes
#: ``struct ucred`` (pid, uid, gid) of an ``SCM_CREDENTIALS`` message.
_UCRED = struct.Struct("3i")


def wake_address(data_dir: Path, name: str = SOCKET_FILE) -> Address | None:
    """The address of ``data_dir``'s wake-up socket ``name`` (:data:`SOCKET_FILE`,
    :data:`PURGE_SOCKET_FILE`): its path in the folder, or (a path too long for a Unix
    socket) a Linux abstract name made from a digest of that path; ``None`` where neither
    works."""
    path = os.path.join(os.path.abspath(data_dir), name)
    if len(os.fsencode(path)) <= _SUN_PATH_MAX:
        return path
    if not sys.platform.startswith("linux"):
        return None
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:32]
    return b"\0bucketry-wake-" + digest.encode()


def _dgram_socket() -> socket.socket:
    # Closed on exec without SOCK_CLOEXEC (Linux only: absent on macOS): Python's sockets are
    # non-inheritable (PEP 446).
    return socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)


class WakeSender:
    """The sending end, in every process that does not run the work."""

    def __init__(self, address: Address | None) -> None:
        self.address = address
        self._sock: socket.socket | None = None

    def send(self) -> None:
        """Send one wake-up byte; never blocks and never raises (nobody listening, a full
        queue: the receiver's poll finds the work anyway)."""
        if self.address is None:
            return
        try:
            if self._sock is None:
                self._sock = _dgram_socket()
                self._sock.setblocking(False)
            self._sock.sendto(b"w", self.address)
        except OSError:
            pass

    def close(self) -> None:
        """Close the socket (sending again opens a new one)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class WakeListener:
    """The receiving end, in the process that runs the work: calls ``on_wake`` on the event
    loop once per batch of datagrams received."""

    def __init__(self, address: Address | None, on_wake: Callable[[], None]) -> None:
        self.address = address
        self.on_wake = on_wake
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inode: int | None = None

    @property
    def listening(self) -> bool:
        """Whether the socket is bound and read by the event loop."""
        return self._sock is not None

    def open(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Bind the socket (replacing a socket file a previous leader left: call this only
        while holding the leadership) and read it on ``loop``. False (logged) if it cannot
        be bound: the runner then relies on its poll."""
        if self._sock is not None or self.address is None:
            return self._sock is not None
        try:
            sock = _dgram_socket()
        except OSError as exc:  # no descriptor left, no Unix sockets here
            log.warning("wake-up socket %r unavailable (%s): polling only", self.address, exc)
            return False
        try:
            sock.setblocking(False)
            if isinstance(self.address, str):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.address)
                sock.bind(self.address)
                os.chmod(self.address, 0o600)
                self._inode = os.stat(self.address).st_ino
            else:
                sock.bind(self.address)
            if hasattr(socket, "SO_PASSCRED"):  # the kernel tells each sender's uid
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            loop.add_reader(sock.fileno(), self._drain)
        except OSError as exc:
            sock.close()
            log.warning("wake-up socket %r unavailable (%s): polling only", self.address, exc)
            return False
        self._sock, self._loop = sock, loop
        return True

    def _drain(self) -> None:
        sock = self._sock
        if sock is None:
            return
        woken = False
        for _ in range(_DRAIN_MAX):
            try:
                if hasattr(socket, "SCM_CREDENTIALS"):
                    _, ancdata, _, _ = sock.recvmsg(64, socket.CMSG_SPACE(_UCRED.size))
                    woken = woken or _from_own_user(ancdata)
                else:
                    sock.recv(64)
                    woken = True
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
        if woken:
            self.on_wake()

    def close(self) -> None:
        """Stop reading, close the socket and remove its file (if it is still this one's)."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(sock.fileno())
        sock.close()
        if isinstance(self.address, str) and self._inode is not None:
            with contextlib.suppress(OSError):
                if os.stat(self.address).st_ino == self._inode:
                    os.unlink(self.address)
        self._inode = None


class LeaderWake:
    """The wake-ups of work one process runs for all (the leader): ``event``, which the
    runner waits on; :meth:`listen`, once this process leads, binds the socket at ``address``
    so the other processes' wake-ups set it; :meth:`wake` sets this process's own event and,
    unless this process listens, sends one to the leader. Without an address (one process):
    the event alone."""

    def __init__(self, address: Address | None) -> None:
        self.event = asyncio.Event()
        self._listener = WakeListener(address, self.event.set)
        self._sender = WakeSender(address)
        self._tried = self._closed = False

    def wake(self) -> None:
        """Tell the runner there is new work; never blocks, never raises."""
        self.event.set()
        if not self._listener.listening and not self._closed:
            self._sender.send()

    def listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """Receive the other processes' wake-ups on ``loop`` from now on (call it only while
        leading; the socket a dead leader left is replaced). Tried once: a socket that
        cannot be bound (logged) leaves the runner to its poll."""
        if not self._tried and not self._closed:
            self._tried = True
            self._listener.open(loop)

    def close(self) -> None:
        """Stop listening (the socket file goes) and sending, for good."""
        self._closed = True
        self._listener.close()
        self._sender.close()


def _from_own_user(ancdata: list[tuple[int, int, bytes]]) -> bool:
    """Whether a datagram's ``SCM_CREDENTIALS`` name this process's user (False without
    them: another user's datagrams to an abstract name must not wake the runner)."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            if len(data) >= _UCRED.size:
                uid: int = _UCRED.unpack_from(data)[1]
                return uid == os.getuid()
    return False
