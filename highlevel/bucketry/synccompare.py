"""How ``sync`` decides whether a key present on both sides must be transferred.

Mirror semantics (aws-cli / rclone ``sync``): the destination is made equal to the source.

* ``"mtime+size"`` (default): a size difference always transfers. Equal sizes are identical
  when the modification times are equal: *exactly* (at the coarser of the two timestamps'
  precisions) when the blob carries the source mtime recorded by an SDK upload (same clock as
  ours), within a tolerance (2 s plus the measured clock skew) only when the blob's time is the
  server's own ``modified_at``. Otherwise the source is copied, whichever side is newer.
  ``update=True`` (rclone ``--update``) never overwrites a destination that is newer.
* ``"size"``: copied when the sizes differ (with ``update=True``: unless the destination is
  newer, as for ``"checksum"``).
* ``"checksum"``: copied when the checksum differs: the blob's CRC32C when it has one, else its
  SHA-256 (the remote's comes from the listing; the local one is computed only for keys
  present on both sides with equal sizes).
"""

from __future__ import annotations

from typing import Literal

from .transfer.checksums import sha256_file
from .transfer.crc import crc32c_file, to_wire
from .transfer.mtimes import MTIME_KEY, NS, parse_mtime, remote_mtime_ns
from .transfer.walk import LocalEntry
from .types import BlobInfo

Direction = Literal["upload", "download"]
Compare = Literal["mtime+size", "size", "checksum"]

#: The tolerance for times read from the server's clock (``modified_at``), before the skew.
DEFAULT_TOLERANCE = 2.0


def mtime_resolution(ns: int) -> int:
    """The precision a timestamp was stored with, guessed from its trailing zeros (1 s, 1 ms,
    1 µs or 1 ns): a file system with whole seconds gives ``...000000000``."""
    for step in (NS, 1_000_000, 1000):
        if ns % step == 0:
            return step
    return 1


def same_mtime(a_ns: int, b_ns: int) -> bool:
    """Equal at the coarser precision of the two (a file written with ns on one file system
    and set on another that keeps µs still compares equal; anything else is exact)."""
    step = max(mtime_resolution(a_ns), mtime_resolution(b_ns))
    return a_ns // step == b_ns // step


class Comparer:
    """Decides, for a key present on both sides, whether to transfer and why."""

    def __init__(
        self,
        direction: Direction,
        compare: Compare,
        *,
        update: bool = False,
        skew: float = 0.0,
        offset_ns: int = 0,
    ) -> None:
        self.direction = direction
        self.compare = compare
        self.update = update
        self.src_name, self.dst_name = (
            ("local", "remote") if direction == "upload" else ("remote", "local")
        )
        self.skew = abs(skew)
        self.offset_ns = offset_ns

    def remote_time(self, info: BlobInfo) -> tuple[int, bool]:
        """The blob's mtime in ns on the local clock, and whether it is a recorded source
        mtime (exact) rather than the server's ``modified_at`` (compared with a tolerance)."""
        recorded = info.metadata.get(MTIME_KEY)
        if recorded is not None and (ns := parse_mtime(recorded)) is not None:
            return ns, True
        return remote_mtime_ns(info, self.offset_ns) or 0, False

    def decide(self, local: LocalEntry, remote: BlobInfo) -> tuple[bool, str]:
        """``(transfer, reason)`` for ``local`` and ``remote`` under this comparison. With
        ``update=True`` a destination newer than its source is kept whatever the comparison
        (``"size"`` and ``"checksum"`` then decide only for a source that is not older)."""
        if self.compare == "mtime+size":
            return self._by_mtime(local, remote)
        if self.update and self._newer(local, remote) == self.dst_name:
            return False, f"{self.dst_name} newer — not overwritten (update=True)"
        if local.size != remote.size:
            return True, "size differs"
        if self.compare == "size":
            return False, "identical (same size)"
        if remote.crc32c is not None:
            if to_wire(crc32c_file(str(local.path))) != remote.crc32c:
                return True, "checksum differs"
            return False, "identical (crc32c)"
        if remote.sha256 is None:
            return True, "remote checksum unknown"
        if sha256_file(local.path) != remote.sha256.lower():
            return True, "checksum differs"
        return False, "identical (sha256)"

    def _newer(self, local: LocalEntry, remote: BlobInfo) -> str | None:
        """Which side is newer (``"local"`` or ``"remote"``), ``None`` when the times are
        equal: exactly for a recorded source mtime, within the tolerance for server time."""
        remote_ns, exact = self.remote_time(remote)
        if exact:
            equal = same_mtime(local.mtime_ns, remote_ns)
        else:
            equal = abs(local.mtime_ns - remote_ns) <= (DEFAULT_TOLERANCE + self.skew) * NS
        if equal:
            return None
        return "local" if local.mtime_ns > remote_ns else "remote"

    def _by_mtime(self, local: LocalEntry, remote: BlobInfo) -> tuple[bool, str]:
        newer = self._newer(local, remote)
        same_size = local.size == remote.size
        if newer is None:
            return (False, "identical") if same_size else (True, "size differs")
        suffix = "" if same_size else ", size differs"
        if newer == self.src_name:
            return True, f"{self.src_name} newer (mtime){suffix}"
        if self.update:
            return False, f"{self.dst_name} newer — not overwritten (update=True)"
        return True, f"{self.dst_name} newer (mtime){suffix} — mirrored"
