"""Vector indexes: passage id -> unit vector, cosine top-k search.

`VectorIndex` is the contract every backend meets, file-based or server-side: it says nothing
about where vectors live; `flush` makes what was written durable (a server that writes through
does nothing). Backends are chosen by name from `curbside.registry.VECTOR_INDEXES`
(`open_vector_index`); `curbside.testing.vectors` is the conformance suite each one passes.
`FileVectorIndex` is what the two built-in, file-based ones add (``path``, ``save``).

Two built-in implementations:

* `UsearchVectorIndex` -- a usearch HNSW graph in one file (``vectors.usearch``), vectors
  stored as int8. Each vector is scaled by its own largest component before rounding to int8
  (cosine similarity does not care about scale), which keeps far more precision than usearch's
  own float -> int8 cast (a fixed x127 with truncation). Queries are quantised the same way.
* `ExactVectorIndex` -- a float16 matrix (``vectors.npy``) and an int64 id array
  (``vectors.ids.npy``), brute-force search; for small corpora and as a reference.

A server-side backend (``pgvector``, in `curbside.index.pgvector_index`) is registered here
too; its factory takes a keyword ``context`` (`VectorIndexContext`: the store's engine and the
settings) that `open_vector_index` passes to any factory accepting it. The setting value
``"auto"`` resolves through `vector_index_for`: the backend a database dialect prefers
(declared with `prefer_vector_index` when a backend registers), usearch otherwise.

Beside each index file lies a JSON sidecar ``<file>.meta.json`` with ``fingerprint``, ``dim``,
``dtype``, ``count`` and ``created_at``. Opening an index whose fingerprint (or dimension) is
not the expected one raises `StaleIndexError`; a missing index raises `MissingIndexError`.
Writes go to a temporary file that is renamed into place, index first, sidecar last.
"""

from __future__ import annotations

import inspect
import json
import math
import os
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from curbside.config import Settings
    from curbside.registry import Registry, VectorIndexFactory

__all__ = [
    "EXACT_MAX_AUTO",
    "ExactVectorIndex",
    "FileVectorIndex",
    "InvalidVectorInput",
    "MissingIndexError",
    "StaleIndexError",
    "UsearchVectorIndex",
    "VectorIndex",
    "VectorIndexContext",
    "VectorIndexError",
    "check_allowed",
    "check_ids",
    "check_k",
    "check_lookup_ids",
    "check_query",
    "check_unique",
    "check_vectors",
    "is_storable_id",
    "open_exact_index",
    "open_usearch_index",
    "open_vector_index",
    "prefer_vector_index",
    "quantize_int8",
    "top_hits",
    "vector_index_for",
]

IdArray = npt.NDArray[np.int64]
IdsLike = IdArray | Iterable[int]
Allowed = Collection[int] | IdArray | None
#: ``"auto"`` or a name in `curbside.registry.VECTOR_INDEXES` (built-ins: usearch, exact).
IndexKind = str

FORMAT_VERSION = 1
USEARCH_FILE = "vectors.usearch"
EXACT_FILE = "vectors.npy"
#: ``open_vector_index(create=True, kind="auto")`` picks the exact index up to this many vectors.
EXACT_MAX_AUTO = 20_000
#: With an ``allowed`` set up to this size, usearch search scores those vectors directly.
_FILTER_EXACT_MAX = 4096


class VectorIndexError(RuntimeError):
    """Base class for vector index problems."""


class MissingIndexError(VectorIndexError):
    """No vector index where one was expected."""


class StaleIndexError(VectorIndexError):
    """The index on disk was built with other settings (fingerprint/dimension); rebuild it."""


