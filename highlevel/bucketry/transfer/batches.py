"""Small files in tar batches: one ``blobs_put_batch`` request for up to ``batch_files`` files
(``batch_bytes`` of data) instead of one PUT each.

What a file gets is what the per-file PUT gives it: the same metadata (source ``mtime`` first,
then the caller's), the same content type, the SHA-256 verified by the server, one
``FileResult`` (a member the server refuses fails alone, with the server's reason as an SDK
error of the status the single PUT would have had), progress counted when the server has
stored it. A batch is retried whole on 5xx and connection errors, its body rebuilt from the
files. A server without the route (404/405) turns the call to per-file PUTs; a batch the server
refuses as a whole (400/411/413/415/422) is sent again file by file.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import ApiError, error_class
from ..types import opt
from .context import MAX_BATCH_MEMBER, TransferContext, TransferOptions
from .folders import LocalFile, failed
from .report import FileResult
from .retry import with_retries
from .single import blob_metadata, content_type_for
from .tarstream import MemberReadError, TarBody, TarMember, tar_member_name_ok

if TYPE_CHECKING:
    from bucketry_api.models.blob_batch_item import BlobBatchItem
    from bucketry_api.models.blob_batch_result import BlobBatchResult

log = logging.getLogger("bucketry")

#: The server's limit on the ``prefix`` parameter.
MAX_PREFIX = 1024
#: Room left in a request for headers (the server takes at most 1 GiB a request).
MAX_REQUEST = 1024 * 1024 * 1024
HEADER_ALLOWANCE = 4096
#: Answers to a whole batch that say "not here": the call falls back to per-file PUTs.
NO_ROUTE = frozenset({404, 405})
#: Answers refusing a whole batch: its files are sent again one by one (each gets its own answer).
REFUSED = frozenset({400, 411, 413, 415, 422})
#: The status a per-file PUT gets for the reason a member failed.
MEMBER_STATUS = {
    "invalid_key": 400,
    "checksum_mismatch": 400,
    "unsupported_member": 400,
    "exists": 412,
    "too_large": 413,
    "duplicate": 409,
}

Item = tuple[LocalFile, str]  # a file and its key


def plan_batches(
    opts: TransferOptions, items: Sequence[Item], prefix: str
) -> tuple[list[list[int]], list[int]]:
    """Split ``items`` into batches (lists of indexes, in order) and the files that go by
    themselves: those above the batch threshold (or the multipart threshold), keys not under
    ``prefix`` or not encodable as member names, and batches of one."""
    if (
        not opts.batch
        or opts.direct
        or opts.if_none_match not in (None, "*")
        or len(prefix) > MAX_PREFIX
    ):
        return [], list(range(len(items)))
    limit = min(opts.batch_threshold, opts.multipart_threshold, MAX_BATCH_MEMBER)
    byte_budget = min(opts.batch_bytes, MAX_REQUEST // 2)
    batches: list[list[int]] = []
    singles: list[int] = []
    current: list[int] = []
    current_bytes = 0
    for index, (f, key) in enumerate(items):
        if (
            f.size > limit
            or not key.startswith(prefix)
            or not tar_member_name_ok(key[len(prefix) :])
        ):
            singles.append(index)
            continue
        if current and (len(current) >= opts.batch_files or current_bytes + f.size > byte_budget):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(index)
        current_bytes += f.size
    if current:
        batches.append(current)
    singles.extend(b[0] for b in batches if len(b) == 1)  # one file gains nothing
    return [b for b in batches if len(b) > 1], sorted(singles)


def tar_member(opts: TransferOptions, f: LocalFile, name: str) -> TarMember:
    """The member for ``f``, with the records a per-file PUT would send as headers."""
    return TarMember(
        path=f.path,
        name=name,
        size=f.size,
        mtime_ns=f.mtime_ns,
        metadata=json.dumps(blob_metadata(opts, f.mtime_ns), separators=(",", ":")),
        content_type=content_type_for(opts, f.path),
        checksum=opts.algorithm is not None,
    )


def send_batch(ctx: TransferContext, items: Sequence[Item], prefix: str) -> list[FileResult | None]:
    """Upload ``items`` (keys under ``prefix``) as one tar batch: a result per item, or
    ``None`` for the items to send by themselves instead (no batch route, batch refused)."""
    out: list[FileResult | None] = [None] * len(items)
    if ctx.batch_unsupported:
        return out
    started = time.monotonic()
    client, opts = ctx.client, ctx.options
    members = [tar_member(opts, f, key[len(prefix) :]) for f, key in items]
    pending = list(range(len(items)))
    while pending:
        body = TarBody([members[i] for i in pending], cancel=ctx.cancel)

        def attempt(body: TarBody = body) -> BlobBatchResult:
            return client.call(
                client.api.blobs.put_batch,
                ctx.ref,
                body=body,
                prefix=prefix,
                overwrite=opts.if_none_match != "*",
            )

        try:
            answer = with_retries(client, attempt)
        except MemberReadError as exc:  # that file alone fails; the rest go again without it
            index = pending.pop(exc.index)
            f, key = items[index]
            out[index] = failed(key, f.path, f.size, started, exc.cause)
            continue
        except ApiError as exc:
            if exc.status_code in NO_ROUTE:
                log.info("no batch upload on this server (%s); one request per file", exc)
                ctx.batch_unsupported = True
                return out
            if exc.status_code in REFUSED:
                log.info("batch of %d refused (%s); one request per file", len(pending), exc)
                return out
            return _all_failed(out, items, pending, started, exc)
        except Exception as exc:
            return _all_failed(out, items, pending, started, exc)
        _record(ctx, out, items, pending, answer, started)
        break
    return out


def _all_failed(
    out: list[FileResult | None],
    items: Sequence[Item],
    pending: list[int],
    started: float,
    exc: BaseException,
) -> list[FileResult | None]:
    for i in pending:
        f, key = items[i]
        out[i] = failed(key, f.path, f.size, started, exc)
    return out


def _record(
    ctx: TransferContext,
    out: list[FileResult | None],
    items: Sequence[Item],
    pending: list[int],
    answer: BlobBatchResult,
    started: float,
) -> None:
    results = list(answer.results)
    in_order = len(results) == len(pending) and all(
        r.key == items[i][1] for i, r in zip(pending, results, strict=True)
    )
    by_key = {} if in_order else {r.key: r for r in results}
    elapsed = time.monotonic() - started
    for n, i in enumerate(pending):
        f, key = items[i]
        item = results[n] if in_order else by_key.get(key)
        if item is None:
            out[i] = failed(key, f.path, f.size, started, ApiError(f"{key}: no result"))
        elif not item.ok:
            out[i] = failed(key, f.path, f.size, started, member_error(key, item))
        else:
            out[i] = FileResult(key, f.path, "uploaded", size=f.size, bytes=f.size, elapsed=elapsed)
            if ctx.progress is not None:
                ctx.progress.advance(f.size)
                ctx.progress.file_done()


def member_error(key: str, item: BlobBatchItem) -> ApiError:
    """The SDK error a per-file PUT would have raised for the reason the member failed."""
    code = opt(item.error) or "failed"
    status = MEMBER_STATUS.get(code, 400)
    return error_class(status)(
        f"{key!r}: {code}",
        status_code=status,
        problem={"status": status, "code": code, "detail": f"batch member refused: {code}"},
    )
