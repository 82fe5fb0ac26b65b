"""The ``pgvector`` vector index on a real PostgreSQL 16 with pgvector (pgserver, 0.6.2).

The shipped vector conformance suite twice: on a table with no HNSW index yet (exact scans,
what a build sees before its first flush) and on one whose HNSW index exists from the start
(every search walks the graph). Then filtered searches through the graph, the stored type the
server's pgvector version gives, and the whole engine on one PostgreSQL: ingest, build,
search and ask with the store, full text and vectors in the same database.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine

from curbside.index.filters import PassageFilter
from curbside.index.pgvector_index import FILTER_EXACT_MAX, PgVectorIndex, storage_type
from curbside.index.vectors import (
    StaleIndexError,
    VectorIndex,
    VectorIndexContext,
    open_vector_index,
)
from curbside.testing.vectors import DIM, Library, VectorIndexConformance, unit_vectors

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    from curbside.store.engine import make_engine

    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


class TestPgvector(VectorIndexConformance):
    """Opened as the dense index opens it: with the store's engine in the context."""

    @pytest.fixture
    def vector_index_kind(self, pg_engine: Engine) -> str:
        self.context = VectorIndexContext(engine=pg_engine)
        return "pgvector"


class TestPgvectorThroughHnsw(TestPgvector):
    """The same suite with the HNSW index built on the empty table: searches use the graph."""

    @pytest.fixture
    def index(self, vector_index_kind: str, tmp_path: Path) -> VectorIndex:
        index = self.open_index(vector_index_kind, tmp_path / "index", create=True)
        index.flush()
        assert isinstance(index, PgVectorIndex) and index.has_hnsw()
        return index


def _explain(engine: Engine, sql: str, params: dict[str, Any]) -> str:
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        from pgvector.psycopg import register_vector

        register_vector(raw)
        with raw.cursor() as cur:
            cur.execute("EXPLAIN " + sql, params)
            return "\n".join(r[0] for r in cur.fetchall())


def test_server_version_picks_the_stored_type(pg_engine: Engine, tmp_path: Path) -> None:
    index = PgVectorIndex(tmp_path / "idx", 8, "fp", create=True,
                          context=VectorIndexContext(engine=pg_engine))
    with pg_engine.connect() as conn:
        version = conn.exec_driver_sql(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).scalar_one()
        column_type = conn.exec_driver_sql(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            f"WHERE attrelid = '{index.table}'::regclass AND attname = 'embedding'"
        ).scalar_one()
    assert index.dtype == storage_type(version)
    assert column_type == f"{index.dtype}(8)"
    if version.startswith("0.6."):  # pgserver's pgvector: no halfvec yet
        assert index.dtype == "vector"


def test_filtered_graph_search_still_returns_k(pg_engine: Engine, tmp_path: Path) -> None:
    ctx = VectorIndexContext(engine=pg_engine)
    index = PgVectorIndex(tmp_path / "idx", DIM, "fp", create=True, context=ctx)
    n = 3 * FILTER_EXACT_MAX
    vecs = unit_vectors(20, n)
    index.add(np.arange(n), vecs)
    index.flush()
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(f"ANALYZE {index.table}")
    # The planner walks the graph for an unfiltered top-k.
    plan = _explain(pg_engine, f"SELECT id FROM {index.table} ORDER BY embedding <=> "
                    "%(q)s::vector LIMIT 10", {"q": vecs[0]})
    assert index.hnsw_index in plan

    exact = open_vector_index(tmp_path / "exact", DIM, "fp", "exact", create=True)
    exact.add(np.arange(n), vecs)
    allowed = np.arange(0, n, 2)  # half the rows: more than FILTER_EXACT_MAX, through the graph
    assert allowed.size > FILTER_EXACT_MAX
    found = 0
    for qi in range(20):
        hits = index.search(vecs[qi], 10, allowed=allowed)
        assert len(hits) == 10 and all(i % 2 == 0 for i, _ in hits)
        truth = {i for i, _ in exact.search(vecs[qi], 10, allowed=allowed)}
        found += len(truth & {i for i, _ in hits})
    assert found / 200 >= 0.9

    # A filter whose ids are mostly absent: the graph runs out, the exact scan finds them all.
    sparse = np.concatenate([np.arange(n, n + 10 * FILTER_EXACT_MAX), [3, 5, 7]])
    assert {i for i, _ in index.search(vecs[3], 10, allowed=sparse)} == {3, 5, 7}
    # k beyond what the graph gives in one walk: scored exactly, all of them.
    assert len(index.search(vecs[0], n, allowed=None)) == n


def test_reopening_keeps_the_stored_type_and_another_dimension_is_stale(
    pg_engine: Engine, tmp_path: Path
) -> None:
    ctx = VectorIndexContext(engine=pg_engine)
    first = PgVectorIndex(tmp_path / "idx", 8, "fp", create=True, context=ctx)
    first.add([1, 2], unit_vectors(1, 2, 8))
    again = PgVectorIndex(tmp_path / "idx", 8, "fp", context=ctx)
    assert again.dtype == first.dtype and len(again) == 2
    # Another home with the same directory name on the same database: the same table.
    elsewhere = PgVectorIndex(tmp_path / "other-home" / "idx", 8, "fp", context=ctx)
    assert sorted(elsewhere.ids().tolist()) == [1, 2]
    with pytest.raises(StaleIndexError, match="8-dimensional"):
        PgVectorIndex(tmp_path / "idx", 16, "fp", context=ctx)