class InvalidVectorInput(VectorIndexError, ValueError):
    """Bad input to a vector index: ``field`` names it (``ids``, ``vectors``, ``query``, ``k``).

    A `ValueError` too, so callers that caught the earlier ``ValueError`` still do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@runtime_checkable
class VectorIndex(Protocol):
    """Passage id -> unit vector; cosine-similarity top-k search.

    The contract of every vector index backend (checked by `curbside.testing.vectors`):
    ``add`` of a vector or query of the wrong dimension raises `ValueError`; opening an index
    built under another fingerprint or dimension raises `StaleIndexError`, a missing one
    `MissingIndexError` (both `VectorIndexError`).
    """

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...

    def add(self, ids: IdsLike, vectors: npt.ArrayLike) -> None:
        """Insert or replace (an id already present is overwritten) one row per id."""
        ...

    def search(
        self, query: npt.ArrayLike, k: int, allowed: Allowed = None
    ) -> list[tuple[int, float]]:
        """Up to ``k`` ``(id, cosine similarity)``, highest first; only ``allowed`` ids if set."""
        ...

    def remove(self, ids: IdsLike) -> int:
        """Drop these ids (absent ones are ignored); returns how many were removed."""
        ...

    def ids(self) -> IdArray:
        """All ids in the index (no particular order)."""
        ...

    def vectors(self, ids: IdsLike) -> tuple[IdArray, npt.NDArray[np.float32]]:
        """The stored unit vectors of those ``ids`` the index holds (absent ones skipped),
        in the order asked: ``(ids found, one row per id found)``."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, item: object) -> bool: ...

    def flush(self) -> None:
        """Make every add and remove so far durable: what opening the index again sees."""
        ...


@runtime_checkable
class FileVectorIndex(VectorIndex, Protocol):
    """A `VectorIndex` kept in a file of its own (the built-ins): ``flush`` is ``save``."""

    @property
    def path(self) -> Path: ...

    def save(self) -> None:
        """Write the index and its sidecar (atomically, each by rename)."""
        ...




# -- helpers ---------------------------------------------------------------------------------


#: Largest passage id a vector index stores: int64 (PostgreSQL bigint, Milvus INT64); usearch
#: keys are uint64, so a non-negative int64 round-trips through every backend.
MAX_ID = 2**63 - 1


