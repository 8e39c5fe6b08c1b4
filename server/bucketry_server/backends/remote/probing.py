"""Probing an imported bucket: ask the provider within a bound, record the answer."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.to_thread
from sqlalchemy import update

from ...errors import DomainError
from ...models import Bucket
from ...state import AppState
from ...timeutil import utcnow
from ..base import Probe
from .client import ObjectClient, ProbeResult, ProviderError

#: A probe answers within this many seconds (UNREACHABLE otherwise), whatever the provider does.
PROBE_BOUND = 12.0


def recorded_probe(bucket: Bucket) -> Probe:
    """What the bucket row recorded at its last probe."""
    return Probe(
        bucket.status or "CHECKING",
        list(bucket.actions or []),
        bucket.last_checked_at,
    )


def _ask(get_client: Callable[[], ObjectClient]) -> ProbeResult:
    try:
        return get_client().probe()
    except DomainError as exc:  # e.g. the endpoint now resolves to a refused address
        return ProbeResult("UNREACHABLE", (), exc.detail or exc.code)
    except ProviderError as exc:  # e.g. the client refused incomplete credentials
        return ProbeResult("UNREACHABLE", (), str(exc))  # secret-free by the seam's contract
    except Exception as exc:  # a client bug must not become a 500 on /status
        return ProbeResult("UNREACHABLE", (), f"probe failed ({exc.__class__.__name__})")


async def ask_provider(
    get_client: Callable[[], ObjectClient], bound: float | None = None
) -> ProbeResult:
    """The provider's answer, or UNREACHABLE if none came within ``bound`` seconds (default
    :data:`PROBE_BOUND`; the worker thread is abandoned, the client's own timeouts end it)."""
    bound = PROBE_BOUND if bound is None else bound
    result: ProbeResult | None = None
    with anyio.move_on_after(bound):
        result = await anyio.to_thread.run_sync(_ask, get_client, abandon_on_cancel=True)
    if result is None:
        return ProbeResult("UNREACHABLE", (), f"no answer within {bound:g} s")
    return result


def record_probe(state: AppState, bucket_id: str, probe: Probe) -> None:
    """Store a probe's status, actions and time on the bucket row."""
    with state.db.session() as s:
        s.execute(
            update(Bucket)
            .where(Bucket.id == bucket_id)
            .values(
                status=probe.status, actions=list(probe.actions), last_checked_at=probe.checked_at
            )
        )


async def probe_bucket(
    state: AppState, bucket_id: str, get_client: Callable[[], ObjectClient]
) -> Probe:
    """Probe now, record the answer on the bucket and return it."""
    result = await ask_provider(get_client)
    probe = Probe(result.status, list(result.actions), utcnow(), result.detail)
    await anyio.to_thread.run_sync(record_probe, state, bucket_id, probe)
    return probe
