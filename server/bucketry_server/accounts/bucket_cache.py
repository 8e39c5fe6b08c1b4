"""Read and write authorizations of managed buckets, kept for a couple of seconds: a burst of
small PUTs (a folder, fsspec) then costs one bucket lookup instead of one database round trip
per PUT, and a burst of GETs, HEADs or listings likewise (each then answers after one worker
thread hop, the blob's own lookup, instead of two).

An entry of :data:`WRITABLE` maps (principal, ``{bucket}`` reference) to the managed bucket that
:func:`.access.bucket_for_write` granted; :data:`READABLE` the same for
:func:`.access.bucket_for_read`. Entries are dropped:

* in this process, as soon as any session of it flushes a new, changed or deleted ``Bucket``
  (rename, transfer, public toggle, creation of a bucket that could take the name, deletion),
  and again when that session commits;
* everywhere (another worker of ``serve --workers N`` or another instance), after :data:`TTL`
  seconds at most: the same bound, shorter, as :class:`.principals.PrincipalCache` gives a
  revoked token.

A principal whose rights change is a different key (its organizations, scope and read-only flag
are part of it). Only managed buckets are kept (an imported bucket's row carries credentials and a
probe status that change without a flush). A bucket deleted meanwhile still fails the commit of
the write (the commit locks the bucket row and answers 404 when it is gone).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import Bucket
from .principals import Principal

#: Seconds an entry may be used (across processes, the staleness bound).
TTL = 2.0
#: Entries kept at most (the whole cache is dropped when full).
SIZE = 4096


class BucketCache:
    """Thread-safe map (principal, reference) -> managed :class:`Bucket` granted (for reading
    or writing, one cache each)."""

    def __init__(self, ttl: float = TTL, size: int = SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[tuple[Principal, str], tuple[float, Bucket]] = {}
        self._lock = threading.Lock()

    def get(self, p: Principal, ref: str) -> Bucket | None:
        """The bucket ``p`` was last granted this cache's access to as ``ref``, if still fresh."""
        with self._lock:
            hit = self._entries.get((p, ref))
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, p: Principal, ref: str, bucket: Bucket) -> None:
        """Remember that ``p`` may use ``bucket`` (reached as ``ref``) with this cache's access;
        imported buckets are not kept."""
        if (bucket.provider or "MANAGED") != "MANAGED":
            return
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[(p, ref)] = (time.monotonic() + self.ttl, bucket)

    def clear(self) -> None:
        """Forget every entry (a bucket changed in this process)."""
        with self._lock:
            self._entries.clear()


#: Write authorizations (PUT, multipart).
WRITABLE = BucketCache()
#: Read authorizations (blob GET/HEAD, listings, zip reads).
READABLE = BucketCache()


def forget_all() -> None:
    """Drop every read and write authorization of this process (a bucket changed)."""
    WRITABLE.clear()
    READABLE.clear()


_CHANGED = "bucketry.buckets_changed"


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if any(isinstance(o, Bucket) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True
        forget_all()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_all()  # an entry made from the old row between flush and commit


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
