"""The one batched delete: many keys in requests of at most ``MAX_KEYS`` each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bucketry_api.models import BlobDeleteMany

from ..types import Session, opt

#: The server's limit of keys per ``blobs.delete_many`` request.
MAX_KEYS = 1000


@dataclass(frozen=True)
class Deleted:
    """The outcome for one key: ``deleted``, or ``error`` (``"not_found"`` when it was
    already gone; the failure's text when a whole request failed)."""

    key: str
    deleted: bool
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Gone now (deleted, or not there in the first place)."""
        return self.deleted or self.error == "not_found"


def delete_keys(
    session: Session,
    ref: str,
    keys: Sequence[str],
    *,
    dry_run: bool = False,
    strict: bool = False,
) -> Iterator[Deleted]:
    """Delete ``keys`` of ``ref`` in batches, yielding one :class:`Deleted` per key in order.
    A request that fails marks its keys with the error and the next batch still runs
    (``strict``: its error is raised instead)."""
    for start in range(0, len(keys), MAX_KEYS):
        batch = list(keys[start : start + MAX_KEYS])
        body = BlobDeleteMany(keys=batch, dry_run=dry_run)
        try:
            answer = session.call(session.api.blobs.delete_many, ref, body=body)
        except Exception as exc:
            if strict:
                raise
            why = f"{type(exc).__name__}: {str(exc) or type(exc).__name__}"
            yield from (Deleted(k, False, why) for k in batch)
            continue
        by_key = {r.key: r for r in answer.results}
        for k in batch:
            r = by_key.get(k)
            if r is None:  # the server answers only for keys it dealt with: counted deleted
                yield Deleted(k, True)
            else:
                yield Deleted(k, bool(r.deleted), opt(r.error))
