"""The data side of assets: per-item results of bulk mutations, ``append`` (local files
uploaded through the transfer engine first, then appended as ``bkt://`` contents), and the
download of ``bkt://`` contents for ``list(download_media=True)``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bucketry_api.models import AssetAppend, AssetInput, BulkItemResult

from ..types import Session, opt
from ..uri import is_bucket_uri, parse_uri

if TYPE_CHECKING:
    from ..transfer.options import TransferOptions
    from .buckets import Bucket

__all__ = [
    "AppendResult",
    "BulkOutcome",
    "ItemResult",
    "append_assets",
    "checked_fields",
    "download_media",
]

BATCH = 1000
DUPLICATE = "duplicate_external_id"


@dataclass(frozen=True)
class ItemResult:
    """One item of a bulk request: its ``index`` in what you passed, ``ok``, the asset's
    ``id`` and ``external_id`` when known, and on failure the problem's ``code``
    (``duplicate_external_id``, ``not_found``, ``not_labeled``, ``upload_failed``...) and
    ``error`` (its detail)."""

    index: int
    ok: bool
    id: str | None = None
    external_id: str | None = None
    code: str | None = None
    error: str | None = None

    @classmethod
    def from_model(cls, model: BulkItemResult, offset: int = 0) -> ItemResult:
        """The result of a server item (``offset``: where its request started)."""
        problem = opt(model.error)
        data = problem.to_dict() if problem is not None else {}
        return cls(
            index=model.index + offset,
            ok=model.ok,
            id=_str(opt(model.id)),
            external_id=_str(opt(model.external_id)),
            code=data.get("code"),
            error=data.get("detail") or data.get("title"),
        )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class BulkOutcome:
    """Per-item results of a bulk mutation, in the order of the items."""

    results: list[ItemResult] = field(default_factory=list)

    def __iter__(self) -> Any:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def succeeded(self) -> list[ItemResult]:
        """The items that were applied."""
        return [r for r in self.results if r.ok]

    @property
    def failed(self) -> list[ItemResult]:
        """The items that were not (each with its ``code`` and ``error``)."""
        return [r for r in self.results if not r.ok]

    @property
    def ids(self) -> list[str]:
        """The ids of the assets the applied items concern."""
        return [r.id for r in self.results if r.ok and r.id]

    @property
    def ok(self) -> bool:
        """True when every item was applied."""
        return all(r.ok for r in self.results)


@dataclass
class AppendResult(BulkOutcome):
    """Per-item results of ``assets.append``; ``duplicates``: the items refused because
    their external id is already used (in the project or earlier in the same call)."""

    @property
    def duplicates(self) -> list[ItemResult]:
        """Items whose external id was already taken (reported, never silently dropped)."""
        return [r for r in self.results if r.code == DUPLICATE]


def checked_fields(model: type, data: dict[str, Any], what: str) -> dict[str, Any]:
    """``data`` unchanged when every key is a field of the generated ``model``; else a
    ``TypeError`` naming the unknown ones (the generated ``from_dict`` would drop them
    silently, so a misspelt ``json_metdata`` must fail here, before any request)."""
    known = {a.name for a in getattr(model, "__attrs_attrs__", ())} - {"additional_properties"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TypeError(f"{what}: unknown field(s) {unknown}; expected some of {sorted(known)}")
    return data


def _rows(
    items: Iterable[dict[str, Any] | str | Path] | None, columns: dict[str, Sequence[Any] | None]
) -> list[dict[str, Any]]:
    """One dict per asset, from ``items`` and/or the Kili-style parallel ``columns``."""
    rows: list[dict[str, Any]] = []
    for item in items or ():
        if isinstance(item, dict):
            rows.append(dict(item))
        elif isinstance(item, str | Path):
            rows.append({"content": item})
        else:
            raise TypeError(f"an asset is a dict, a URL or a path, not {type(item).__name__}")
    given = {k: v for k, v in columns.items() if v is not None}
    if given:
        if rows:
            raise ValueError("give either items or the content/external_id/... lists, not both")
        lengths = {k: len(v) for k, v in given.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"the lists must have the same length: {lengths}")
        count = next(iter(lengths.values()))
        rows = [{k: v[i] for k, v in given.items()} for i in range(count)]
    return rows


def _is_local(content: Any) -> bool:
    if isinstance(content, Path):
        return True
    return isinstance(content, str) and "://" not in content


def _plan_uploads(
    rows: list[dict[str, Any]], bucket: str | Bucket | None, prefix: str
) -> list[tuple[int, Path, str]]:
    """``(row, path, key)`` for each local file; raises ``ValueError`` without a bucket or
    when two files would get the same key."""
    uploads: list[tuple[int, Path, str]] = []
    keys: dict[str, int] = {}
    for i, row in enumerate(rows):
        content = row.get("content")
        if not isinstance(content, str | Path) or not content or not _is_local(content):
            continue
        if bucket is None:
            raise ValueError(f"item {i}: {content!s} is a local file: pass bucket= to upload it")
        path = Path(content)
        key = prefix + path.name
        if key in keys:
            raise ValueError(f"items {keys[key]} and {i} would both upload to the key {key!r}")
        keys[key] = i
        uploads.append((i, path, key))
    return uploads


def append_assets(
    session: Session,
    project_id: str,
    items: Iterable[dict[str, Any] | str | Path] | None,
    *,
    columns: dict[str, Sequence[Any] | None],
    bucket: str | Bucket | None,
    prefix: str,
    progress: Any,
    options: TransferOptions | None,
) -> AppendResult:
    """``project.assets.append`` (documented there): upload the local files, then append
    every asset whose content is ready, in requests of at most 1000, reporting each item."""
    rows = _rows(items, columns)
    for i, row in enumerate(rows):
        checked_fields(AssetInput, row, f"asset {i}")
    uploads = _plan_uploads(rows, bucket, prefix)
    failed: dict[int, ItemResult] = {}
    if uploads:
        failed = _upload(session, rows, uploads, bucket, progress, options)
    ready = [(i, row) for i, row in enumerate(rows) if i not in failed]
    results: dict[int, ItemResult] = dict(failed)
    api = session.api.assets
    for start in range(0, len(ready), BATCH):
        chunk = ready[start : start + BATCH]
        body = AssetAppend.from_dict({"assets": [row for _, row in chunk]})
        page = session.call(api.append, project_id, body=body)
        for item in page.results:
            original = chunk[item.index][0]
            result = ItemResult.from_model(item)
            results[original] = ItemResult(
                original, result.ok, result.id, result.external_id, result.code, result.error
            )
    return AppendResult([results[i] for i in sorted(results)])


def _upload(
    session: Session,
    rows: list[dict[str, Any]],
    uploads: list[tuple[int, Path, str]],
    bucket: str | Bucket | None,
    progress: Any,
    options: TransferOptions | None,
) -> dict[int, ItemResult]:
    """Upload the local files and point their rows at ``bkt://`` (the key being the default
    external id); the rows whose file failed get a failed ``ItemResult``."""
    from ..transfer.uploads import upload_pairs
    from .buckets import Bucket

    target = bucket if isinstance(bucket, Bucket) else Bucket(session, str(bucket))
    report = upload_pairs(
        target, [(path, key) for _, path, key in uploads], progress=progress, options=options
    )
    failed: dict[int, ItemResult] = {}
    name = target.id  # as connections do: a rename of the bucket keeps the reference valid
    for (row, _, key), outcome in zip(uploads, report.results, strict=True):
        if outcome.status == "failed":
            failed[row] = ItemResult(
                row, False, None, rows[row].get("external_id"), "upload_failed", str(outcome.error)
            )
            continue
        rows[row]["content"] = f"bkt://{name}/{key}"
        rows[row].setdefault("external_id", key)
    return failed


def download_media(
    session: Session,
    contents: Sequence[Any],
    root: Path,
    options: TransferOptions | None,
) -> list[Path | None]:
    """Download each ``bkt://BUCKET/KEY`` of ``contents`` to ``root/BUCKET/KEY`` (keys mapped
    safely: no path leaves ``root``), several at once through the transfer engine; ``None``
    for other contents. A failed download raises."""
    from ..transfer.folders import local_path_for
    from .buckets import Bucket

    targets: list[tuple[int, str, str, Path]] = []
    for i, content in enumerate(contents):
        if isinstance(content, str) and is_bucket_uri(content):
            uri = parse_uri(content)
            if uri.key:
                path = local_path_for(root / uri.bucket, uri.key)
                targets.append((i, uri.bucket, uri.key, path))
    out: list[Path | None] = [None] * len(contents)
    if not targets:
        return out
    concurrency = options.file_concurrency if options is not None else 8

    def fetch(target: tuple[int, str, str, Path]) -> None:
        i, bucket, key, path = target
        path.parent.mkdir(parents=True, exist_ok=True)
        Bucket(session, bucket).blob(key).download(path, progress=False, options=options)
        out[i] = path

    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="bucketry-media") as pool:
        for future in [pool.submit(fetch, t) for t in targets]:
            future.result()
    return out
