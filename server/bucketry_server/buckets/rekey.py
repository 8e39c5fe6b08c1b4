"""Re-encrypting imported buckets' stored credentials after a key rotation (``bucketry-server
rekey``), without a request or a running server.

A key is rotated by putting a new key first in the ring (the first encrypts, all decrypt);
:func:`rekey` then re-seals every bucket's credentials under that first key, so the old key can
leave the ring. It works in batches of buckets (one short transaction each, keyset order by
id), is idempotent (values already under the first key are left as they are) and safe beside a
running server: a value is replaced only if it is still the one that was read, so a
credential replacement (``PATCH``) made meanwhile wins. Values no key of the ring opens are
left alone and reported by bucket id. (The sealed source URLs of pending IMPORT_URL
operations are re-sealed the same way by :mod:`..operations.rekeying`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from ..db import Database
from ..keyring import KeyRing, SealedUnreadable
from ..models import Bucket

#: Buckets per transaction.
REKEY_BATCH = 200


@dataclass
class RekeyReport:
    """What :func:`rekey` did: buckets re-sealed under the first key, already under it,
    changed by someone else meanwhile (left to that writer; a second run covers them), and the
    ids of those whose credentials no key of the ring opens (left unchanged)."""

    resealed: int = 0
    current: int = 0
    changed: int = 0
    unreadable: list[str] = field(default_factory=list)

    def count_write(self, result: object) -> None:
        """Count one compare-and-set ``UPDATE``'s result: ``resealed`` if it changed its row,
        else ``changed`` (someone else changed the row between the read and the write)."""
        if getattr(result, "rowcount", 1) == 1:
            self.resealed += 1
        else:
            self.changed += 1


def reseal(ring: KeyRing, binding: str, sealed: str, report: RekeyReport, label: str) -> str | None:
    """The value ``sealed`` (for ``binding``) re-sealed under the first key, or None to leave
    it: already under that key (counted ``current``) or opened by no key of the ring (``label``
    added to ``unreadable``). Never raises for an unreadable value."""
    try:
        if ring.key_id_of(sealed) == ring.primary_id:
            ring.open(binding, sealed)
            report.current += 1
            return None
        return ring.reencrypt(binding, sealed)
    except SealedUnreadable:
        report.unreadable.append(label)
        return None


def rekey(db: Database, ring: KeyRing, batch: int = REKEY_BATCH) -> RekeyReport:
    """Re-seal every bucket's stored credentials under ``ring``'s first key, ``batch`` buckets
    per transaction. Returns the counts (see :class:`RekeyReport`); never raises for an
    unreadable value (it is reported and left alone). A value changed by someone else between
    the read and the write is not overwritten (counted as ``changed``)."""
    report = RekeyReport()
    after = ""
    while True:
        with db.session() as s:
            rows = s.execute(
                select(Bucket.id, Bucket.credentials_enc)
                .where(Bucket.id > after, Bucket.credentials_enc.is_not(None))
                .order_by(Bucket.id)
                .limit(batch)
            ).all()
            for bucket_id, sealed in rows:
                new = None if sealed is None else reseal(ring, bucket_id, sealed, report, bucket_id)
                if new is None:
                    continue
                done = s.execute(
                    update(Bucket)
                    .where(Bucket.id == bucket_id, Bucket.credentials_enc == sealed)
                    .values(credentials_enc=new)
                )
                report.count_write(done)
        if len(rows) < batch:
            return report
        after = rows[-1][0]
