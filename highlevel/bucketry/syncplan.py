"""What a sync decides and what applying it did: ``SyncOp`` steps in a ``SyncPlan`` (summary,
JSON save/load), and the per-step ``SyncOutcome``s of a ``SyncResult``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from .synccompare import Compare, Direction
from .types import BlobInfo

Action = Literal["upload", "download", "delete", "skip"]
Status = Literal["done", "failed", "skipped"]

ACTIONS: tuple[Action, ...] = get_args(Action)
PLAN_FORMAT = 1


@dataclass(frozen=True)
class SyncOp:
    """One step of a plan. ``key`` is the full blob key, ``path`` the local file, ``size`` the
    bytes the step moves (for a skip or a delete: the size of the file it concerns)."""

    action: Action
    key: str
    path: str
    size: int
    reason: str


@dataclass(frozen=True)
class SyncOutcome:
    """What applying one :class:`SyncOp` did: ``"done"``, ``"failed"`` (with
    ``error``) or ``"skipped"`` (with the reason, e.g. deletions after a failed transfer)."""

    op: SyncOp
    status: Status
    error: str | None = None


@dataclass
class SyncResult:
    """What :func:`apply_plan` did, one outcome per operation of the plan (in plan order)."""

    outcomes: list[SyncOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No operation failed."""
        return not self.failed

    @property
    def failed(self) -> list[SyncOutcome]:
        """The outcomes that failed, in plan order."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def done(self) -> list[SyncOutcome]:
        """The outcomes that were carried out, in plan order."""
        return [o for o in self.outcomes if o.status == "done"]

    @property
    def bytes_transferred(self) -> int:
        """Bytes moved by the transfers that were done (deletions move none)."""
        return sum(
            o.op.size for o in self.outcomes if o.status == "done" and o.op.action != "delete"
        )

    def counts(self) -> dict[str, int]:
        """``{"ACTION STATUS": n}``, e.g. ``{"upload done": 2, "skip skipped": 7}``."""
        out: dict[str, int] = {}
        for o in self.outcomes:
            name = f"{o.op.action} {o.status}"
            out[name] = out.get(name, 0) + 1
        return out

    def summary(self) -> str:
        """One line per action and status, then the first 20 failures with their errors."""
        lines = [f"{name}: {n}" for name, n in sorted(self.counts().items())]
        for o in self.failed[:20]:
            lines.append(f"  failed {o.op.action} {o.op.key}: {o.error}")
        if len(self.failed) > 20:
            lines.append(f"  … and {len(self.failed) - 20} more failures")
        return "\n".join(lines) if lines else "nothing to do"


@dataclass
class SyncPlan:
    """The operations that make ``prefix`` in ``bucket`` mirror ``local`` (``direction=
    "upload"``) or the reverse. Iterate it for the :class:`SyncOp` objects."""

    bucket: str
    prefix: str
    local: str
    direction: Direction
    compare: Compare
    delete: bool
    dry_run: bool
    update: bool = False
    ops: list[SyncOp] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    results: SyncResult | None = None
    #: listing entries of the planned downloads (not saved: a reloaded plan re-reads them)
    _infos: dict[str, BlobInfo] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Iterator[SyncOp]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def by_action(self, action: Action) -> list[SyncOp]:
        """The operations with this ``action``, in plan order."""
        return [op for op in self.ops if op.action == action]

    @property
    def changes(self) -> list[SyncOp]:
        """The operations that change something (everything but skips)."""
        return [op for op in self.ops if op.action != "skip"]

    def counts(self) -> dict[str, tuple[int, int]]:
        """``{action: (operations, bytes)}`` for every action."""
        out: dict[str, tuple[int, int]] = {a: (0, 0) for a in ACTIONS}
        for op in self.ops:
            n, b = out[op.action]
            out[op.action] = (n + 1, b + op.size)
        return out

    def summary(self) -> str:
        """A readable multi-line report: the direction, then counts and bytes per action."""
        arrow = "->" if self.direction == "upload" else "<-"
        head = f"sync {self.local} {arrow} bkt://{self.bucket}/{self.prefix}"
        head += f" (compare={self.compare}, delete={self.delete}"
        head += ", update=True)" if self.update else ")"
        if self.dry_run:
            head += " [dry run: nothing changed]"
        lines = [head]
        for action, (n, b) in self.counts().items():
            lines.append(f"  {action:<8} {n:>8} files {_human(b):>10}")
        reasons: dict[tuple[str, str], int] = {}
        for op in self.ops:
            reasons[(op.action, op.reason)] = reasons.get((op.action, op.reason), 0) + 1
        if reasons:
            lines.append("  reasons:")
            for (action, reason), n in sorted(reasons.items()):
                lines.append(f"    {action:<8} {n:>8}  {reason}")
        if self.results is not None:
            lines.append(
                "  applied: " + ("ok" if self.results.ok else f"{len(self.results.failed)} failed")
            )
        return "\n".join(lines)

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data (``format``, options, ``ops``, and ``results``
        once applied); :meth:`from_dict` reads it back."""
        data = {
            "format": PLAN_FORMAT,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "local": self.local,
            "direction": self.direction,
            "compare": self.compare,
            "delete": self.delete,
            "dry_run": self.dry_run,
            "update": self.update,
            "created_at": self.created_at,
            "ops": [asdict(op) for op in self.ops],
        }
        if self.results is not None:
            data["results"] = [
                {"key": o.op.key, "action": o.op.action, "status": o.status, "error": o.error}
                for o in self.results.outcomes
            ]
        return data

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the plan as JSON (atomically) and return the path."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.replace(tmp, target)
        return target

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncPlan:
        """A plan from :meth:`to_dict` data. Raises ``ValueError`` for another
        ``format`` or an unknown action, ``KeyError`` for a missing field."""
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"unsupported sync plan format {data.get('format')!r}")
        ops = []
        for raw in data["ops"]:
            if raw["action"] not in ACTIONS:
                raise ValueError(f"unknown sync action {raw['action']!r}")
            ops.append(
                SyncOp(raw["action"], raw["key"], raw["path"], int(raw["size"]), raw["reason"])
            )
        return cls(
            bucket=data["bucket"],
            prefix=data["prefix"],
            local=data["local"],
            direction=data["direction"],
            compare=data["compare"],
            delete=bool(data["delete"]),
            dry_run=bool(data["dry_run"]),
            update=bool(data.get("update", False)),
            ops=ops,
            created_at=data["created_at"],
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SyncPlan:
        """A plan saved with :meth:`save` (JSON). Raises ``OSError`` when the file cannot
        be read, ``ValueError`` as :meth:`from_dict` does."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover
