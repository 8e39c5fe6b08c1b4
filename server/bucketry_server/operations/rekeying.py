"""Re-sealing the source URLs of pending IMPORT_URL operations after a key rotation (part of
``bucketry-server rekey``, beside :func:`..buckets.rekey.rekey` for bucket credentials).

An IMPORT_URL operation keeps its full source URL only sealed with the key ring
(``params["_url_sealed"]``, bound to the destination bucket: :mod:`.url_import`). One still
PENDING or RUNNING whose URL stays sealed under a key that then leaves the ring would fail
``url_unreadable``; :func:`rekey_import_urls` re-seals those URLs under the first key. Like the
buckets' rekey it works in short batches (keyset order by id), is idempotent (URLs already
under the first key are left as they are) and safe beside a running server: a row is replaced
only while it is still active and still holds the sealed value that was read. Ended
operations are left alone (nothing will open their URL again); URLs no key opens are
reported by operation id.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..buckets.rekey import REKEY_BATCH, RekeyReport, reseal
from ..db import Database
from ..keyring import KeyRing
from ..models import Operation
from .leases import ACTIVE
from .url_import import SEAL_PREFIX

KIND = "IMPORT_URL"


def rekey_import_urls(db: Database, ring: KeyRing, batch: int = REKEY_BATCH) -> RekeyReport:
    """Re-seal the source URL of every PENDING or RUNNING IMPORT_URL operation under
    ``ring``'s first key, ``batch`` operations per transaction. Returns the counts (see
    :class:`..buckets.rekey.RekeyReport`; ``unreadable`` holds operation ids); never raises
    for an unreadable URL. An operation that ended or changed between the read and the write
    is not touched (counted as ``changed``)."""
    report = RekeyReport()
    after = ""
    sealed_url = Operation.params["_url_sealed"].as_string()
    while True:
        with db.session() as s:
            rows = s.execute(
                select(Operation.id, Operation.params)
                .where(Operation.id > after, Operation.kind == KIND, Operation.status.in_(ACTIVE))
                .order_by(Operation.id)
                .limit(batch)
            ).all()
            for op_id, params in rows:
                sealed = params.get("_url_sealed")
                if not isinstance(sealed, str):  # recorded before URLs were sealed
                    continue
                binding = SEAL_PREFIX + str(params.get("bucket_id"))
                new = reseal(ring, binding, sealed, report, op_id)
                if new is None:
                    continue
                done = s.execute(
                    update(Operation)
                    .where(
                        Operation.id == op_id,
                        Operation.status.in_(ACTIVE),
                        sealed_url == sealed,
                    )
                    .values(params={**params, "_url_sealed": new})
                    .execution_options(synchronize_session=False)
                )
                report.count_write(done)
        if len(rows) < batch:
            return report
        after = rows[-1][0]
