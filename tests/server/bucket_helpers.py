"""Helpers shared by the bucket and credential tests (not a test module)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bucketry_api import ApiClient
from bucketry_api.errors import ClientError
from tests.support.live_server import LiveServer

Clients = Callable[[str | None], ApiClient]


@contextmanager
def client_factory(server: LiveServer, users: dict[str, str]) -> Iterator[Clients]:
    """``client("alice")`` → an ApiClient with alice's token; ``client(None)`` is anonymous;
    any other string is used as a raw token."""
    opened: list[ApiClient] = []

    def make(who: str | None) -> ApiClient:
        token = users.get(who, who) if who is not None else None
        api = ApiClient(server.url, token=token)
        opened.append(api)
        return api

    yield make
    for api in opened:
        api.close()


@contextmanager
def fails(status: int, code: str | None = None) -> Iterator[None]:
    with pytest.raises(ClientError) as info:
        yield
    err = info.value
    assert err.status_code == status, err.problem
    if code is not None:
        assert err.code == code, err.problem
    assert err.request_id
    assert err.response is not None
    assert err.response.headers["content-type"].startswith("application/problem+json")


def put_blob(
    api: ApiClient, bucket: str, key: str, data: bytes, content_type: str | None = None
) -> None:
    kwargs: dict[str, Any] = {"content_type": content_type} if content_type else {}
    api.blobs.put(bucket, key=key, body=data, **kwargs)
