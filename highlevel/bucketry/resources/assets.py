"""Assets of a project (``project.assets``): lazy filtered listings with a progress bar sized by
the count, counts, DataFrames, bulk appends (local files uploaded first), bulk mutations, and
the labels of one asset (``asset.labels``)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack, cast

from bucketry_api.models import (
    AssetListed,
    AssetSelection,
    AssetUpdate,
    AssetUpdateItem,
    AssetUpdateMany,
    LabelCreate,
)

from ..pagination import Pager
from ..progress import NullReporter, ProgressCallback, resolve_progress
from ..types import Session, arg, model_dict
from ._base import Entity, Repo
from .asset_filters import LABEL_TYPES, AssetFilters, matches_nothing, query_params
from .asset_media import (
    AppendResult,
    BulkOutcome,
    ItemResult,
    append_assets,
    checked_fields,
    download_media,
)

if TYPE_CHECKING:
    import pandas

    from ..transfer.options import TransferOptions
    from .buckets import Bucket

__all__ = ["Asset", "AssetPager", "AssetsRepo", "Label", "LabelsRepo"]

#: The most items one bulk request carries (the server's ``maxItems``).
BATCH = 1000
#: Size of the first request of a prefetched listing (time to the first assets).
FIRST_PAGE_SIZE = 100


class Label(Entity[dict[str, Any]]):
    """One label of an asset: ``id``, ``asset_id``, ``author``, ``label_type``,
    ``json_response``, ``consensus_mark``, ``honeypot_mark``, ``seconds_to_label``,
    ``created_at`` (read them as attributes or with ``label["field"]``)."""

    _fields = ("id", "label_type", "author")

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("_model") or {}
        if name in data:
            return data[name]
        raise AttributeError(name)

    def __getitem__(self, name: str) -> Any:
        return self.model[name]

    def to_dict(self) -> dict[str, Any]:
        """The label as a plain dict."""
        return dict(self.model)


class Asset(Entity[dict[str, Any]]):
    """One asset: every field of the API's ``Asset`` that the listing selected (``fields=``),
    as attributes (``asset.status``) or items (``asset["json_metadata"]``). Reading a field
    that was not selected raises ``AttributeError``/``KeyError`` naming it; ``refresh()``
    reads every field. ``local_media_path`` is set by ``list(download_media=True)``."""

    _fields = ("id", "external_id", "status")

    def __init__(self, session: Session, data: dict[str, Any]) -> None:
        super().__init__(session, data)
        self.local_media_path: Path | None = None

    def _fetch(self) -> dict[str, Any]:
        return model_dict(self._session.call(self._session.api.assets.get, self.model["id"]))

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("_model") or {}
        if name in data:
            return data[name]
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"asset field {name!r} was not selected (fields=...) or is unknown")

    def __getitem__(self, name: str) -> Any:
        return self.model[name]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={self.model[k]!r}" for k in self._fields if k in self.model)
        return f"Asset({shown})"

    def to_dict(self) -> dict[str, Any]:
        """The asset as a plain dict (with ``local_media_path`` once media were downloaded)."""
        data = dict(self.model)
        if self.local_media_path is not None:
            data["local_media_path"] = str(self.local_media_path)
        return data

    @property
    def labels(self) -> LabelsRepo:
        """This asset's labels: ``list(label_type_in=...)``, ``create(json_response, ...)``."""
        return LabelsRepo(self._session, self.model["id"])

    def update(self, **changes: Any) -> Asset:
        """Change fields of this asset (``status``, ``priority``, ``json_metadata``,
        ``external_id``, ``is_honeypot``, ``to_be_labeled_by``...); returns ``self`` with
        every field read back. Raises ``UnprocessableEntityError`` for a refused value or a
        forbidden status change, ``ConflictError`` for an external id already used,
        ``TypeError`` for an unknown field (before any request)."""
        body = AssetUpdate.from_dict(checked_fields(AssetUpdate, changes, "asset.update"))
        model = self._session.call(self._session.api.assets.update, self.model["id"], body=body)
        self._model = model_dict(model)
        return self


