"""The tour's operations step (``scripts/demo_tour.py``): a whole prefix copied on the server
with ONE operation (no byte passes through this machine), waited on with a progress bar, the
copy checked blob by blob; what the server keeps of the ended operation (its record and its
``Idempotency-Key``: the same request repeated is answered with the same operation, for
``BUCKETRY_OPERATION_RETENTION_DAYS``); the copy removed again with a DELETE_PREFIX operation
(a dry run first); and an IMPORT_URL from a throwaway HTTP server on 127.0.0.1 with a
signed-looking query: a server with the default SSRF guard refuses loopback at creation (HTTP
400, nothing stored); one that allows it (``BUCKETRY_ALLOWED_NETWORKS``) fetches it, and the
sha256 and params are checked.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bucketry import BadRequestError, Bucket, Client, Operation

COPY_PREFIX = "backup/"


def _digests(bucket: Bucket, prefix: str) -> dict[str, tuple[int, str | None]]:
    """Relative key -> (size, sha256) of every blob under ``prefix``."""
    return {
        b.key[len(prefix) :]: (b.size, b.sha256)
        for b in bucket.list(prefix, recursive=True)
        if not b.is_dir
    }


def operations_step(
    client: Client,
    bucket: Bucket,
    prefix: str,
    files: dict[str, Path],
    say: Callable[[str], None],
    check: Callable[[object, str], None],
) -> None:
    """Copy ``prefix`` to ``backup/`` of the same bucket server-side, wait, verify, delete."""
    source, target = f"bkt://{bucket.name}/{prefix}", f"bkt://{bucket.name}/{COPY_PREFIX}"
    t0 = time.monotonic()
    key = f"tour-copy-{secrets.token_hex(4)}"
    op = client.operations.copy(source, target, idempotency_key=key)
    say(f"client.operations.copy({source!r}, {target!r}) -> {op.id}, {op.status} (HTTP 202)")
    op.wait(timeout=120)  # a progress bar on a TTY; raises OperationFailed if it fails
    took = time.monotonic() - t0
    result = op.result or {}
    local_bytes = sum(p.stat().st_size for p in files.values())
    say(
        f"op.wait() -> {op.status} in {took:.2f} s: copied {result.get('copied')} blobs, "
        f"{result.get('bytes', 0) / 2**20:.1f} MiB, skipped {result.get('skipped')}"
    )
    check(
        result == {"copied": len(files), "skipped": 0, "bytes": local_bytes},
        f"the copy moved every blob once: {result}",
    )
    original, copied = _digests(bucket, prefix), _digests(bucket, COPY_PREFIX)
    check(copied == original, "every copied blob has the size and sha256 of its source")
    say(f"all {len(copied)} blobs under {COPY_PREFIX} match their sources (size and sha256)")
    listed = client.operations.list(kind="copy", first=1).to_list()
    check([o.id for o in listed] == [op.id], f"the newest COPY is ours: {listed}")
    show_kept(client, op, source, target, key, say, check)

    dry = client.operations.delete(target, dry_run=True).wait(timeout=60)
    matched = (dry.result or {}).get("matched")
    check(matched == len(files), f"the dry run matches every copy: {dry.result}")
    check(len(_digests(bucket, COPY_PREFIX)) == len(files), "the dry run deleted nothing")
    gone = client.operations.delete(target).wait(timeout=60)
    say(
        f"client.operations.delete({target!r}): dry run matched {matched}, "
        f"then deleted {(gone.result or {}).get('deleted')}"
    )
    check(_digests(bucket, COPY_PREFIX) == {}, "the copy is gone again")
    import_url_step(client, bucket, say, check)


def show_kept(
    client: Client,
    op: Operation,
    source: str,
    target: str,
    key: str,
    say: Callable[[str], None],
    check: Callable[[object, str], None],
) -> None:
    """What the server keeps of an ended operation: the record itself (status, result,
    ``finished_at``) and its ``Idempotency-Key``, for ``BUCKETRY_OPERATION_RETENTION_DAYS``
    after ``finished_at`` (default 30; 0 keeps them forever). The same request repeated with
    the key is answered with the same operation, nothing copied again."""
    kept = client.operations.get(op.id)
    finished = kept.finished_at
    check(finished is not None and kept.status == "SUCCEEDED", f"ended: {kept.model}")
    assert finished is not None
    say(
        f"client.operations.get({op.id!r}) -> {kept.status}, finished_at "
        f"{finished.isoformat(timespec='seconds')}, result kept"
    )
    again = client.operations.copy(source, target, idempotency_key=key)
    check(again.id == op.id and again.result == op.result, f"same operation: {again.model}")
    say(
        f"the same copy repeated with Idempotency-Key {key!r} -> {again.id} again ("
        f"{again.status}, nothing copied twice); the server keeps an ended operation and its "
        "key for BUCKETRY_OPERATION_RETENTION_DAYS after finished_at (default 30 days), then "
        "deletes both"
    )


@contextmanager
def _loopback_source(body: bytes) -> Iterator[str]:
    """A one-file HTTP server on 127.0.0.1 (an ephemeral port); yields the file's URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/tour.bin"
    finally:
        httpd.shutdown()
        httpd.server_close()


def import_url_step(
    client: Client, bucket: Bucket, say: Callable[[str], None], check: Callable[[object, str], None]
) -> None:
    """IMPORT_URL from a loopback server: refused by the default SSRF guard, else fetched."""
    body = b"fetched by the server itself\n" * 4096
    blob = bucket.blob("imported/tour.bin")
    with _loopback_source(body) as url:
        signed = f"{url}?signature=tour-secret"
        try:
            op = client.operations.import_url(signed, blob)
        except BadRequestError as exc:
            say(f"client.operations.import_url(<127.0.0.1 URL>) -> HTTP 400: {exc}")
            check(not blob.exists(), "a refused import stores nothing")
            return
        check(op.params.get("url") == url, f"the recorded URL has no query: {op.params}")
        op.wait(timeout=60)
    result = op.result or {}
    check(result.get("sha256") == hashlib.sha256(body).hexdigest(), f"sha256: {result}")
    say(f"client.operations.import_url(<127.0.0.1 URL>) -> {op.status}, {result.get('size')} B")
    blob.delete()
