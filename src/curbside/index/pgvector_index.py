"""Vector index ``pgvector``: vectors in the PostgreSQL database that holds the store.

With ``CURBSIDE_DATABASE_URL=postgresql+psycopg://…`` the store, the lexical index (tsvector)
and, with this backend, the vectors all live in one PostgreSQL database. The index for one
embedder and chunking fingerprint is one table, named after the dense index directory (the
directory itself stays empty)::

    curbside_vec_<directory name>_<hash> (id bigint PRIMARY KEY, embedding vector(dim))

with an HNSW index (cosine distance) and a row in ``curbside_vector_indexes`` naming its
fingerprint, dimension and storage type. A server with pgvector 0.7 or newer stores
``halfvec`` (2 bytes per dimension); older ones (pgserver ships 0.6.2) store ``vector``
(4 bytes), chosen once when the table is created (`storage_type`).

Writes go through: each ``add`` (an upsert, ``INSERT … ON CONFLICT``) and ``remove`` commits
at once. ``flush`` builds the HNSW index when the table has none yet: creating a table leaves
it out, so a bulk build (``curbside index build``) inserts first and builds the graph once,
several times faster than growing it row by row; later rows join the graph as they come.
Until then a search scans the table exactly.

An ``allowed`` filter goes into the SQL (``id = ANY(…)``). A small filter (at most
`FILTER_EXACT_MAX` ids) or one too selective for the graph is scored exactly over the allowed
rows; otherwise the HNSW search runs with ``hnsw.ef_search`` raised by the filter's
selectivity so it still finds ``k`` allowed rows, and falls back to the exact scan when it
does not.

A `curbside.index.filters.PassageFilter` (evidence kind, year) goes into the SQL too
(`PgVectorIndex.search_where`): the table is joined to the store's ``passages`` and ``sources``
on the passage id, with ``kind``, ``year`` and ``is_current`` in the WHERE clause. A join, not
columns copied beside the vector: a passage id names one version of one source, so nothing has
to be kept in step, and a superseded version drops out in the same statement that the store's
``is_current`` changes. The same exact-or-graph choice applies, judged by a bounded count of
the matching passages.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from curbside.index.vectors import (
    Allowed,
    IdArray,
    IdsLike,
    MissingIndexError,
    StaleIndexError,
    VectorIndexContext,
    VectorIndexError,
    check_allowed,
    check_ids,
    check_k,
    check_lookup_ids,
    check_query,
    check_unique,
    check_vectors,
    is_storable_id,
    top_hits,
)

if TYPE_CHECKING:
    import psycopg
    from psycopg.sql import Composed
    from sqlalchemy import Engine

    from curbside.index.filters import PassageFilter

__all__ = [
    "FILTER_EXACT_MAX",
    "HALFVEC_SINCE",
    "META_TABLE",
    "PgVectorIndex",
    "parse_version",
    "storage_type",
    "table_names",
]

#: The table that names each vector table's fingerprint, dimension and storage type.
META_TABLE = "curbside_vector_indexes"
#: The first pgvector release with ``halfvec`` (half-precision vectors, half the bytes).
HALFVEC_SINCE = (0, 7, 0)
#: pgvector's upper bound for ``hnsw.ef_search``; a search needing more is done exactly.
EF_SEARCH_MAX = 1000
#: ``hnsw.ef_search`` for an unfiltered search of ``k`` (pgvector's default is 40): candidates
#: kept per query, at least this many and at least ``2 k``.
EF_SEARCH_MIN = 100
#: An ``allowed`` filter of at most this many ids is scored exactly (by primary key): a few
#: thousand distance computations cost less than a graph walk that must skip most rows.
FILTER_EXACT_MAX = 4096
#: HNSW build parameters (pgvector's defaults): links per node, candidates while building.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
#: A filtered search counts the matching passages up to this many to judge its selectivity
#: (a bounded count: beyond it the filter is broad and the graph walk suits it anyway).
SELECTIVITY_CAP = 100_000
_PREFIX = "curbside_vec_"
#: ``conn.info`` key: the psycopg connection has the pgvector types registered.
_REGISTERED = "curbside_pgvector_types"


def parse_version(text: str) -> tuple[int, ...]:
    """``"0.6.2"`` -> ``(0, 6, 2)``; trailing text after the numbers is ignored."""
    m = re.match(r"\s*(\d+(?:\.\d+)*)", text)
    if not m:
        raise ValueError(f"not a pgvector version: {text!r}")
    return tuple(int(p) for p in m.group(1).split("."))


def storage_type(extversion: str) -> str:
    """The column type for vectors on a server with pgvector ``extversion``: ``halfvec`` from
    0.7 on, ``vector`` before."""
    return "halfvec" if parse_version(extversion) >= HALFVEC_SINCE else "vector"


def table_names(directory: Path) -> tuple[str, str]:
    """``(table, HNSW index)`` for the dense index directory: its name, made a PostgreSQL
    identifier (lower case, ``_``), plus a hash of the name (so two names never share one),
    within PostgreSQL's 63-byte limit."""
    name = Path(directory).name
    base = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40] or "index"
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{_PREFIX}{base}_{digest}", f"curbside_hnsw_{base}_{digest}"


