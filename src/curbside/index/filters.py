"""Vector search filtered by evidence kind and publication year, pushed into the backend.

`PassageFilter` names the kinds (`curbside.domain.SourceKind` values) and the year range a
search keeps to. Every filtered search keeps to **current** passages too: a superseded version
of a source is never returned, whether or not its vector is still in the index (an ingest
killed between the store's commit and the vector removal leaves it there until the next
``curbside index build``).

`search_filtered` applies a filter the way the backend supports best:

* a `FilteringVectorIndex` runs it itself. ``pgvector`` joins its table to the store's
  ``passages`` and ``sources`` tables in the same PostgreSQL database (kind, year and
  ``is_current`` in the SQL; ``filters_versions`` is True). ``milvus`` keeps each passage's
  kind and year in scalar fields written beside the vector and filters with a Milvus
  expression; it cannot know when a passage is superseded (``filters_versions`` is False), so
  its hits are checked against the store and the search widened until it has ``k`` current
  ones (`current_hits`).
* any other index (``usearch``, ``exact``, a plugin) gets the store's matching current passage
  ids as ``allowed``: usearch scores a small set exactly and widens its graph search for a
  large one until ``k`` allowed hits are found, so a filter never starves the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy.typing as npt

from curbside.domain import SourceKind
from curbside.index.vectors import VectorIndex, check_k

if TYPE_CHECKING:
    from curbside.store.sources import SourceStore

__all__ = [
    "FilterError",
    "FilteringVectorIndex",
    "PassageFilter",
    "current_hits",
    "search_filtered",
    "sql_condition",
]

Hits = list[tuple[int, float]]
_YEAR = re.compile(r"^\s*(\d{4})?\s*(-|\.\.)?\s*(\d{4})?\s*$")


class FilterError(ValueError):
    """A filter that cannot be applied; ``field`` names it (``kind`` or ``year``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PassageFilter:
    """Current passages of sources of one of ``kinds`` (None: any kind) published in
    ``[year_min, year_max]`` (a bound leaves out sources with no year; None: unbounded)."""

    kinds: frozenset[str] | None = None
    year_min: int | None = None
    year_max: int | None = None

    def __post_init__(self) -> None:
        if self.kinds is not None:
            known = {k.value for k in SourceKind}
            unknown = sorted(set(self.kinds) - known)
            if unknown:
                raise FilterError(
                    "kind",
                    f"unknown evidence kind {unknown[0]!r} (one of {', '.join(sorted(known))})",
                )
            if not self.kinds:
                raise FilterError("kind", "an empty set of kinds matches nothing; leave it out")
            object.__setattr__(self, "kinds", frozenset(self.kinds))
        for name in ("year_min", "year_max"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise FilterError("year", f"{name} must be a whole year, got {v!r}")
        if (
            self.year_min is not None
            and self.year_max is not None
            and self.year_min > self.year_max
        ):
            raise FilterError("year", f"the range {self.year_min}-{self.year_max} is empty")

    @classmethod
    def parse(cls, kinds: Iterable[str] = (), year: str | None = None) -> PassageFilter:
        """From command-line or query-string values: ``kinds`` (each may hold several, comma
        separated) and ``year`` as ``2015``, ``2015-``, ``-2020`` or ``2015-2020``."""
        names = {k.strip().lower() for item in kinds for k in item.split(",") if k.strip()}
        lo = hi = None
        if year is not None and year.strip():
            m = _YEAR.match(year)
            if not m or not (m.group(1) or m.group(3)):
                raise FilterError(
                    "year", f"{year!r} is not a year or range (2015, 2015-, -2020, 2015-2020)"
                )
            lo = int(m.group(1)) if m.group(1) else None
            hi = int(m.group(3)) if m.group(3) else None
            if not m.group(2):  # a single year
                hi = lo if lo is not None else hi
                lo = lo if lo is not None else hi
        return cls(kinds=frozenset(names) if names else None, year_min=lo, year_max=hi)

    @property
    def active(self) -> bool:
        """Whether it narrows anything beyond current passages."""
        return self.kinds is not None or self.year_min is not None or self.year_max is not None

    def matches(self, kind: str, year: int | None) -> bool:
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.year_min is None and self.year_max is None:
            return True
        if year is None:
            return False
        return (self.year_min is None or year >= self.year_min) and (
            self.year_max is None or year <= self.year_max
        )

    def describe(self) -> str:
        parts = []
        if self.kinds is not None:
            parts.append("kind " + " or ".join(sorted(self.kinds)))
        if self.year_min is not None or self.year_max is not None:
            lo = "" if self.year_min is None else str(self.year_min)
            hi = "" if self.year_max is None else str(self.year_max)
            parts.append(f"year {lo if lo == hi else f'{lo}-{hi}'}")
        return ", ".join(parts) or "current passages"


def sql_condition(
    where: PassageFilter, alias: str, placeholder: str = ":{}"
) -> tuple[str, dict[str, Any]]:
    """The SQL condition on the store's ``sources`` table (as ``alias``) that keeps to current
    passages matching ``where``, and its parameters; ``placeholder`` writes a named parameter
    in the driver's style (``":{}"`` for SQLAlchemy text, ``"%({})s"`` for psycopg)."""
    cond = [f"{alias}.is_current"]
    params: dict[str, Any] = {}
    if where.kinds is not None:
        names = [f"kind{i}" for i in range(len(where.kinds))]
        params.update(zip(names, sorted(where.kinds), strict=True))
        cond.append(f"{alias}.kind IN ({', '.join(placeholder.format(n) for n in names)})")
    for name, op in (("year_min", ">="), ("year_max", "<=")):
        value = getattr(where, name)
        if value is not None:
            cond.append(f"{alias}.year {op} {placeholder.format(name)}")
            params[name] = int(value)
    return " AND ".join(cond), params


@runtime_checkable
class FilteringVectorIndex(VectorIndex, Protocol):
    """A vector index that applies a `PassageFilter` itself (``pgvector``, ``milvus``)."""

    @property
    def filters_versions(self) -> bool:
        """True when `search_where` itself keeps to current passages (it reads the store)."""
        ...

    def search_where(self, query: npt.ArrayLike, k: int, where: PassageFilter) -> Hits:
        """Up to ``k`` ``(id, cosine similarity)`` among passages matching ``where``, best
        first; ``k`` of them whenever the index holds ``k`` matching ones."""
        ...


def current_hits(store: SourceStore, run: Callable[[int], Hits], k: int) -> Hits:
    """The first ``k`` hits of ``run(n)`` (a search for ``n``) whose passages are current:
    hits of superseded or deleted passages are dropped and the search asked for more until it
    has ``k`` current ones or returns fewer than asked (nothing more to find)."""
    want = k
    while True:
        hits = run(want)
        attrs = store.passage_attributes([i for i, _ in hits])
        kept = [(i, s) for i, s in hits if attrs.get(i, ("", None, False))[2]]
        if len(kept) >= k or len(hits) < want:
            return kept[:k]
        want = 2 * want + (len(hits) - len(kept))


def search_filtered(
    index: VectorIndex,
    store: SourceStore,
    query: npt.ArrayLike,
    k: int,
    where: PassageFilter | None = None,
) -> Hits:
    """Top ``k`` current passages matching ``where`` (None: every current passage), pushed
    into the backend as the module describes."""
    k = check_k(k)
    where = where or PassageFilter()
    if isinstance(index, FilteringVectorIndex):
        idx = index
        if idx.filters_versions:
            return idx.search_where(query, k, where)
        return current_hits(store, lambda n: idx.search_where(query, n, where), k)
    if not where.active:
        return current_hits(store, lambda n: index.search(query, n), k)
    allowed = store.passage_ids_where(
        kinds=where.kinds, year_min=where.year_min, year_max=where.year_max
    )
    return index.search(query, k, allowed=allowed)