def test_one_postgresql_runs_store_full_text_and_vectors(pg_url: str, tmp_path: Path) -> None:
    """CURBSIDE_DATABASE_URL alone (vector index "auto"): ingest, build, search and ask."""
    from curbside import services
    from curbside.config import Settings
    from curbside.index.lexical_pg import PgFullTextLexicalIndex
    from curbside.testing.conformance import E2E_NOTES, NOTES

    home = tmp_path / "home"
    rt = services.open_runtime(Settings(home=home, database_url=pg_url))
    try:
        assert isinstance(rt.lexical, PgFullTextLexicalIndex)
        assert rt.dense.backend == "pgvector"
        notes = tmp_path / "notes"
        notes.mkdir()
        for name in E2E_NOTES:
            shutil.copy(NOTES / name, notes / name)
        rep = services.ingest(rt, paths=[notes], fmt="markdown", embed=False)
        assert rep.total("added") == len(E2E_NOTES)
        status = services.build_index(rt)
        assert status["embedded"] == rep.total("passages") == status["vectors"]
        assert status["missing"] == 0
        index = rt.dense.index()
        assert isinstance(index, PgVectorIndex) and index.has_hnsw()
        assert not any(p.is_file() for p in home.rglob("vectors*"))  # no vector file

        result = services.search(rt, query="What helps chronic low back pain?", k=5)
        assert result.evidence and any("dense" in e.scores for e in result.evidence)
        assert "back pain" in " ".join(e.source.title.lower() for e in result.evidence)
        # Filters go into both PostgreSQL queries: full text and pgvector join the store.
        by_kind = {k: set(rt.store.passage_ids_where(kinds=[k])) for k in ("guideline",
                                                                           "patient_info")}
        assert all(by_kind.values())
        top = str(result.evidence[0].source.kind)
        other = next(k for k in by_kind if k != top)  # not the kind that ranks first
        where = PassageFilter(kinds=frozenset({other}))
        matching = by_kind[other]
        _a, lists, _t = rt.retriever.raw_lists("low back pain", 5, where=where)
        assert lists["lexical"] and {i for i, _ in lists["lexical"]} <= matching
        assert len(lists["dense"]) == min(5, len(matching))
        assert {i for i, _ in lists["dense"]} <= matching
        filtered = services.search(rt, query="low back pain", k=5, kinds=[other])
        assert all(e.source.kind == other for e in filtered.evidence)
        article = services.ask(rt, question="What helps chronic low back pain?")
        assert article.id is not None and not article.insufficient and article.references
        assert all(c.citations for c in article.all_claims() if not c.ours)
    finally:
        rt.close()

    # A second process (another home, same database) finds the vectors already built.
    rt2 = services.open_runtime(Settings(home=tmp_path / "replica", database_url=pg_url))
    try:
        assert rt2.dense.exists() and rt2.dense.status().missing == 0
        assert services.search(rt2, query="low back pain", k=3).evidence
    finally:
        rt2.close()


def test_filtered_search_joins_the_store_through_the_graph(
    pg_engine: Engine, tmp_path: Path
) -> None:
    """Kind and year pushed into SQL (a join on the store's passages and sources): more
    matching passages than FILTER_EXACT_MAX go through the HNSW walk, still k of them, near
    the exact answer; a superseded source's vectors are never returned."""
    library = Library.open(pg_engine)
    per = 512
    for s_no in range(3 * FILTER_EXACT_MAX // per):
        library.add(f"s:{s_no}", "rct" if s_no % 2 else "review", 2000 + s_no, per)
    ids = np.asarray(sorted(library.current()), dtype=np.int64)
    vecs = unit_vectors(80, ids.size)
    index = PgVectorIndex(tmp_path / "idx", DIM, "fp", create=True,
                          context=VectorIndexContext(engine=pg_engine))
    index.add(ids, vecs)
    index.flush()
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(f"ANALYZE {index.table}")
        conn.exec_driver_sql("ANALYZE passages")
        conn.exec_driver_sql("ANALYZE sources")
    where = PassageFilter(kinds=frozenset({"rct"}))
    matching = library.matching(where)
    assert len(matching) > FILTER_EXACT_MAX
    plan = _explain(
        pg_engine,
        f"SELECT v.id FROM {index.table} v JOIN passages p ON p.id = v.id JOIN sources s "
        "ON s.id = p.source_id WHERE s.is_current AND s.kind = ANY(%(k)s::text[]) "
        "ORDER BY v.embedding <=> %(q)s::vector LIMIT 10",
        {"q": vecs[0], "k": ["rct"]},
    )
    assert index.hnsw_index in plan  # the planner walks the graph under the join
    vec_of = dict(zip(ids.tolist(), vecs, strict=True))
    found = 0
    for qi in range(0, 400, 20):
        hits = index.search_where(vecs[qi], 10, where)
        assert len(hits) == 10 and {i for i, _ in hits} <= matching
        truth = sorted(matching, key=lambda i: -float(vec_of[i] @ vecs[qi]))[:10]
        found += len(set(truth) & {i for i, _ in hits})
    assert found / 200 >= 0.9
    # Supersede half of the rct sources: their passages drop out at once, in the same SQL.
    for s_no in range(1, 12, 4):
        library.add(f"s:{s_no}", "rct", 2000 + s_no, 2, version=2)
    now = library.matching(where)
    for qi in range(0, 100, 25):
        hits = index.search_where(vecs[qi], 10, where)
        assert len(hits) == 10 and {i for i, _ in hits} <= now