class LabelsRepo(Repo[Label]):
    """The labels of one asset (``asset.labels``)."""

    def __init__(self, session: Session, asset_id: str) -> None:
        super().__init__(session)
        self.asset_id = asset_id

    def list(
        self, *, label_type_in: Sequence[str] | None = None, page_size: int = 100
    ) -> Pager[Label]:
        """The asset's labels, oldest first, lazily (``label_type_in``: only these types).
        Raises ``ValueError`` for an unknown label type, ``NotFoundError`` for a gone asset."""
        types = None
        if label_type_in is not None:
            bad = [t for t in label_type_in if t not in LABEL_TYPES]
            if bad:
                raise ValueError(f"label_type_in: unknown label type(s) {bad}")
            types = builtins.list(label_type_in)
        session = self._session
        return self._pager(
            session.api.assets.labels_list,
            lambda m: Label(session, model_dict(m)),
            self.asset_id,
            label_type_in=arg(types),
            page_size=page_size,
        )

    def create(
        self,
        json_response: dict[str, Any],
        *,
        label_type: str = "DEFAULT",
        seconds_to_label: float | None = None,
        consensus_mark: float | None = None,
        honeypot_mark: float | None = None,
    ) -> Label:
        """Add a label authored by the caller (``label_type``: ``DEFAULT``, ``REVIEW``,
        ``PREDICTION``, ``INFERENCE`` or ``AUTOSAVE``); the asset's status follows the
        documented state machine. Raises ``ValueError`` for an unknown type,
        ``UnprocessableEntityError`` for a refused value."""
        if label_type not in LABEL_TYPES:
            raise ValueError(f"label_type must be one of {', '.join(LABEL_TYPES)}")
        data: dict[str, Any] = {"json_response": json_response, "label_type": label_type}
        for key, value in (
            ("seconds_to_label", seconds_to_label),
            ("consensus_mark", consensus_mark),
            ("honeypot_mark", honeypot_mark),
        ):
            if value is not None:
                data[key] = value
        model = self._session.call(
            self._session.api.assets.labels_create, self.asset_id, body=LabelCreate.from_dict(data)
        )
        return Label(self._session, model_dict(model))


