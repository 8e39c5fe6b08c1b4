"""Signed URLs: batch signing, anonymous GET/PUT through them, and every way they are refused."""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bucketry_api import ApiClient, ClientError
from bucketry_api.models import (
    BucketCreate,
    CredentialCreate,
    PublicAccess,
    SignedUrlRequest,
    TmpCredentialsRequest,
)
from bucketry_server.models import Token
from bucketry_server.security import hash_secret
from bucketry_server.timeutil import utcnow
from tests.support.live_server import LiveServer


@pytest.fixture
def bucket(alice: ApiClient, unique: str) -> str:
    b, _ = alice.buckets.create(body=BucketCreate(name=f"signed-{unique}"))
    return b.id


def sign(api: ApiClient, bucket: str, *items: dict[str, object]) -> list[str]:
    res, _ = api.blobs.sign(bucket, body=SignedUrlRequest.from_dict({"items": list(items)}))
    assert [r.key for r in res.results] == [i["key"] for i in items]
    urls = [r.url for r in res.results]
    assert all(u.startswith("/api/v1/signed/") for u in urls)
    return urls


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_signed_get_and_put(
    alice: ApiClient, anon: ApiClient, bucket: str, server: LiveServer
) -> None:
    alice.blobs.put(bucket, key="dir/a.bin", body=b"0123456789")
    get_url, put_url = sign(
        alice,
        bucket,
        {"key": "dir/a.bin"},
        {"key": "up/new.txt", "method": "PUT", "expires_in": 60},
    )
    res, _ = alice.blobs.sign(bucket, body=SignedUrlRequest.from_dict({"items": [{"key": "k"}]}))
    assert res.results[0].method == "GET"
    assert 3590 <= res.results[0].expires_at.timestamp() - time.time() <= 3610

    with anon.blobs.signed_get_stream(token_of(get_url)) as resp:
        assert resp.status_code == 200 and resp.read() == b"0123456789"
        assert resp.headers["Content-Length"] == "10" and resp.headers["ETag"]
    with anon.blobs.signed_get_stream(token_of(get_url), range_="bytes=-3") as resp:
        assert resp.status_code == 206 and resp.read() == b"789"
        assert resp.headers["Content-Range"] == "bytes 7-9/10"
    with pytest.raises(ClientError) as exc:
        anon.blobs.signed_get(token_of(get_url), range_="bytes=50-")
    assert exc.value.status_code == 416

    data = b"uploaded through a signed URL"
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    blob, resp = anon.blobs.signed_put(token_of(put_url), body=data, content_md5=md5)
    assert resp.status_code == 201 and blob.key == "up/new.txt" and blob.size == len(data)
    with alice.blobs.get_stream(bucket, key="up/new.txt") as r:
        assert r.read() == data
    # A bad checksum stores nothing: the previous version stays.
    with pytest.raises(ClientError) as exc:
        anon.blobs.signed_put(
            token_of(put_url), body=b"other", x_checksum_sha256=hashlib.sha256(b"x").hexdigest()
        )
    assert exc.value.status_code == 400 and exc.value.problem["code"] == "checksum_mismatch"
    with alice.blobs.get_stream(bucket, key="up/new.txt") as r:
        assert r.read() == data
    # The request's Content-Type is kept (raw httpx: the generated client sends octet-stream).
    r = httpx.put(server.url + put_url, content=b"hi", headers={"Content-Type": "text/plain"})
    assert r.status_code == 201 and r.json()["content_type"] == "text/plain"


