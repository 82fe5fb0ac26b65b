"""Pick the lexical index that fits the database: FTS5 on SQLite, full text on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from curbside.index.lexical import DEFAULT_POSTINGS_BUDGET, Fts5LexicalIndex, LexicalIndex


def make_lexical_index(
    engine: Engine, *, postings_budget: int = DEFAULT_POSTINGS_BUDGET
) -> LexicalIndex:
    """The `LexicalIndex` for `engine`'s dialect (its tables come from the migrations).

    `postings_budget` bounds the work of one SQLite FTS5 query (see `Fts5LexicalIndex`).
    """
    dialect = engine.dialect.name
    if dialect == "sqlite":
        return Fts5LexicalIndex(engine, postings_budget=postings_budget)
    if dialect == "postgresql":
        from curbside.index.lexical_pg import PgFullTextLexicalIndex

        return PgFullTextLexicalIndex(engine)
    raise ValueError(f"no lexical index for the {dialect!r} database: use SQLite or PostgreSQL")