class AssetPager(Pager[Asset]):
    """A lazy listing of assets; while iterated on a terminal (or with ``progress=True``) a
    progress bar counts the assets against the total the server counts first."""

    def __init__(
        self,
        fetch: Callable[[str | None, int], tuple[builtins.list[Asset], str | None]],
        *,
        reporter_of: Callable[[], Any],
        title: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(fetch, **kwargs)
        self._reporter_of = reporter_of
        self._title = title

    def pages(self) -> Iterator[builtins.list[Asset]]:
        """Yield the assets page by page, advancing the progress bar (when on)."""
        reporter = self._reporter_of()
        if isinstance(reporter, NullReporter):
            yield from super().pages()
            return
        total = self.count() - self.skip
        if self.first is not None:
            total = min(total, self.first)
        reporter.start("list", self._title, max(total, 0), "asset")
        try:
            for page in super().pages():
                reporter.advance("list", self._title, len(page), "asset")
                yield page
        except BaseException as exc:
            reporter.fail("list", self._title, f"{type(exc).__name__}: {exc}")
            raise
        reporter.finish("list", self._title)


class AssetsRepo(Repo[Asset]):
    """``project.assets``: list, count, get, append, update, delete, review, queue."""

    def __init__(self, session: Session, project_id: str) -> None:
        super().__init__(session)
        self.project_id = project_id

    def list(
        self,
        *,
        fields: Sequence[str] | None = None,
        page_size: int = 1000,
        first: int | None = None,
        skip: int = 0,
        progress: bool | ProgressCallback | None = None,
        download_media: bool = False,
        local_media_dir: str | Path | None = None,
        options: TransferOptions | None = None,
        prefetch: bool = True,
        **filters: Unpack[AssetFilters],
    ) -> AssetPager:
        """Lazily list the assets matching ``filters`` (every filter of
        :class:`~bucketry.resources.asset_filters.AssetFilters`, combined with AND), oldest
        first, in keyset cursor pages of ``page_size`` (at most 1000, the default; with
        ``prefetch`` the first page holds at most ``FIRST_PAGE_SIZE`` = 100 assets, so the
        first ones arrive quickly while full pages follow). ``fields``: only
        these fields (``"external_id"``, ``"labels.author"``, ``"latest_label"``...; default
        every field of ``Asset``). ``first``/``skip`` as in :class:`~bucketry.Pager`;
        ``prefetch`` (on by default; for listings without ``first``/``skip``) fetches the
        next page while you work through one. ``progress``: a bar sized by the count (default: on a terminal); a callback gets
        ``list`` events in ``asset`` units.

        ``download_media=True`` downloads each asset's ``bkt://`` content through the
        transfer engine (streamed, verified, ``options`` of
        :class:`~bucketry.TransferOptions`) into ``local_media_dir`` (default: the current
        folder) as ``BUCKET/KEY`` (``BUCKET`` as the content names it: the bucket id for
        appended files and connections) and sets ``asset.local_media_path``; other contents
        (URLs, ``json_content``) are left alone. Raises ``TypeError``/``ValueError`` for a
        bad filter before any request; ``BadRequestError`` naming a filter the server
        refuses (on iteration: nothing is fetched before)."""
        params = query_params(dict(filters))
        session = self._session
        selected = builtins.list(fields) if fields is not None else None
        if download_media and selected is not None and "content" not in selected:
            selected = [*selected, "content"]
        if selected is not None and "id" not in selected:
            selected = ["id", *selected]
        media_dir = Path(local_media_dir) if local_media_dir is not None else Path.cwd()

        def fetch(cursor: str | None, size: int) -> tuple[builtins.list[Asset], str | None]:
            if matches_nothing(params):
                return [], None
            page = session.call(
                session.api.assets.list,
                self.project_id,
                **params,
                fields=arg(cast(Any, selected)),  # checked by the server: 400 bad_field
                page_size=size,
                cursor=arg(cursor),
            )
            assets = [Asset(session, _listed(m)) for m in page.results]
            if download_media:
                download_media_of(session, assets, media_dir, options)
            return assets, page.next_cursor if isinstance(page.next_cursor, str) else None

        return AssetPager(
            fetch,
            reporter_of=lambda: resolve_progress(progress, session.progress),
            title=self.project_id,
            page_size=page_size,
            first=first,
            skip=skip,
            count=lambda: self.count(**filters),
            prefetch=prefetch,
            first_page_size=min(page_size, FIRST_PAGE_SIZE),
        )

    def count(self, **filters: Unpack[AssetFilters]) -> int:
        """How many assets match ``filters`` (those of :meth:`list`; one request). Raises
        ``TypeError``/``ValueError`` for a bad filter, ``BadRequestError`` naming a filter
        the server refuses."""
        params = query_params(dict(filters))
        if matches_nothing(params):
            return 0
        return self._session.call(self._session.api.assets.count, self.project_id, **params).count

    def to_pandas(
        self, *, fields: Sequence[str] | None = None, **filters: Unpack[AssetFilters]
    ) -> pandas.DataFrame:
        """The matching assets as a DataFrame, one row per asset and one column per selected
        field (needs the ``pandas`` extra: ``ImportError`` saying how to install it)."""
        return self.list(fields=fields, **filters).to_pandas()

    def get(self, asset_id: str) -> Asset:
        """One asset with every field (raises ``NotFoundError`` naming it)."""
        return Asset(self._session, {"id": asset_id}).refresh()

    def append(
        self,
        items: Iterable[dict[str, Any] | str | Path] | None = None,
        *,
        content: Sequence[str | Path] | None = None,
        external_id: Sequence[str] | None = None,
        json_content: Sequence[dict[str, Any]] | None = None,
        json_metadata: Sequence[dict[str, Any]] | None = None,
        is_honeypot: Sequence[bool] | None = None,
        bucket: str | Bucket | None = None,
        prefix: str = "",
        progress: bool | ProgressCallback | None = None,
        options: TransferOptions | None = None,
    ) -> AppendResult:
        """Append assets and report each one (``result.duplicates``: external ids already
        used, never silently dropped; ``result.failed``; ``result.ids``).

        Give ``items`` (each a dict of ``content``/``json_content``/``external_id``/
        ``json_metadata``/``status``/``priority``/``is_honeypot``/``to_be_labeled_by``, or
        just a content: an ``http(s)://`` URL, a ``bkt://BUCKET/KEY`` reference, or a local
        file path), or Kili-style parallel lists ``content``, ``external_id``,
        ``json_content``, ``json_metadata``, ``is_honeypot`` (of equal lengths).

        Local files are first uploaded into ``bucket`` under ``prefix`` + their name (the
        transfer engine: parallel, multipart, streamed from disk — never a whole file in
        memory; ``options``: :class:`~bucketry.TransferOptions`), then appended with their
        ``bkt://BUCKET_ID/KEY`` content and the key as default external id; a file that
        fails to upload is reported and not appended. Requests carry at most 1000 assets.
        Raises ``ValueError`` for lists of different lengths, a local file without
        ``bucket``, or two files with one key, and ``TypeError`` for an unknown field,
        before anything is sent."""
        return append_assets(
            self._session,
            self.project_id,
            items,
            columns={
                "content": content,
                "external_id": external_id,
                "json_content": json_content,
                "json_metadata": json_metadata,
                "is_honeypot": is_honeypot,
            },
            bucket=bucket,
            prefix=prefix,
            progress=progress,
            options=options,
        )

    def update(self, items: Sequence[dict[str, Any]]) -> BulkOutcome:
        """Update many assets, each a dict naming it by ``asset_id`` or ``external_id`` with
        the fields to change (``new_external_id`` renames it; ``status``, ``priority``,
        ``json_metadata``, ``consensus_mark``...), in requests of at most 1000; each item is
        reported. Raises ``UnprocessableEntityError`` for a malformed item (nothing of that
        request is applied), ``TypeError`` for an unknown field (before any request)."""
        for i, item in enumerate(items):
            checked_fields(AssetUpdateItem, item, f"item {i}")
        api = self._session.api.assets
        results: builtins.list[ItemResult] = []
        for start in range(0, len(items), BATCH):
            chunk = builtins.list(items[start : start + BATCH])
            body = AssetUpdateMany.from_dict({"items": chunk})
            page = self._session.call(api.update_many, self.project_id, body=body)
            results.extend(ItemResult.from_model(r, start) for r in page.results)
        return BulkOutcome(results)

    def change_external_ids(self, renames: dict[str, str], *, by: str = "asset_id") -> BulkOutcome:
        """Rename external ids: ``{asset_id: new_external_id}`` (``by="external_id"``:
        ``{old_external_id: new_external_id}``); each item is reported (a new id already
        used fails that item with ``external_id_taken``)."""
        if by not in ("asset_id", "external_id"):
            raise ValueError("by must be 'asset_id' or 'external_id'")
        return self.update([{by: old, "new_external_id": new} for old, new in renames.items()])

    def delete(
        self, *, asset_ids: Sequence[str] = (), external_ids: Sequence[str] = ()
    ) -> BulkOutcome:
        """Delete assets by id and/or external id (with their labels); each is reported."""
        return self._selection("delete_many", asset_ids, external_ids)

    def review(
        self, *, asset_ids: Sequence[str] = (), external_ids: Sequence[str] = ()
    ) -> BulkOutcome:
        """Send labelled assets to review (``TO_REVIEW``); an asset without labels is
        reported as failed and left alone."""
        return self._selection("review", asset_ids, external_ids)

    def queue(
        self, *, asset_ids: Sequence[str] = (), external_ids: Sequence[str] = ()
    ) -> BulkOutcome:
        """Send assets back to the labelling queue (``ONGOING``); each is reported."""
        return self._selection("queue", asset_ids, external_ids)

    def _selection(
        self, operation: str, asset_ids: Sequence[str], external_ids: Sequence[str]
    ) -> BulkOutcome:
        if isinstance(asset_ids, str) or isinstance(external_ids, str):
            raise TypeError("asset_ids and external_ids are lists of strings")
        fn = getattr(self._session.api.assets, operation)
        named = [("asset_ids", v) for v in asset_ids] + [("external_ids", v) for v in external_ids]
        results: builtins.list[ItemResult] = []
        for start in range(0, len(named), BATCH):
            chunk = named[start : start + BATCH]
            body = AssetSelection.from_dict(
                {
                    "asset_ids": [v for k, v in chunk if k == "asset_ids"],
                    "external_ids": [v for k, v in chunk if k == "external_ids"],
                }
            )
            page = self._session.call(fn, self.project_id, body=body)
            results.extend(ItemResult.from_model(r, start) for r in page.results)
        return BulkOutcome(results)

    def __iter__(self) -> Iterator[Asset]:
        return iter(self.list())


def _listed(model: AssetListed) -> dict[str, Any]:
    return model_dict(model)


def download_media_of(
    session: Session, assets: builtins.list[Asset], root: Path, options: TransferOptions | None
) -> None:
    """Download the ``bkt://`` contents of ``assets`` under ``root`` (see ``asset_media``)."""
    paths = download_media(session, [a.model.get("content") for a in assets], root, options)
    for asset, path in zip(assets, paths, strict=True):
        asset.local_media_path = path
