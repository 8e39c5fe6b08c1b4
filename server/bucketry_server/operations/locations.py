"""``bkt://bucket/key`` and ``bkt://bucket/prefix/`` as operation parameters.

An operation names blobs by URI (the SDK's and the CLI's form): the bucket (a name or an
``bkt_…`` id, resolved later with the caller's access rules) and the path inside it. Parsing
checks the form only; the bucket is looked up by the kind's validation.

    parse_location(value, field, folder=None) -> Location
    await open_bucket(state, principal, ref, write=...) -> (Bucket, BucketBackend)
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread

from ..accounts.access import bucket_for_read, bucket_for_write
from ..accounts.principals import Principal
from ..backends.base import BucketBackend
from ..backends.registry import backend_for
from ..errors import Invalid
from ..keys import key_error
from ..models import Bucket
from ..state import AppState

SCHEME = "bkt://"
#: Longest URI accepted (bucket name + key; keys are at most 1024 bytes).
MAX_URI_CHARS = 2048


@dataclass(frozen=True)
class Location:
    """A parsed ``bkt://`` URI: ``bucket`` (name or id) and ``path`` (a key, or a prefix that is
    empty or ends with ``/``)."""

    bucket: str
    path: str

    @property
    def folder(self) -> bool:
        """Whether the path is a prefix (empty or ending with ``/``) rather than one key."""
        return self.path == "" or self.path.endswith("/")

    def uri(self, bucket_name: str | None = None) -> str:
        """The URI again, with ``bucket_name`` instead of the bucket reference if given."""
        return f"{SCHEME}{bucket_name or self.bucket}/{self.path}"


def bad(field: str, detail: str, code: str = "invalid_parameter") -> Invalid:
    """``Invalid`` naming the body field ``field`` (a 400 problem with a per-field error)."""
    return Invalid(
        code,
        f"{field}: {detail}",
        errors=[{"loc": ["body", field], "msg": detail, "type": "value_error"}],
    )


def parse_location(value: object, field: str, *, folder: bool | None = None) -> Location:
    """Parse ``bkt://bucket/path`` given as the parameter ``field``.

    ``folder``: True requires a prefix (``bkt://b/`` or ``bkt://b/dir/``), False one key
    (``bkt://b/dir/file``), None takes either. The path follows the key rules (``keys``).
    Raises ``Invalid`` naming ``field`` for anything else (not a string, another scheme, no
    bucket, a bad key or prefix)."""
    if not isinstance(value, str):
        raise bad(field, "must be a string such as 'bkt://bucket/key'")
    if len(value) > MAX_URI_CHARS:
        raise bad(field, f"at most {MAX_URI_CHARS} characters")
    if not value.startswith(SCHEME):
        raise bad(field, "must be a bkt://bucket/key URI")
    bucket, slash, path = value[len(SCHEME) :].partition("/")
    if not bucket or "\x00" in bucket:
        raise bad(field, "names no bucket (bkt://bucket/key)")
    if not slash:
        path = ""
    location = Location(bucket, path)
    if folder is True and not location.folder:
        raise bad(field, "must name a folder: end it with '/' (bkt://bucket/prefix/)")
    if folder is False and location.folder:
        raise bad(field, "must name one blob (bkt://bucket/key), not a folder")
    body = path[:-1] if location.folder and path else path
    problem = key_error(body) if body else None
    if problem:
        raise bad(field, problem, "invalid_prefix" if location.folder else "invalid_key")
    return location


def refuse_unknown(params: dict[str, object], known: set[str], kind: str) -> None:
    """Raise ``Invalid`` naming the first parameter of ``params`` that ``kind`` does not take
    (a typo must not be silently ignored)."""
    for name in sorted(set(params) - known):
        raise bad(name, f"is not a parameter of {kind} (known: {', '.join(sorted(known))})")


async def open_bucket(
    state: AppState, principal: Principal, ref: str, *, write: bool
) -> tuple[Bucket, BucketBackend]:
    """Bucket ``ref`` (name or id) as ``principal`` may use it, and its backend. With
    ``write``, the caller must be allowed to write it and an imported bucket's credentials
    must allow WRITE. Raises ``NotFound``, ``Unauthenticated``, ``Forbidden``."""

    def lookup() -> Bucket:
        with state.db.session() as s:
            if write:
                return bucket_for_write(s, principal, ref)
            return bucket_for_read(s, principal, ref)

    bucket = await anyio.to_thread.run_sync(lookup)
    backend = backend_for(state, bucket)
    if write:
        backend.check_writable()
    return bucket, backend
