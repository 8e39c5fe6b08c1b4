"""The direct data path (``TransferOptions(direct=True)``): bytes go between this machine and
the provider of an imported bucket, not through the Bucketry server.

Downloads send ``GET …/blob?direct=true`` without following redirects: a 307 names the
provider's presigned URL, fetched with a bare HTTP client that sends neither the bearer token
nor any other Bucketry header (the URL carries its own authorization); a 2xx is the server
proxying as usual (a managed bucket, a provider that cannot sign). Uploads ask for a
provider-signed PUT URL (``POST …/signed-urls``, ``kind: provider``) and stream the file to it
in one PUT (Azure gets ``x-ms-blob-type: BlockBlob``); a server-signed URL means the provider
cannot sign, and the caller proxies instead. A file above :data:`DIRECT_PUT_LIMIT` (the
smallest single-PUT limit of the providers) is proxied as multipart.

What the provider stores directly carries no Bucketry metadata (the source mtime, user
metadata) and no server-side checksum check: the SDK checks the size it sent.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from bucketry_api.models import SignedUrlItem, SignedUrlRequest

from ..errors import IntegrityError, from_response, from_transport
from ..types import BlobInfo
from .bodies import FileSlice
from .folders import LocalFile, remote_one
from .retry import with_retries
from .single import FileChangedError, content_type_for

if TYPE_CHECKING:
    from ..types import Session
    from .context import TransferContext
    from .tracking import PartCounter

#: The largest file sent to a provider in one PUT (Azure's single Put Blob: 5000 MiB; S3
#: takes 5 GiB, GCS more); larger files go through the server as multipart.
DIRECT_PUT_LIMIT = 5000 * 1024 * 1024
#: Lifetime (seconds) of the provider PUT URLs this module asks for.
DIRECT_EXPIRES = 300


def _bare(client: Session) -> httpx.Client:
    """An HTTP client for provider URLs: the Bucketry client's timeouts, none of its
    headers (no bearer token), no redirects."""
    return httpx.Client(timeout=client.http.timeout, follow_redirects=False)


@contextlib.contextmanager
def _provider(client: Session, method: str, url: str, **kwargs: object) -> Iterator[httpx.Response]:
    """Send ``method`` to the provider URL and yield the unread response; a non-2xx answer
    raises the SDK error of its status, a connection failure ``APIConnectionError``."""
    try:
        with _bare(client) as bare, bare.stream(method, url, **kwargs) as response:  # type: ignore[arg-type]
            if not response.is_success:
                raise from_response(response)
            yield response
    except httpx.TransportError as exc:
        raise from_transport(exc) from exc


@contextlib.contextmanager
def open_direct(client: Session, ref: str, key: str, offset: int) -> Iterator[httpx.Response]:
    """The body of ``key`` from ``offset``: from the provider after the server's 307, or as
    the server proxies it. Raises the SDK error of a refusal (401/403/404…)."""
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    request = client.http.build_request(
        "GET", f"/buckets/{ref}/blob", params={"key": key, "direct": "true"}, headers=headers
    )
    try:
        response = client.http.send(request, stream=True, follow_redirects=False)
    except httpx.TransportError as exc:
        raise from_transport(exc) from exc
    try:
        if response.status_code == 307 and "location" in response.headers:
            location = response.headers["location"]
            response.close()
            with _provider(client, "GET", location, headers=headers) as provided:
                yield provided
            return
        if not response.is_success:
            raise from_response(response)
        yield response
    finally:
        response.close()


def provider_put_url(client: Session, ref: str, key: str) -> str | None:
    """A provider-signed PUT URL for ``key`` (valid :data:`DIRECT_EXPIRES` seconds), or None
    when the server would sign it itself (managed bucket, provider that cannot sign). Raises
    the SDK error of the request (403 without write access)."""
    body = SignedUrlRequest(items=[SignedUrlItem(key=key, method="PUT", expires_in=DIRECT_EXPIRES)])
    result = client.call(client.api.blobs.sign, ref, body=body).results[0]
    return result.url if result.kind == "provider" else None


def put_direct(
    ctx: TransferContext, f: LocalFile, key: str, counter: PartCounter
) -> BlobInfo | None:
    """Stream ``f`` to the provider in one PUT and return the stored blob's info, or None when
    the provider cannot take it directly (the caller proxies). Retries like a proxied PUT;
    raises ``FileChangedError`` if the file changes size, ``IntegrityError`` if the provider
    then holds another size."""
    if f.size > DIRECT_PUT_LIMIT:
        return None
    client = ctx.client
    url = provider_put_url(client, ctx.ref, key)
    if url is None:
        return None
    headers = {"Content-Type": content_type_for(ctx.options, f.path) or "application/octet-stream"}
    if "sig=" in url and "sv=" in url:  # an Azure SAS: Put Blob needs the blob type
        headers["x-ms-blob-type"] = "BlockBlob"
    fd = os.open(f.path, os.O_RDONLY)
    try:
        if os.fstat(fd).st_size != f.size:
            raise FileChangedError(f"{f.path} changed size while uploading")

        def attempt() -> None:
            counter.new_attempt()
            body = FileSlice(fd, 0, f.size, on_bytes=counter, cancel=ctx.cancel)
            sized = {**headers, "Content-Length": str(f.size)}
            with _provider(client, "PUT", url, content=body, headers=sized):
                pass

        with_retries(client, attempt)
    finally:
        os.close(fd)
    info = remote_one(ctx.target, key)
    if info is None or info.size != f.size:
        got = "nothing" if info is None else f"{info.size} bytes"
        raise IntegrityError(f"bkt://{ctx.ref}/{key}: sent {f.size} bytes, the provider has {got}")
    return info
