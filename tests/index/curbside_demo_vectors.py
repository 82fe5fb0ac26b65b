"""A third-party vector index backend, as a plugin package would ship it (for the registry test).

NumPy brute force, kept in a stand-in "server" (a dict in this process keyed by the index
directory) rather than in files: the shape of a pgvector or Milvus backend, which implements
`VectorIndex` without ``path`` or ``save``. `test_vector_registry.py` installs it through a
``curbside.vector_indexes`` entry point of a temporary dist-info and runs the conformance suite.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from curbside.index.vectors import (
    MissingIndexError,
    StaleIndexError,
    check_allowed,
    check_ids,
    check_k,
    check_lookup_ids,
    check_query,
    check_unique,
    check_vectors,
    is_storable_id,
)

Rows = dict[int, npt.NDArray[np.float32]]


@dataclass
class _Table:
    dim: int
    fingerprint: str
    rows: Rows = field(default_factory=dict)


#: The stand-in server: what `flush` committed, per index directory.
SERVER: dict[str, _Table] = {}


def _ids(ids: Iterable[int] | npt.NDArray[np.int64]) -> list[int]:
    return check_ids(ids).tolist()


class BruteForceIndex:
    def __init__(self, directory: Path, dim: int, fingerprint: str, create: bool) -> None:
        self._key = str(directory)
        self._dim, self._fingerprint = dim, fingerprint
        self._rows: Rows = {}
        if not create:
            table = SERVER.get(self._key)
            if table is None:
                raise MissingIndexError(
                    f"no vector index {self._key!r} on the server; run `curbside index build`"
                )
            if table.fingerprint != fingerprint or table.dim != dim:
                raise StaleIndexError(
                    f"vector index {self._key!r} was built for {table.fingerprint!r} "
                    f"({table.dim} dimensions); run `curbside index build` to rebuild it"
                )
            self._rows = dict(table.rows)

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, item: object) -> bool:
        return is_storable_id(item) and int(item) in self._rows

    def ids(self) -> npt.NDArray[np.int64]:
        return np.fromiter(self._rows, dtype=np.int64, count=len(self._rows))

    def vectors(
        self, ids: Iterable[int] | npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        found = [i for i in check_lookup_ids(ids).tolist() if i in self._rows]
        rows = [self._rows[i] for i in found]
        mat = np.stack(rows) if rows else np.zeros((0, self._dim), dtype=np.float32)
        return np.asarray(found, dtype=np.int64), mat.astype(np.float32)

    def add(
        self, ids: Iterable[int] | npt.NDArray[np.int64], vectors: npt.ArrayLike
    ) -> None:
        keys = _ids(ids)
        mat = check_vectors(vectors, self._dim, len(keys))  # the shipped checks, as built-ins
        check_unique(np.asarray(keys, dtype=np.int64))
        norms = np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
        for key, row in zip(keys, mat / norms, strict=True):
            self._rows[key] = row

    def remove(self, ids: Iterable[int] | npt.NDArray[np.int64]) -> int:
        keys = set(check_lookup_ids(ids).tolist())
        return sum(self._rows.pop(i, None) is not None for i in keys)

    def search(
        self,
        query: npt.ArrayLike,
        k: int,
        allowed: Collection[int] | npt.NDArray[np.int64] | None = None,
    ) -> list[tuple[int, float]]:
        q = check_query(query, self._dim)
        k = check_k(k)
        allow = check_allowed(allowed)
        keep = None if allow is None else set(allow.tolist())
        keys = [i for i in self._rows if keep is None or i in keep]
        if k <= 0 or not keys:
            return []
        scores = np.stack([self._rows[i] for i in keys]) @ q
        ranked = sorted(zip(keys, scores.tolist(), strict=True), key=lambda p: (-p[1], p[0]))
        return [(i, float(s)) for i, s in ranked[:k]]

    def flush(self) -> None:
        SERVER[self._key] = _Table(self._dim, self._fingerprint, dict(self._rows))


def open_index(directory: Path, dim: int, fingerprint: str, create: bool) -> BruteForceIndex:
    """The factory the entry point names (`curbside.registry.VectorIndexFactory`)."""
    return BruteForceIndex(directory, dim, fingerprint, create)
