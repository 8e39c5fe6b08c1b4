"""The base of every resource proxy: ``Entity`` (one object of the API) and ``Repo`` (the
collection it lives in).

An ``Entity`` wraps the generated model (``.model``, fetched on first use when the proxy was
built lazily from a reference), re-reads it with ``refresh()``, exports it with ``to_dict()``
(dropping secret fields) and prints as ``Name(id, field=...)``. A ``Repo`` builds proxies from
models and turns any cursor-paged list operation of the generated layer into a lazy
:class:`~bucketry.pagination.Pager` with :meth:`Repo._pager`. New resources (projects, assets,
labels, connections, operations) subclass both and only declare what differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, Self, TypeVar

from ..pagination import Pager
from ..types import Session, arg, model_dict, opt

__all__ = ["Entity", "Repo", "arg", "model_dict", "opt", "paged"]

M = TypeVar("M")
E = TypeVar("E")


class _Page(Protocol):
    @property
    def results(self) -> Any: ...

    @property
    def next_cursor(self) -> Any: ...


class Entity(Generic[M]):
    """One API object around its generated model ``M``.

    Subclasses set ``_fields`` (shown by ``repr``), ``_secret_fields`` (removed by
    ``to_dict``), and implement :meth:`_fetch` to read the model again."""

    _fields: tuple[str, ...] = ("id",)
    _secret_fields: tuple[str, ...] = ()

    def __init__(self, session: Session, model: M | None = None) -> None:
        self._session = session
        self._model = model

    def _fetch(self) -> M:
        """Read the model from the server (raises ``NotFoundError`` when it is gone)."""
        raise NotImplementedError

    @property
    def model(self) -> M:
        """The generated model, fetched on first use."""
        if self._model is None:
            self.refresh()
        assert self._model is not None
        return self._model

    def refresh(self) -> Self:
        """Re-read the object from the server; returns ``self`` (raises ``NotFoundError``)."""
        self._model = self._fetch()
        return self

    def to_dict(self) -> dict[str, Any]:
        """The model as a plain dict, without secret fields."""
        data = model_dict(self.model)
        for name in self._secret_fields:
            data.pop(name, None)
        return data

    def __repr__(self) -> str:
        shown = ", ".join(
            repr(getattr(self, name)) if i == 0 else f"{name}={getattr(self, name)!r}"
            for i, name in enumerate(self._fields)
        )
        return f"{type(self).__name__}({shown})"


def paged(
    session: Session,
    operation: Callable[..., tuple[Any, Any]],
    items: Callable[[Any], list[E]],
    *args: Any,
    page_size: int = 100,
    first: int | None = None,
    skip: int = 0,
    count: Callable[[], int] | None = None,
    prefetch: bool = False,
    **params: Any,
) -> Pager[E]:
    """The one pager helper: a lazy :class:`Pager` over a cursor-paged generated
    ``operation(*args, **params, page_size=, cursor=)``; ``items(page)`` turns a page into
    the SDK's objects."""

    def fetch(cursor: str | None, size: int) -> tuple[list[E], str | None]:
        page: _Page = session.call(operation, *args, **params, page_size=size, cursor=arg(cursor))
        return items(page), opt(page.next_cursor)

    return Pager(fetch, page_size=page_size, first=first, skip=skip, count=count, prefetch=prefetch)


class Repo(Generic[E]):
    """A collection of entities reached through one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _pager(
        self,
        operation: Callable[..., tuple[Any, Any]],
        wrap: Callable[[Any], E],
        *args: Any,
        page_size: int = 100,
        first: int | None = None,
        skip: int = 0,
        count: Callable[[], int] | None = None,
        **params: Any,
    ) -> Pager[E]:
        """:func:`paged` with each model of a page's ``results`` wrapped by ``wrap``."""
        return paged(
            self._session,
            operation,
            lambda page: [wrap(m) for m in page.results],
            *args,
            page_size=page_size,
            first=first,
            skip=skip,
            count=count,
            **params,
        )