def test_signed_url_refusals(
    alice: ApiClient, anon: ApiClient, bucket: str, server: LiveServer
) -> None:
    alice.blobs.put(bucket, key="a", body=b"data")
    get_url, put_url = sign(alice, bucket, {"key": "a"}, {"key": "a", "method": "PUT"})
    get_token, put_token = token_of(get_url), token_of(put_url)

    def code(call: object, *args: object, **kwargs: object) -> tuple[int, str]:
        with pytest.raises(ClientError) as exc:
            call(*args, **kwargs)  # type: ignore[operator]
        return exc.value.status_code, str(exc.value.problem.get("code"))

    # Wrong method: a GET token cannot upload, a PUT token cannot download.
    assert code(anon.blobs.signed_put, get_token, body=b"evil") == (403, "wrong_method")
    assert code(anon.blobs.signed_get, put_token) == (403, "wrong_method")
    # Tampered: another key in the payload, a flipped signature, garbage.
    body, mac = get_token.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).replace(
        b'"k":"a"', b'"k":"b"'
    )
    forged = base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + mac
    assert code(anon.blobs.signed_get, forged) == (403, "invalid_signature")
    flipped = get_token[:-2] + ("AA" if get_token[-2:] != "AA" else "BB")
    assert code(anon.blobs.signed_get, flipped) == (403, "invalid_signature")
    assert code(anon.blobs.signed_get, "garbage") == (403, "invalid_signature")
    # A token signed for another purpose (same key, other domain) is refused.
    other = server.state.signer.sign("other", {"m": "GET", "b": bucket, "k": "a", "e": 2**40})
    assert code(anon.blobs.signed_get, other) == (403, "invalid_signature")
    # Expired.
    old = server.state.signer.sign(
        "signed-url", {"m": "GET", "b": bucket, "k": "a", "e": int(time.time()) - 1}
    )
    assert code(anon.blobs.signed_get, old) == (403, "expired")
    old_put = server.state.signer.sign("signed-url", {"m": "PUT", "b": bucket, "k": "z", "e": 1})
    assert code(anon.blobs.signed_put, old_put, body=b"x") == (403, "expired")
    # Nothing was written by any of that.
    page, _ = alice.blobs.list(bucket)
    assert [b.key for b in page.results] == ["a"]
    # No token at all.
    r = httpx.get(server.api + "/signed/")
    assert r.status_code in (404, 405)
    # A bearer token is not needed, and a bad one does not matter either.
    r = httpx.get(server.url + get_url, headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 200 and r.content == b"data"
    # Missing blob, then deleted bucket: 404.
    (missing_url,) = sign(alice, bucket, {"key": "missing"})
    assert code(anon.blobs.signed_get, token_of(missing_url))[0] == 404
    alice.buckets.delete(bucket, force=True)
    assert code(anon.blobs.signed_get, get_token)[0] == 404
    assert code(anon.blobs.signed_put, put_token, body=b"x")[0] == 404


def test_signing_rights(
    alice: ApiClient, anon: ApiClient, bucket: str, server: LiveServer, users: dict[str, str]
) -> None:
    with ApiClient(server.url, token=users["bob"]) as bob:
        body = SignedUrlRequest.from_dict({"items": [{"key": "a"}]})
        with pytest.raises(ClientError) as exc:  # bob cannot see alice's private bucket
            bob.blobs.sign(bucket, body=body)
        assert exc.value.status_code == 404
        alice.buckets.set_public(bucket, body=PublicAccess(public=True))
        res, _ = bob.blobs.sign(bucket, body=body)  # reading a public bucket: fine
        assert res.results[0].method == "GET"
        put = SignedUrlRequest.from_dict({"items": [{"key": "a"}, {"key": "b", "method": "PUT"}]})
        with pytest.raises(ClientError) as exc:
            bob.blobs.sign(bucket, body=put)
        assert exc.value.status_code == 403
    with pytest.raises(ClientError) as exc:
        anon.blobs.sign(bucket, body=body)
    assert exc.value.status_code == 401
    for items in (
        [],
        [{"key": "a", "expires_in": 0}],
        [{"key": "a", "expires_in": 604801}],
        [{"key": "a", "method": "DELETE"}],
    ):
        with pytest.raises(ClientError) as exc:
            alice.blobs.sign(bucket, body=SignedUrlRequest.from_dict({"items": items}))
        assert exc.value.status_code == 422, items
    with pytest.raises(ClientError) as exc:
        alice.blobs.sign(bucket, body=SignedUrlRequest.from_dict({"items": [{"key": "../a"}]}))
    assert exc.value.status_code == 400 and exc.value.problem["code"] == "invalid_key"


def test_long_keys_sign(alice: ApiClient, anon: ApiClient, bucket: str) -> None:
    key = "😀" * 256  # 1024 bytes of 4-byte characters: the longest token there is
    alice.blobs.put(bucket, key=key, body=b"emoji")
    (url,) = sign(alice, bucket, {"key": key})
    with anon.blobs.signed_get_stream(token_of(url)) as resp:
        assert resp.read() == b"emoji"


def test_every_one_character_change_is_refused() -> None:
    """The last base64url character has spare bits; no other spelling of a token may verify."""
    from bucketry_server.security import Signer

    signer = Signer(b"k" * 32)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for key in ("a", "ab", "abc", "dir/file.bin"):
        token = signer.sign("signed-url", {"m": "GET", "b": "bkt", "k": key, "e": 2**40})
        assert signer.verify("signed-url", token) is not None
        body = token.split(".")[0]
        for i in (0, len(body) - 1, len(body) + 1, len(token) - 2, len(token) - 1):
            for ch in alphabet:
                if ch != token[i]:
                    changed = token[:i] + ch + token[i + 1 :]
                    assert signer.verify("signed-url", changed) is None, (key, i, ch)


def _status(call: object, *args: object, **kwargs: object) -> tuple[int, str]:
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)  # type: ignore[operator]
    return exc.value.status_code, str(exc.value.problem.get("code"))


def test_signed_url_dies_with_a_deleted_credential(
    alice: ApiClient, anon: ApiClient, bucket: str, server: LiveServer
) -> None:
    alice.blobs.put(bucket, key="a", body=b"data")
    cred, _ = alice.credentials.create(
        body=CredentialCreate(name=f"signer-{bucket}", buckets=[bucket])
    )
    with ApiClient(server.url, token=cred.token) as scoped:
        get_url, put_url = sign(scoped, bucket, {"key": "a"}, {"key": "b", "method": "PUT"})
    anon.blobs.signed_put(token_of(put_url), body=b"first")  # works while the credential lives
    with anon.blobs.signed_get_stream(token_of(get_url)) as resp:
        assert resp.read() == b"data"
    alice.credentials.delete(cred.id)
    assert _status(anon.blobs.signed_put, token_of(put_url), body=b"x") == (403, "revoked")
    assert _status(anon.blobs.signed_get, token_of(get_url)) == (403, "revoked")
    with alice.blobs.get_stream(bucket, key="b") as r:
        assert r.read() == b"first"