def _filter_sql(where: PassageFilter) -> tuple[str, dict[str, Any]]:
    """The WHERE condition (on ``sources s``) and parameters of a `PassageFilter`."""
    from curbside.index.filters import sql_condition

    return sql_condition(where, "s", "%({})s")


def _engine_of(context: VectorIndexContext | None) -> Engine:
    engine = context.engine if context is not None else None
    if engine is None:
        raise VectorIndexError(
            "the pgvector vector index keeps vectors in the PostgreSQL database of the store: "
            "set CURBSIDE_DATABASE_URL=postgresql+psycopg://… (or choose another index with "
            "CURBSIDE_RETRIEVAL__VECTOR_INDEX)"
        )
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        raise VectorIndexError(
            f"the pgvector vector index needs PostgreSQL through psycopg 3 "
            f"(postgresql+psycopg://…), not {engine.dialect.name}+{engine.dialect.driver}; "
            "set CURBSIDE_RETRIEVAL__VECTOR_INDEX=usearch to keep vectors in a file"
        )
    return engine


class PgVectorIndex:
    """Passage id -> unit vector in a PostgreSQL table (pgvector), HNSW cosine search.

    ``create=True`` enables the ``vector`` extension if needed and starts an empty table
    (dropping the old one of this directory); ``create=False`` opens the existing one and
    raises `MissingIndexError` or `StaleIndexError`.
    """

    kind = "pgvector"

    def __init__(
        self,
        directory: str | Path,
        dim: int,
        fingerprint: str,
        *,
        create: bool = False,
        context: VectorIndexContext | None = None,
    ) -> None:
        self._engine = _engine_of(context)
        self._directory = Path(directory)
        self._dim = int(dim)
        self._fingerprint = fingerprint
        self.table, self.hnsw_index = table_names(self._directory)
        self.dtype = self._create() if create else self._check()

    # -- set-up -----------------------------------------------------------------------------
    @contextmanager
    def _cursor(self, *, types: bool = True) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor in one transaction (committed on success); ``types`` registers the pgvector
        types on the connection first (once per pooled connection)."""
        with self._engine.begin() as conn:
            raw: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
            if types and not conn.info.get(_REGISTERED):
                from pgvector.psycopg import register_vector

                register_vector(raw)
                conn.info[_REGISTERED] = True
            with raw.cursor() as cur:
                yield cur

    def _sql(self, template: str) -> Composed:
        from psycopg import sql

        return sql.SQL(template).format(
            table=sql.Identifier(self.table),
            hnsw=sql.Identifier(self.hnsw_index),
            meta=sql.Identifier(META_TABLE),
            dtype=sql.SQL(self.dtype),
        )

    def _where(self) -> str:
        return f"{self.table} for {self._directory.name}"

    def _create(self) -> str:
        from psycopg import errors, sql

        with self._cursor(types=False) as cur:
            # One creator at a time: the extension, the meta table and the table.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('curbside_pgvector'))")
            cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cur.fetchone()
            if row is None:
                try:
                    cur.execute("CREATE EXTENSION vector")
                except (errors.InsufficientPrivilege, errors.FeatureNotSupported,
                        errors.UndefinedFile) as exc:
                    raise VectorIndexError(
                        "cannot enable the pgvector extension in this database "
                        f"({type(exc).__name__}: {exc}); install pgvector on the server and "
                        "run `CREATE EXTENSION vector` as the database owner, or set "
                        "CURBSIDE_RETRIEVAL__VECTOR_INDEX=usearch to keep vectors in a file"
                    ) from exc
                cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
                row = cur.fetchone()
            assert row is not None
            self.dtype = storage_type(str(row[0]))
            cur.execute(self._sql(
                "CREATE TABLE IF NOT EXISTS {meta} (name text PRIMARY KEY, "
                "directory text NOT NULL, fingerprint text NOT NULL, dim integer NOT NULL, "
                "dtype text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
            ))
            cur.execute(self._sql("DROP TABLE IF EXISTS {table}"))
            cur.execute(self._sql(
                f"CREATE TABLE {{table}} (id bigint PRIMARY KEY, "
                f"embedding {{dtype}}({self._dim}) NOT NULL)"
            ))
            cur.execute(
                sql.SQL(
                    "INSERT INTO {meta} (name, directory, fingerprint, dim, dtype) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
                    "directory = EXCLUDED.directory, fingerprint = EXCLUDED.fingerprint, "
                    "dim = EXCLUDED.dim, dtype = EXCLUDED.dtype, created_at = now()"
                ).format(meta=sql.Identifier(META_TABLE)),
                (self.table, self._directory.name, self._fingerprint, self._dim, self.dtype),
            )
        return self.dtype

    def _check(self) -> str:
        from psycopg import sql

        with self._cursor(types=False) as cur:
            cur.execute(
                "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
                (META_TABLE, self.table),
            )
            have_meta, have_table = cur.fetchone() or (False, False)
            row = None
            if have_meta:
                cur.execute(
                    sql.SQL("SELECT fingerprint, dim, dtype FROM {meta} WHERE name = %s")
                    .format(meta=sql.Identifier(META_TABLE)),
                    (self.table,),
                )
                row = cur.fetchone()
        if row is None or not have_table:
            raise MissingIndexError(
                f"no pgvector index {self._where()} in the database; "
                "run `curbside index build` to create it"
            )
        fingerprint, dim, dtype = str(row[0]), int(row[1]), str(row[2])
        if fingerprint != self._fingerprint:
            raise StaleIndexError(
                f"pgvector index {self._where()} was built with settings fingerprint "
                f"{fingerprint!r}, expected {self._fingerprint!r} (embedder or chunking changed); "
                "run `curbside index build` to rebuild it"
            )
        if dim != self._dim:
            raise StaleIndexError(
                f"pgvector index {self._where()} holds {dim}-dimensional vectors, expected "
                f"{self._dim}; run `curbside index build` to rebuild it"
            )
        return dtype

    # -- VectorIndex ------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def __len__(self) -> int:
        with self._cursor(types=False) as cur:
            cur.execute(self._sql("SELECT count(*) FROM {table}"))
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def __contains__(self, item: object) -> bool:
        if not is_storable_id(item):
            return False
        with self._cursor(types=False) as cur:
            cur.execute(self._sql("SELECT 1 FROM {table} WHERE id = %s"), (int(item),))
            return cur.fetchone() is not None

    def ids(self) -> IdArray:
        with self._cursor(types=False) as cur:
            cur.execute(self._sql("SELECT id FROM {table}"))
            rows = cur.fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vectors(self, ids: IdsLike) -> tuple[IdArray, npt.NDArray[np.float32]]:
        keys = check_lookup_ids(ids)
        found: dict[int, npt.NDArray[np.float32]] = {}
        if keys.size:
            with self._cursor() as cur:
                cur.execute(
                    self._sql(
                        "SELECT id, embedding::vector FROM {table} WHERE id = ANY(%s::bigint[])"
                    ),
                    (keys.tolist(),),
                )
                for pid, vec in cur.fetchall():
                    found[int(pid)] = np.asarray(vec.to_numpy(), dtype=np.float32)
        order = [int(k) for k in keys if int(k) in found]
        if not order:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self._dim), dtype=np.float32)
        mat = np.stack([found[k] for k in order]).astype(np.float32)
        mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
        return np.asarray(order, dtype=np.int64), mat

    def add(self, ids: IdsLike, vectors: npt.ArrayLike) -> None:
        keys = check_ids(ids)
        mat = check_vectors(vectors, self._dim, len(keys))
        if keys.size == 0:
            return
        check_unique(keys)
        unit = mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
        with self._cursor() as cur:
            cur.executemany(
                self._sql(
                    "INSERT INTO {table} (id, embedding) VALUES (%s, %s::{dtype}) "
                    "ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding"
                ),
                [(int(k), row) for k, row in zip(keys.tolist(), unit, strict=True)],
            )

    def remove(self, ids: IdsLike) -> int:
        keys = check_lookup_ids(ids)
        if keys.size == 0:
            return 0
        with self._cursor(types=False) as cur:
            cur.execute(
                self._sql("DELETE FROM {table} WHERE id = ANY(%s::bigint[])"),
                (np.unique(keys).tolist(),),
            )
            return max(int(cur.rowcount), 0)

    def search(
        self, query: npt.ArrayLike, k: int, allowed: Allowed = None
    ) -> list[tuple[int, float]]:
        q = check_query(query, self._dim)
        k = check_k(k)
        allow = check_allowed(allowed)
        if k == 0:
            return []
        if allow is not None and allow.size == 0:
            return []
        with self._cursor() as cur:
            if allow is not None and allow.size <= FILTER_EXACT_MAX:
                return self._exact(cur, q, k, allow)
            ef = self._ef_search(cur, k, allow)
            if ef is None:
                return self._exact(cur, q, k, allow)
            cur.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
            where = "" if allow is None else "WHERE id = ANY(%(allowed)s::bigint[]) "
            cur.execute(
                self._sql(
                    "SELECT id, embedding <=> %(q)s::{dtype} FROM {table} " + where
                    + "ORDER BY embedding <=> %(q)s::{dtype} LIMIT %(k)s"
                ),
                {"q": q, "k": k, "allowed": None if allow is None else allow.tolist()},
            )
            hits = self._ranked(cur.fetchall(), k)
            if allow is not None and len(hits) < k:
                # The graph walk ran out of allowed rows: score the allowed rows exactly.
                return self._exact(cur, q, k, allow)
            return hits

    # -- filtered by the store ---------------------------------------------------------------
    #: `search_where` joins the store's tables, so it keeps to current passages itself.
    filters_versions = True

    def search_where(
        self, query: npt.ArrayLike, k: int, where: PassageFilter
    ) -> list[tuple[int, float]]:
        """Top ``k`` among current passages matching ``where``: the table joined to the store's
        ``passages`` and ``sources`` (same database) on the passage id, kind, year and
        ``is_current`` in the SQL. Few matching passages (at most `FILTER_EXACT_MAX`): scored
        exactly; more: the HNSW walk with ``hnsw.ef_search`` raised by the filter's
        selectivity, and the exact scan when the walk finds fewer than ``k``."""
        q = check_query(query, self._dim)
        k = check_k(k)
        if k == 0:
            return []
        cond, params = _filter_sql(where)
        params.update({"q": q, "k": k})
        join = (
            "FROM {table} v JOIN passages p ON p.id = v.id "
            "JOIN sources s ON s.id = p.source_id WHERE " + cond
        )
        exact = self._sql(
            "WITH scored AS MATERIALIZED (SELECT v.id, v.embedding <=> %(q)s::{dtype} AS d "
            + join + ") SELECT id, d FROM scored ORDER BY d, id LIMIT %(k)s"
        )
        with self._cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM (SELECT 1 FROM passages p JOIN sources s "
                f"ON s.id = p.source_id WHERE {cond} LIMIT %(cap)s) m",
                {**params, "cap": SELECTIVITY_CAP},
            )
            row = cur.fetchone()
            matching = int(row[0]) if row else 0
            if matching == 0:
                return []
            ef = None
            if matching > FILTER_EXACT_MAX:
                cur.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
                            (self.table,))
                rel = cur.fetchone()
                total = max(float(rel[0]) if rel else 0.0, float(matching))
                want = max(EF_SEARCH_MIN, 2 * k, math.ceil(2 * k * total / matching))
                ef = want if want <= EF_SEARCH_MAX else None
            if ef is None:
                cur.execute(exact, params)
                return self._ranked(cur.fetchall(), k)
            cur.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
            cur.execute(
                self._sql(
                    "SELECT v.id, v.embedding <=> %(q)s::{dtype} " + join
                    + " ORDER BY v.embedding <=> %(q)s::{dtype} LIMIT %(k)s"
                ),
                params,
            )
            hits = self._ranked(cur.fetchall(), k)
            if len(hits) < k:  # the walk ran out of matching rows: score them exactly
                cur.execute(exact, params)
                return self._ranked(cur.fetchall(), k)
            return hits

    def _ef_search(self, cur: psycopg.Cursor[Any], k: int, allow: IdArray | None) -> int | None:
        """``hnsw.ef_search`` that should find ``k`` rows (``allowed`` ones: scaled by the
        filter's selectivity), or None when more than pgvector allows: search exactly."""
        want = max(EF_SEARCH_MIN, 2 * k)
        if allow is not None:
            cur.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
                        (self.table,))
            row = cur.fetchone()
            total = max(float(row[0]) if row else 0.0, float(allow.size))
            want = max(want, math.ceil(2 * k * total / allow.size))
        return want if want <= EF_SEARCH_MAX else None

    def _exact(
        self, cur: psycopg.Cursor[Any], q: npt.NDArray[np.float32], k: int, allow: IdArray | None
    ) -> list[tuple[int, float]]:
        """Score every (allowed) row: the materialised CTE keeps the planner off the graph."""
        where = "" if allow is None else " WHERE id = ANY(%(allowed)s::bigint[])"
        cur.execute(
            self._sql(
                "WITH scored AS MATERIALIZED (SELECT id, embedding <=> %(q)s::{dtype} AS d "
                "FROM {table}" + where + ") SELECT id, d FROM scored ORDER BY d, id LIMIT %(k)s"
            ),
            {"q": q, "k": k, "allowed": None if allow is None else allow.tolist()},
        )
        return self._ranked(cur.fetchall(), k)

    @staticmethod
    def _ranked(rows: list[tuple[Any, ...]], k: int) -> list[tuple[int, float]]:
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        scores = np.asarray([1.0 - float(r[1]) for r in rows], dtype=np.float32)
        return top_hits(ids, scores, k)

    def flush(self) -> None:
        """Writes are already committed; build the HNSW index if the table has none yet."""
        opclass = f"{self.dtype}_cosine_ops"
        with self._cursor(types=False) as cur:
            cur.execute(self._sql(
                "CREATE INDEX IF NOT EXISTS {hnsw} ON {table} USING hnsw (embedding "
                + opclass + f") WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
            ))

    def has_hnsw(self) -> bool:
        """Whether the table's HNSW index exists (built by the first `flush`)."""
        with self._cursor(types=False) as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (self.hnsw_index,))
            row = cur.fetchone()
        return bool(row and row[0])
