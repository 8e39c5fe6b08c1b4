"""Path, query and header parameters that several route modules share, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

BucketRef = Annotated[str, Path(min_length=1, max_length=100)]
PageSize = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(max_length=2048)]
ContentMD5 = Annotated[str | None, Header(alias="Content-MD5", max_length=64)]
ChecksumSHA256 = Annotated[str | None, Header(alias="X-Checksum-SHA256", max_length=64)]