def test_signed_url_ends_with_its_temporary_credential(
    alice: ApiClient, anon: ApiClient, bucket: str, server: LiveServer
) -> None:
    alice.blobs.put(bucket, key="a", body=b"data")
    tmp, _ = alice.buckets.tmp_credentials(
        bucket, body=TmpCredentialsRequest(mode="READ_WRITE", expires_in=60)
    )
    week = 7 * 24 * 3600
    with ApiClient(server.url, token=tmp.token) as scoped:
        res, _ = scoped.blobs.sign(
            bucket,
            body=SignedUrlRequest.from_dict(
                {"items": [{"key": "a", "expires_in": week}, {"key": "c", "method": "PUT"}]}
            ),
        )
    # The URLs expire with the credential, not a week later.
    for r in res.results:
        assert r.expires_at <= tmp.expires_at
    get_token, put_token = (token_of(r.url) for r in res.results)
    with anon.blobs.signed_get_stream(get_token) as resp:
        assert resp.read() == b"data"
    with server.state.db.session() as s:  # the credential expires (without waiting a minute)
        row = s.scalars(select(Token).where(Token.secret_hash == hash_secret(tmp.token))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert _status(anon.blobs.signed_get, get_token) == (403, "revoked")
    assert _status(anon.blobs.signed_put, put_token, body=b"x") == (403, "revoked")


def test_signed_url_follows_the_bucket_turning_private(
    alice: ApiClient, anon: ApiClient, bucket: str, server: LiveServer, users: dict[str, str]
) -> None:
    alice.blobs.put(bucket, key="a", body=b"data")
    alice.buckets.set_public(bucket, body=PublicAccess(public=True))
    with ApiClient(server.url, token=users["bob"]) as bob:
        (bobs_url,) = sign(bob, bucket, {"key": "a"})  # bob reads only because it is public
    (alices_url,) = sign(alice, bucket, {"key": "a"})
    with anon.blobs.signed_get_stream(token_of(bobs_url)) as resp:
        assert resp.read() == b"data"
    alice.buckets.set_public(bucket, body=PublicAccess(public=False))
    assert _status(anon.blobs.signed_get, token_of(bobs_url)) == (403, "revoked")
    with anon.blobs.signed_get_stream(token_of(alices_url)) as resp:  # the owner's still works
        assert resp.read() == b"data"
    alice.buckets.set_public(bucket, body=PublicAccess(public=True))
    with anon.blobs.signed_get_stream(token_of(bobs_url)) as resp:
        assert resp.read() == b"data"


def test_signed_tokens_never_reach_the_logs(
    alice: ApiClient, anon: ApiClient, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    alice.blobs.put(bucket, key="a", body=b"data")
    (url,) = sign(alice, bucket, {"key": "a"})
    token = token_of(url)
    access = logging.getLogger("uvicorn.access")  # uvicorn's access log does not propagate
    access.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            with anon.blobs.signed_get_stream(token) as resp:
                assert resp.read() == b"data"
            with pytest.raises(ClientError):  # refused ones are not logged in full either
                anon.blobs.signed_get(token[:-4])
            deadline = time.monotonic() + 5
            while len(caplog.records) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)  # the access line is written when the response ends
    finally:
        access.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) >= 2 and all("/signed/<redacted>" in line for line in lines), lines
    assert not any(token[:20] in line for line in lines), lines
    assert token[:20] not in caplog.text


def test_signing_is_a_domain_service_without_a_request(
    alice: ApiClient, bucket: str, server: LiveServer, users: dict[str, str]
) -> None:
    """Minting, verifying and the revocation check run without any HTTP request (an operation
    can call them): ``accounts.signed_urls``, not the route module."""
    from bucketry_server.accounts import signed_urls
    from bucketry_server.accounts.principals import principal_by_token_id
    from bucketry_server.errors import Forbidden

    state = server.state
    with state.db.session() as s:
        tok = s.scalars(select(Token).where(Token.secret_hash == hash_secret(users["alice"]))).one()
        p = principal_by_token_id(s, tok.id)
    assert p is not None
    [grant] = signed_urls.mint(state, p, bucket, [signed_urls.SignRequest("x", "PUT", 60)])
    target = signed_urls.verify(state, grant.token, "PUT")
    assert (target.bucket_id, target.key, target.token_id) == (bucket, "x", tok.id)
    with pytest.raises(Forbidden):
        signed_urls.verify(state, grant.token, "GET")
    with state.db.session() as s:
        assert signed_urls.signed_bucket(s, target, "PUT").id == bucket
    gone = signed_urls.SignedTarget(bucket, "x", "tok_gone")
    with state.db.session() as s, pytest.raises(Forbidden) as exc:
        signed_urls.signed_bucket(s, gone, "GET")
    assert exc.value.code == "revoked"
