"""Buckets: the repo, ``client.buckets`` (create, import, get, list, count)."""

from __future__ import annotations

import json
from typing import Any, cast

from bucketry_api.models import BucketCreate

from ..pagination import Pager
from ..types import arg
from ._base import Repo
from .buckets import Bucket
from .imported import ImportOps


def _filters(**kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if value is None:
            continue
        if key == "filter":  # the generated layer names it filter_ (a builtin otherwise)
            out["filter_"] = value if isinstance(value, str) else json.dumps(value)
            continue
        out[key] = value
    return out


class BucketsRepo(ImportOps, Repo["Bucket"]):
    """``client.buckets``: create, import, get, list and count buckets."""

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        org: str | None = None,
        public: bool = False,
        exist_ok: bool = False,
    ) -> Bucket:
        """Create a managed bucket (``exist_ok=True`` returns the existing one instead of 409)."""
        from ..errors import ConflictError

        body = BucketCreate(name=name, description=description, org=org, public=public)
        try:
            model = self._session.call(self._session.api.buckets.create, body=body)
        except ConflictError:
            if not exist_ok:
                raise
            return self.get(name)
        return Bucket(self._session, model.id, model)

    def get(self, ref: str) -> Bucket:
        """Fetch a bucket by id or name (raises ``NotFoundError`` naming the bucket)."""
        return Bucket(self._session, ref).refresh()

    def __call__(self, ref: str) -> Bucket:
        """A lazy handle (no request): ``client.buckets("images").blob("a.png")``."""
        return Bucket(self._session, ref)

    def list(
        self,
        *,
        name: str | None = None,
        owner: str | None = None,
        org: str | None = None,
        provider: str | None = None,
        status: str | None = None,
        imported: bool | None = None,
        resource: str | None = None,
        credentials_type: str | None = None,
        search: str | None = None,
        sort: str | None = None,
        filter: str | dict[str, Any] | None = None,
        page_size: int = 100,
        first: int | None = None,
        skip: int = 0,
    ) -> Pager[Bucket]:
        """Lazily list the buckets you can see, as a :class:`~bucketry.Pager` of ``Bucket``.

        Filters: ``name``, ``owner``, ``org``; ``provider`` (``MANAGED``, ``AWS_S3``,
        ``S3_COMPATIBLE``, ``AZURE_BLOB``, ``GCS``, ``FILESYSTEM``); ``status`` (``AVAILABLE``,
        ``NOT_FOUND``, ``FORBIDDEN``, ``UNREACHABLE``, ``CHECKING``: the last recorded probe);
        ``imported`` (``True``: only imported buckets, ``False``: only managed ones);
        ``resource`` (a case-insensitive substring of the provider's bucket name);
        ``credentials_type`` (the kind of stored credentials: ``KEY_SECRET_KEY_PAIR``,
        ``ACCOUNT_NAME_TOKEN_PAIR``, ``CONNECTION_STRING``, ``SAS_TOKEN``, ``KEY_FILE_PATH``,
        ``ANONYMOUS_ACCESS``); ``search`` (a case-insensitive substring of name or
        description); ``filter``: a JSON Logic expression (dict or string) over the listed
        fields. ``sort``: ``name``, ``created_at``, ``updated_at``, ``provider``, ``owner``,
        ``id`` or ``resource``, ``-`` prefixed for descending. ``page_size``, ``first`` and
        ``skip`` as in
        :class:`~bucketry.Pager`; ``.count()`` counts on the server. A bad filter raises
        ``BadRequestError`` naming it (on iteration: nothing is fetched before)."""
        session = self._session
        filters = _filters(
            name=name,
            owner=owner,
            org=org,
            provider=provider,
            status=status,
            imported=imported,
            resource=resource,
            credentials_type=credentials_type,
            search=search,
            filter=filter,
        )
        return self._pager(
            session.api.buckets.list,
            lambda m: Bucket(session, m.id, m),
            sort=arg(cast(Any, sort)),
            page_size=page_size,
            first=first,
            skip=skip,
            count=lambda: session.call(session.api.buckets.count, **filters).count,
            **filters,
        )

    def count(
        self,
        *,
        name: str | None = None,
        owner: str | None = None,
        org: str | None = None,
        provider: str | None = None,
        status: str | None = None,
        imported: bool | None = None,
        resource: str | None = None,
        credentials_type: str | None = None,
        search: str | None = None,
        filter: str | dict[str, Any] | None = None,
    ) -> int:
        """How many buckets match the filters of :meth:`list` (one request). Raises
        ``BadRequestError`` naming a bad filter."""
        filters = _filters(
            name=name,
            owner=owner,
            org=org,
            provider=provider,
            status=status,
            imported=imported,
            resource=resource,
            credentials_type=credentials_type,
            search=search,
            filter=filter,
        )
        return self._session.call(self._session.api.buckets.count, **filters).count