def check_ids(ids: IdsLike) -> IdArray:
    """``ids`` as a one-dimensional int64 array of ids in ``[0, MAX_ID]``; otherwise
    `InvalidVectorInput` naming ``ids`` (what every backend's ``add``, ``remove`` and ``vectors``
    accept; a plugin backend can call it too)."""
    try:
        arr: npt.NDArray[Any] = (
            np.asarray(ids)
            if isinstance(ids, np.ndarray)
            else np.asarray([_one_id(i) for i in ids], dtype=object)
        )
    except TypeError as exc:
        raise InvalidVectorInput("ids", f"must be integers ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InvalidVectorInput("ids", f"must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == object:
        big = [int(i) for i in arr if int(i) > MAX_ID]
        if big:
            raise InvalidVectorInput("ids", f"{big[0]} is larger than {MAX_ID} (int64)")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise InvalidVectorInput("ids", f"must be integers, not {arr.dtype}")
    if arr.dtype == np.uint64 and int(arr.max()) > MAX_ID:
        raise InvalidVectorInput("ids", f"{int(arr.max())} is larger than {MAX_ID} (int64)")
    out: IdArray = arr.astype(np.int64, copy=False)
    if int(out.min()) < 0:
        raise InvalidVectorInput("ids", f"must not be negative, got {int(out.min())}")
    return out


def is_storable_id(item: object) -> TypeGuard[int | np.integer[Any]]:
    """Whether ``item`` is an id an index can hold (an integer, not a bool, in ``[0, MAX_ID]``):
    ``x in index`` is False for anything else."""
    return (
        isinstance(item, int | np.integer)
        and not isinstance(item, bool | np.bool_)
        and 0 <= int(item) <= MAX_ID
    )


def check_lookup_ids(ids: IdsLike) -> IdArray:
    """Ids to look up or remove, in the order given: integers (else `InvalidVectorInput` naming
    ``ids``); an id no index can hold (negative, beyond int64) is absent, so it is dropped."""
    if isinstance(ids, np.ndarray):
        arr = ids.reshape(-1) if ids.ndim == 0 else ids
        if arr.ndim != 1:
            raise InvalidVectorInput("ids", f"must be one-dimensional, got shape {arr.shape}")
        if arr.size and arr.dtype.kind not in "iu":
            raise InvalidVectorInput("ids", f"must be integers, not {arr.dtype}")
        if arr.dtype == np.uint64:
            arr = arr[arr <= MAX_ID]
        out: IdArray = arr.astype(np.int64)
        return out[out >= 0]
    try:
        vals = [_one_id(i) for i in ids]
    except TypeError as exc:
        raise InvalidVectorInput("ids", f"must be integers ({exc})") from None
    return np.asarray([v for v in vals if 0 <= v <= MAX_ID], dtype=np.int64)


def _one_id(item: object) -> int:
    if isinstance(item, bool) or not isinstance(item, int | np.integer):
        raise TypeError(f"{item!r} is not an integer")
    return int(item)


def check_vectors(vectors: npt.ArrayLike, dim: int, n: int) -> npt.NDArray[np.float32]:
    """``n`` rows of ``dim`` finite, non-zero float32 components (one vector may be given 1-D),
    or `InvalidVectorInput` naming ``vectors``."""
    try:
        mat = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidVectorInput("vectors", f"must be numbers ({exc})") from None
    if mat.ndim == 1 and n == 1:
        mat = mat.reshape(1, -1)
    if mat.shape != (n, dim):
        raise InvalidVectorInput(
            "vectors", f"expected shape ({n}, {dim}) (one row of {dim} per id), got {mat.shape}"
        )
    finite = np.isfinite(mat).all(axis=1)
    if not finite.all():
        raise InvalidVectorInput(
            "vectors", f"row {int(np.argmin(finite))} contains NaN or infinity"
        )
    zero = ~np.any(mat != 0, axis=1)
    if zero.any():
        raise InvalidVectorInput(
            "vectors", f"row {int(np.argmax(zero))} is all zeros (no direction to compare)"
        )
    return mat


def check_unique(ids: IdArray) -> None:
    """`InvalidVectorInput` naming ``ids`` when one id appears twice in one batch."""
    if ids.size > 1 and np.unique(ids).size != ids.size:
        uniq, counts = np.unique(ids, return_counts=True)
        raise InvalidVectorInput(
            "ids", f"duplicate ids in one add() call: {uniq[counts > 1][:5].tolist()}"
        )


def check_query(query: npt.ArrayLike, dim: int) -> npt.NDArray[np.float32]:
    """The query as a unit float32 vector of ``dim`` components (shape ``(dim,)`` or
    ``(1, dim)``), or `InvalidVectorInput` naming ``query`` (wrong shape, NaN or infinity, all
    zeros)."""
    try:
        arr = np.asarray(query, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidVectorInput("query", f"must be numbers ({exc})") from None
    if arr.shape not in ((dim,), (1, dim)):
        raise InvalidVectorInput(
            "query", f"expected a query vector of {dim} dimensions, got shape {arr.shape}"
        )
    q = arr.reshape(-1)
    if not np.isfinite(q).all():
        raise InvalidVectorInput("query", "contains NaN or infinity")
    norm = float(np.linalg.norm(q))
    if norm == 0.0:
        raise InvalidVectorInput("query", "is all zeros (no direction to compare)")
    out: npt.NDArray[np.float32] = q / norm
    return out


def check_k(k: object) -> int:
    """``k`` as an int: 0 asks for nothing (an empty list), a negative or non-integer ``k`` is
    `InvalidVectorInput` naming ``k``."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise InvalidVectorInput("k", f"must be an integer, got {k!r}")
    if int(k) < 0:
        raise InvalidVectorInput("k", f"must not be negative, got {int(k)}")
    return int(k)


def check_allowed(allowed: Allowed) -> IdArray | None:
    """``allowed`` as sorted unique int64 ids; ids no index can hold (negative, beyond int64)
    match nothing and are dropped; anything not an integer is `InvalidVectorInput`."""
    if allowed is None:
        return None
    if isinstance(allowed, np.ndarray):
        arr = allowed.reshape(-1)
        if arr.size and arr.dtype.kind not in "iu":
            raise InvalidVectorInput("allowed", f"must be integer ids, not {arr.dtype}")
        if arr.dtype == np.uint64:
            arr = arr[arr <= MAX_ID]
        arr = arr.astype(np.int64)
        return np.unique(arr[arr >= 0])
    try:
        vals = [_one_id(i) for i in allowed]
    except TypeError as exc:
        raise InvalidVectorInput("allowed", f"must be integer ids ({exc})") from None
    return np.unique(np.asarray([v for v in vals if 0 <= v <= MAX_ID], dtype=np.int64))



def quantize_int8(vectors: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """Per-row scale so the largest |component| maps to 127, then round (cosine-preserving)."""
    mat = np.asarray(vectors, dtype=np.float32)
    one = mat.ndim == 1
    mat = mat.reshape(1, -1) if one else mat
    peak = np.abs(mat).max(axis=1, keepdims=True) if mat.size else np.ones((len(mat), 1))
    scaled = mat * (127.0 / np.maximum(peak, 1e-30))
    q = np.clip(np.rint(scaled), -127, 127).astype(np.int8)
    return q[0] if one else q


def top_hits(ids: IdArray, scores: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
    """The ``k`` best ``(id, score)`` pairs, score descending, ties by id ascending."""
    if k <= 0 or ids.size == 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k] if k < ids.size else np.arange(ids.size)
    order = part[np.lexsort((ids[part], -scores[part]))]  # score desc, then id asc
    return [(int(ids[i]), float(scores[i])) for i in order]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _read_meta(path: Path, kind: str) -> dict[str, Any]:
    meta_path = _meta_path(path)
    if not path.exists() or not meta_path.exists():
        missing = path if not path.exists() else meta_path
        raise MissingIndexError(
            f"no vector index at {path} ({missing.name} is missing); "
            "run `curbside index build` to create it"
        )
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StaleIndexError(
            f"unreadable vector index sidecar {meta_path}: {exc}; run `curbside index build`"
        ) from exc
    if meta.get("kind", kind) != kind:
        raise StaleIndexError(f"{meta_path} describes a {meta.get('kind')!r} index, not {kind!r}")
    return meta


def _check_meta(meta: dict[str, Any], path: Path, dim: int, fingerprint: str) -> None:
    if meta.get("fingerprint") != fingerprint:
        raise StaleIndexError(
            f"vector index {path} was built with settings fingerprint "
            f"{meta.get('fingerprint')!r}, expected {fingerprint!r} (embedder or chunking "
            "changed); run `curbside index build` to rebuild it"
        )
    if meta.get("dim") != dim:
        raise StaleIndexError(
            f"vector index {path} holds {meta.get('dim')}-dimensional vectors, expected {dim}; "
            "run `curbside index build` to rebuild it"
        )


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    meta_path = _meta_path(path)
    tmp = meta_path.with_name(meta_path.name + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, meta_path)


# -- usearch -----------------------------------------------------------------------------------


class UsearchVectorIndex:
    """HNSW (usearch), cosine metric, int8 vectors; one file plus its JSON sidecar.

    ``create=False`` (default) opens the file at ``path`` and raises `MissingIndexError` or
    `StaleIndexError`; ``create=True`` starts an empty index that `save` writes to ``path``.
    The index is loaded into memory (usearch's memory-mapped ``view`` is read-only).
    """

    kind = "usearch"
    dtype = "i8"

    def __init__(
        self,
        path: str | os.PathLike[str],
        dim: int,
        fingerprint: str,
        *,
        create: bool = False,
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = 256,
        threads: int = 0,
    ) -> None:
        # onnxruntime (the default embedder) must be loaded before usearch: importing it after
        # usearch segfaults the process (usearch 2.26, onnxruntime 1.32), e.g. a vector-index
        # command followed by an embedding in the same process.
        import onnxruntime  # noqa: F401
        from usearch.index import Index

        self._path = Path(path)
        self._dim = int(dim)
        self._fingerprint = fingerprint
        self.threads = threads
        self._created_at = _now()
        if not create:
            meta = _read_meta(self._path, self.kind)
            _check_meta(meta, self._path, self._dim, fingerprint)
            self._created_at = str(meta.get("created_at", self._created_at))
            if meta.get("dtype", self.dtype) != self.dtype:
                raise StaleIndexError(
                    f"vector index {self._path} stores {meta.get('dtype')} vectors, expected "
                    f"{self.dtype}; run `curbside index build` to rebuild it"
                )
        self._index = Index(
            ndim=self._dim,
            metric="cos",
            dtype=self.dtype,
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )
        if not create:
            try:
                self._index.load(str(self._path))
            except Exception as exc:  # usearch raises RuntimeError/ValueError on a bad file
                raise StaleIndexError(
                    f"cannot load vector index {self._path}: {exc}; run `curbside index build`"
                ) from exc
            if self._index.ndim != self._dim:
                raise StaleIndexError(
                    f"vector index {self._path} has {self._index.ndim} dimensions, expected "
                    f"{self._dim}; run `curbside index build` to rebuild it"
                )
            if int(meta.get("count", len(self._index))) != len(self._index):
                raise StaleIndexError(
                    f"vector index {self._path} and its sidecar disagree on the count "
                    "(interrupted write?); run `curbside index build` to rebuild it"
                )

    @property
    def path(self) -> Path:
        return self._path

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, item: object) -> bool:
        return is_storable_id(item) and bool(self._index.contains(int(item)))

    def ids(self) -> IdArray:
        return np.asarray(self._index.keys, dtype=np.int64)

    def vectors(self, ids: IdsLike) -> tuple[IdArray, npt.NDArray[np.float32]]:
        keys = check_lookup_ids(ids)
        if keys.size:
            keys = keys[np.asarray(self._index.contains(keys.astype(np.uint64)), dtype=bool)]
        if keys.size == 0:
            return keys, np.zeros((0, self._dim), dtype=np.float32)
        vecs = np.asarray(self._index.get(keys.astype(np.uint64), dtype="i8"), np.float32)
        vecs = vecs.reshape(len(keys), self._dim)
        return keys, vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def add(self, ids: IdsLike, vectors: npt.ArrayLike) -> None:
        keys = check_ids(ids)
        mat = check_vectors(vectors, self._dim, len(keys))
        if keys.size == 0:
            return
        check_unique(keys)
        present = np.asarray(self._index.contains(keys), dtype=bool)
        if present.any():
            self._index.remove(keys[present])
        self._index.add(keys.astype(np.uint64), quantize_int8(mat), threads=self.threads)

    def remove(self, ids: IdsLike) -> int:
        keys = check_lookup_ids(ids)
        if keys.size == 0:
            return 0
        present = keys[np.asarray(self._index.contains(keys), dtype=bool)]
        if present.size == 0:
            return 0
        removed = self._index.remove(np.unique(present))
        return int(np.sum(removed))

    def _score(self, keys: IdArray, q8: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        vecs = np.asarray(self._index.get(keys.astype(np.uint64), dtype="i8"), np.float32)
        vecs = vecs.reshape(len(keys), self._dim)
        norms = np.maximum(np.linalg.norm(vecs, axis=1), 1e-12)
        out: npt.NDArray[np.float32] = (vecs @ q8) / norms
        return out

    def search(
        self, query: npt.ArrayLike, k: int, allowed: Allowed = None
    ) -> list[tuple[int, float]]:
        qf = check_query(query, self._dim)
        k = check_k(k)
        allow = check_allowed(allowed)
        n = len(self._index)
        if k == 0 or n == 0:
            return []
        q8 = quantize_int8(qf)
        if allow is not None:
            if allow.size == 0:
                return []
            if allow.size <= _FILTER_EXACT_MAX:
                keys = allow[np.asarray(self._index.contains(allow), dtype=bool)]
                if keys.size == 0:
                    return []
                qn = q8.astype(np.float32)
                qn /= max(float(np.linalg.norm(qn)), 1e-12)
                return top_hits(keys, self._score(keys, qn), k)
        # Over-fetch when filtering, then widen until k allowed hits (or the whole index).
        count = min(n, k if allow is None else max(2 * k, int(k * math.ceil(n / allow.size) * 2)))
        while True:
            matches = self._index.search(q8, count, threads=1)
            keys = np.asarray(matches.keys, dtype=np.int64)
            scores = (1.0 - np.asarray(matches.distances, dtype=np.float32)).astype(np.float32)
            if allow is not None:
                keep = np.isin(keys, allow)
                keys, scores = keys[keep], scores[keep]
            if allow is None or keys.size >= k or count >= n:
                return top_hits(keys, scores, k)
            count = min(n, count * 4)

    def flush(self) -> None:
        self.save()

    def save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".tmp")
        self._index.save(str(tmp))
        os.replace(tmp, self._path)
        _write_meta(
            self._path,
            {
                "format": FORMAT_VERSION,
                "kind": self.kind,
                "fingerprint": self._fingerprint,
                "dim": self._dim,
                "dtype": self.dtype,
                "quantization": "per-vector-absmax-int8",
                "metric": "cos",
                "count": len(self._index),
                "created_at": self._created_at,
                "saved_at": _now(),
            },
        )


# -- exact -----------------------------------------------------------------------------------


class ExactVectorIndex:
    """Brute-force cosine search; float16 matrix + int64 ids as ``.npy`` files, plus sidecar.

    ``path`` is the matrix file (``vectors.npy``); ids go to ``vectors.ids.npy`` beside it.
    Vectors are held in memory as float32 (unit rows) and stored as float16.
    """

    kind = "exact"
    dtype = "f16"

    def __init__(
        self, path: str | os.PathLike[str], dim: int, fingerprint: str, *, create: bool = False
    ) -> None:
        self._path = Path(path)
        self._dim = int(dim)
        self._fingerprint = fingerprint
        self._created_at = _now()
        self._ids: IdArray = np.zeros(0, dtype=np.int64)
        self._mat: npt.NDArray[np.float32] = np.zeros((0, self._dim), dtype=np.float32)
        if create:
            return
        meta = _read_meta(self._path, self.kind)
        _check_meta(meta, self._path, self._dim, fingerprint)
        self._created_at = str(meta.get("created_at", self._created_at))
        ids_path = self.ids_path
        if not ids_path.exists():
            raise MissingIndexError(
                f"no vector index at {self._path} ({ids_path.name} is missing); "
                "run `curbside index build` to create it"
            )
        try:
            mat = np.load(self._path, allow_pickle=False)
            ids = np.load(ids_path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise StaleIndexError(
                f"cannot load vector index {self._path}: {exc}; run `curbside index build`"
            ) from exc
        if mat.ndim != 2 or mat.shape[1] != self._dim or ids.shape != (mat.shape[0],):
            raise StaleIndexError(
                f"vector index {self._path} has shape {mat.shape} with {ids.shape[0]} ids, "
                f"expected (n, {self._dim}); run `curbside index build` to rebuild it"
            )
        if int(meta.get("count", len(ids))) != len(ids):
            raise StaleIndexError(
                f"vector index {self._path} and its sidecar disagree on the count "
                "(interrupted write?); run `curbside index build` to rebuild it"
            )
        self._mat = mat.astype(np.float32)
        self._ids = ids.astype(np.int64)

    @property
    def ids_path(self) -> Path:
        return self._path.with_name(self._path.stem + ".ids.npy")

    @property
    def path(self) -> Path:
        return self._path

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def __len__(self) -> int:
        return int(self._ids.size)

    def __contains__(self, item: object) -> bool:
        return is_storable_id(item) and bool(np.any(self._ids == int(item)))

    def ids(self) -> IdArray:
        return self._ids.copy()

    def vectors(self, ids: IdsLike) -> tuple[IdArray, npt.NDArray[np.float32]]:
        keys = check_lookup_ids(ids)
        row_of = {int(i): j for j, i in enumerate(self._ids)}
        found = [int(k) for k in keys if int(k) in row_of]
        rows = [row_of[k] for k in found]
        return np.asarray(found, dtype=np.int64), self._mat[rows].astype(np.float32)

    def add(self, ids: IdsLike, vectors: npt.ArrayLike) -> None:
        keys = check_ids(ids)
        mat = check_vectors(vectors, self._dim, len(keys))
        if keys.size == 0:
            return
        check_unique(keys)
        norms = np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
        # Round through float16 now so in-memory search matches a reloaded index.
        unit = (mat / norms).astype(np.float16).astype(np.float32)
        keep = ~np.isin(self._ids, keys)
        self._ids = np.concatenate([self._ids[keep], keys])
        self._mat = np.concatenate([self._mat[keep], unit])

    def remove(self, ids: IdsLike) -> int:
        keys = check_lookup_ids(ids)
        drop = np.isin(self._ids, keys)
        removed = int(drop.sum())
        if removed:
            self._ids = self._ids[~drop]
            self._mat = self._mat[~drop]
        return removed

    def search(
        self, query: npt.ArrayLike, k: int, allowed: Allowed = None
    ) -> list[tuple[int, float]]:
        q = check_query(query, self._dim)
        k = check_k(k)
        allow = check_allowed(allowed)
        if k == 0 or self._ids.size == 0:
            return []
        if allow is None:
            return top_hits(self._ids, self._mat @ q, k)
        rows = np.flatnonzero(np.isin(self._ids, allow))
        return top_hits(self._ids[rows], self._mat[rows] @ q, k)

    def flush(self) -> None:
        self.save()

    def save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        for target, arr in (
            (self.ids_path, self._ids),
            (self._path, self._mat.astype(np.float16)),
        ):
            tmp = target.with_name(target.name + ".tmp")
            with open(tmp, "wb") as f:
                np.save(f, arr, allow_pickle=False)
            os.replace(tmp, target)
        _write_meta(
            self._path,
            {
                "format": FORMAT_VERSION,
                "kind": self.kind,
                "fingerprint": self._fingerprint,
                "dim": self._dim,
                "dtype": self.dtype,
                "metric": "cos",
                "count": len(self),
                "created_at": self._created_at,
                "saved_at": _now(),
            },
        )


# -- factory ---------------------------------------------------------------------------------


def _created_at(path: Path) -> str:
    try:
        meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
        return str(meta.get("saved_at") or meta.get("created_at") or "")
    except (OSError, ValueError):
        return ""


def open_usearch_index(
    directory: Path, dim: int, fingerprint: str, create: bool
) -> UsearchVectorIndex:
    """Vector index ``usearch``: `UsearchVectorIndex` in ``directory/vectors.usearch``."""
    return UsearchVectorIndex(Path(directory) / USEARCH_FILE, dim, fingerprint, create=create)


def open_exact_index(
    directory: Path, dim: int, fingerprint: str, create: bool
) -> ExactVectorIndex:
    """Vector index ``exact``: `ExactVectorIndex` in ``directory/vectors.npy``."""
    return ExactVectorIndex(Path(directory) / EXACT_FILE, dim, fingerprint, create=create)


@dataclass(frozen=True)
class VectorIndexContext:
    """What a server-side vector index may need besides its directory: the engine of the
    store's database (``pgvector`` keeps its tables there) and the settings (a backend's own
    section). A factory that takes a keyword argument ``context`` receives one; the file
    backends do not."""

    engine: Engine | None = None
    settings: Settings | None = None


#: ``retrieval.vector_index = "auto"`` on a database of this dialect: the backend that
#: declared it prefers the dialect (`prefer_vector_index`); any other dialect gets
#: `AUTO_FALLBACK`.
_PREFERRED: dict[str, str] = {}
#: What ``"auto"`` picks on a database no backend prefers (SQLite): the int8 HNSW file.
AUTO_FALLBACK = "usearch"


def prefer_vector_index(dialect: str, name: str) -> None:
    """Declare backend ``name`` the ``"auto"`` choice on databases of ``dialect`` (a backend's
    registration calls it; the last declaration wins)."""
    _PREFERRED[dialect] = name


def vector_index_for(kind: str, dialect: str) -> str:
    """The backend name the setting ``kind`` means on a database of ``dialect``: itself, or for
    ``"auto"`` the backend that prefers the dialect, else `AUTO_FALLBACK`."""
    if kind != "auto":
        return kind
    from curbside.registry import VECTOR_INDEXES

    VECTOR_INDEXES.names()  # registers the built-ins, which declare their dialects
    return _PREFERRED.get(dialect, AUTO_FALLBACK)


def _takes_context(factory: Callable[..., object]) -> bool:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False
    return "context" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )


def open_vector_index(
    directory: str | os.PathLike[str],
    dim: int,
    fingerprint: str,
    kind: IndexKind = "auto",
    *,
    create: bool = False,
    expected_count: int | None = None,
    context: VectorIndexContext | None = None,
) -> VectorIndex:
    """Open (or with ``create=True`` start afresh) the vector index in ``directory``.

    ``kind`` names a backend in `curbside.registry.VECTOR_INDEXES` (an unknown name raises
    `UnknownBackendError`, a `ValueError`, listing the known ones). ``kind="auto"`` chooses
    between the built-in files: opening takes whichever index exists (the most recently saved
    if both); creating takes the exact index when ``expected_count`` is known and at most
    `EXACT_MAX_AUTO`, usearch otherwise. ``context`` goes to a factory that takes a keyword
    ``context`` (a server-side backend); the others are called without it.
    """
    from curbside.registry import VECTOR_INDEXES

    d = Path(directory)
    upath, epath = d / USEARCH_FILE, d / EXACT_FILE
    if kind == "auto":
        if create:
            small = expected_count is not None and expected_count <= EXACT_MAX_AUTO
            kind = "exact" if small else "usearch"
        else:
            have = [(p, k) for p, k in ((upath, "usearch"), (epath, "exact")) if p.exists()]
            if not have:
                raise MissingIndexError(
                    f"no vector index in {d}; run `curbside index build` to create it"
                )
            have.sort(key=lambda pk: _created_at(pk[0]), reverse=True)
            kind = "usearch" if have[0][1] == "usearch" else "exact"
    factory = VECTOR_INDEXES.get(kind)
    if context is not None and _takes_context(factory):
        return factory(d, dim, fingerprint, create, context=context)  # type: ignore[call-arg]
    return factory(d, dim, fingerprint, create)


def open_pgvector_index(
    directory: Path,
    dim: int,
    fingerprint: str,
    create: bool,
    *,
    context: VectorIndexContext | None = None,
) -> VectorIndex:
    """Vector index ``pgvector``: a table of the store's PostgreSQL database (needs ``context``
    with its engine; see `curbside.index.pgvector_index`)."""
    from curbside.index.pgvector_index import PgVectorIndex

    return PgVectorIndex(directory, dim, fingerprint, create=create, context=context)


def register_builtin_vector_indexes(reg: Registry[VectorIndexFactory]) -> None:
    """The built-in vector indexes (named by `curbside.registry.VECTOR_INDEXES`)."""
    reg.register("usearch", open_usearch_index)
    reg.register("exact", open_exact_index)
    reg.register("pgvector", open_pgvector_index)
    prefer_vector_index("postgresql", "pgvector")
    reg.register("milvus", open_milvus_index)


def open_milvus_index(
    directory: Path, dim: int, fingerprint: str, create: bool,
    *, context: VectorIndexContext | None = None,
) -> VectorIndex:
    """Vector index ``milvus``: a Milvus collection (`curbside.index.milvus_index`), on Milvus
    Lite in ``directory`` or on the server of ``retrieval.milvus_uri``. Imported only when
    used; needs the ``milvus`` extra."""
    from curbside.index.milvus_index import open_milvus_index as open_milvus

    return open_milvus(directory, dim, fingerprint, create, context=context)
