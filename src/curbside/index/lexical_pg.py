"""Lexical retrieval on PostgreSQL: weighted tsvectors, a GIN index and ``ts_rank_cd``.

The ``passage_tsv`` table comes from migration 0004. User text never becomes tsquery syntax:
each query phrase (word tokens only, see `query_phrases`) is a bind parameter of
``phraseto_tsquery``, and the phrases are OR-ed with the tsquery ``||`` operator in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, bindparam, text

from curbside.index.lexical import query_phrases

if TYPE_CHECKING:
    from curbside.index.filters import PassageFilter

CONFIG = "english"

#: The weighted document of one passage (``p`` passages joined to ``s`` sources). Weights
#: follow FTS5's column weights (title 2.0, text 1.0, section 0.5) through `RANK_WEIGHTS`.
TSV_SQL = (
    f"setweight(to_tsvector('{CONFIG}'::regconfig, s.title), 'A') || "
    f"setweight(to_tsvector('{CONFIG}'::regconfig, p.text), 'B') || "
    f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(p.section, '')), 'C')"
)

#: ts_rank_cd weights for labels {D, C, B, A}: section 0.25, text 0.5, title 1.0.
RANK_WEIGHTS = "{0.1, 0.25, 0.5, 1.0}"

#: ts_rank_cd normalisation 1: divide by 1 + log(document length), as bm25 damps long passages.
RANK_NORMALIZATION = 1

_CHUNK = 1000

_ADD = text(
    f"INSERT INTO passage_tsv (passage_id, tsv) SELECT p.id, {TSV_SQL} "
    "FROM passages p JOIN sources s ON s.id = p.source_id WHERE p.id IN :ids "
    "ON CONFLICT (passage_id) DO UPDATE SET tsv = EXCLUDED.tsv"
).bindparams(bindparam("ids", expanding=True))

_REMOVE = text("DELETE FROM passage_tsv WHERE passage_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


class PgFullTextLexicalIndex:
    """PostgreSQL full text over ``passage_tsv`` (created by migration 0004)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, conn: Connection, passage_ids: Sequence[int]) -> None:
        for i in range(0, len(passage_ids), _CHUNK):
            chunk = [int(x) for x in passage_ids[i : i + _CHUNK]]
            conn.execute(_ADD, {"ids": chunk})

    def remove(self, conn: Connection, passage_ids: Sequence[int]) -> None:
        for i in range(0, len(passage_ids), _CHUNK):
            chunk = [int(x) for x in passage_ids[i : i + _CHUNK]]
            conn.execute(_REMOVE, {"ids": chunk})

    def search(
        self, terms: Sequence[str], k: int, where: PassageFilter | None = None
    ) -> list[tuple[int, float]]:
        """Top-`k` (passage id, ts_rank_cd score; higher is better) for OR-ed `terms`; with
        ``where``, only current passages of its kinds and years (joined in the query)."""
        phrases = query_phrases(terms)
        if not phrases or k <= 0:
            return []
        params: dict[str, Any] = {f"t{i}": p for i, p in enumerate(phrases)}
        query = " || ".join(
            f"phraseto_tsquery('{CONFIG}'::regconfig, :t{i})" for i in range(len(phrases))
        )
        params["k"] = int(k)
        join, cond = "", ""
        if where is not None:
            from curbside.index.filters import sql_condition

            condition, extra = sql_condition(where, "src")
            params.update(extra)
            join = (
                " JOIN passages p ON p.id = t.passage_id JOIN sources src ON src.id = p.source_id"
            )
            cond = f" AND {condition}"
        sql = text(
            f"SELECT t.passage_id, ts_rank_cd('{RANK_WEIGHTS}'::float4[], t.tsv, q.q, "
            f"{RANK_NORMALIZATION}) AS s FROM passage_tsv t{join}, (SELECT {query} AS q) q "
            f"WHERE t.tsv @@ q.q{cond} ORDER BY s DESC, t.passage_id LIMIT :k"
        )
        with self.engine.connect() as conn:
            rows = conn.execute(sql, params).all()
        return [(int(r[0]), float(r[1])) for r in rows]

    def passage_count(self, term: str) -> int:
        """How many indexed passages hold `term` as a phrase."""
        phrases = query_phrases([term], max_terms=1)
        if not phrases:
            return 0
        sql = text(
            "SELECT count(*) FROM passage_tsv "
            f"WHERE tsv @@ phraseto_tsquery('{CONFIG}'::regconfig, :t)"
        )
        with self.engine.connect() as conn:
            return int(conn.execute(sql, {"t": phrases[0]}).scalar() or 0)

    def plan(self, terms: Sequence[str]) -> list[str]:
        """The phrases `search` ORs together (every one: ts_rank_cd has no FTS5 cost issue)."""
        return query_phrases(terms)

    def rebuild(self) -> int:
        """Re-create the index from the current passages; returns how many are indexed."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM passage_tsv")
            result = conn.exec_driver_sql(
                f"INSERT INTO passage_tsv (passage_id, tsv) SELECT p.id, {TSV_SQL} "
                "FROM passages p JOIN sources s ON s.id = p.source_id WHERE s.is_current"
            )
            return int(result.rowcount or 0)
