"""The baseline for server benchmarks: a bare ASGI app on the same uvicorn settings as the
Bucketry server. ``PUT /sink`` streams the body into a file (write + fsync, no hashing, no
database); ``GET /source`` streams that file back in 1 MiB blocks. Anything the real server adds
(auth, hashing, the blob table, the atomic commit) shows up as the ratio against this."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

DATA = Path(os.environ.get("RAW_DATA", "/tmp/bucketry-raw"))


async def sink(request: Request) -> Response:
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = DATA / "blob.tmp"
    size = 0
    with open(tmp, "wb") as f:
        async for chunk in request.stream():
            f.write(chunk)
            size += len(chunk)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, DATA / "blob")
    return Response(str(size), status_code=201)


class BlockFileResponse(FileResponse):
    chunk_size = 1 << 20


async def source(request: Request) -> Response:
    return BlockFileResponse(DATA / "blob", media_type="application/octet-stream")


app = Starlette(routes=[Route("/sink", sink, methods=["PUT"]), Route("/source", source)])

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        http="httptools",
        loop="uvloop",
    )
