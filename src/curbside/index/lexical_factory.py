"""Pick the lexical index that fits the database: FTS5 on SQLite, full text on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from curbside.index.lexical import Fts5LexicalIndex, LexicalIndex


def make_lexical_index(engine: Engine) -> LexicalIndex:
    """The `LexicalIndex` for `engine`'s dialect (its tables come from the migrations)."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        return Fts5LexicalIndex(engine)
    if dialect == "postgresql":
        from curbside.index.lexical_pg import PgFullTextLexicalIndex

        return PgFullTextLexicalIndex(engine)
    raise ValueError(f"no lexical index for the {dialect!r} database: use SQLite or PostgreSQL")
