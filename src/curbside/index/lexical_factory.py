"""Pick the lexical index that fits the database: FTS5 on SQLite, full text on PostgreSQL.

The choice is a lookup of the database dialect in `curbside.registry.LEXICAL_INDEXES`, so a
plugin can add the lexical index of another database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from curbside.index.lexical import DEFAULT_POSTINGS_BUDGET, Fts5LexicalIndex, LexicalIndex

if TYPE_CHECKING:
    from curbside.registry import LexicalIndexFactory, Registry


def fts5_lexical_index(engine: Engine, postings_budget: int) -> LexicalIndex:
    """Lexical index ``sqlite``: FTS5, at most `postings_budget` postings read per query."""
    return Fts5LexicalIndex(engine, postings_budget=postings_budget)


def pg_full_text_lexical_index(engine: Engine, postings_budget: int) -> LexicalIndex:
    """Lexical index ``postgresql``: tsvector full text (no postings budget)."""
    from curbside.index.lexical_pg import PgFullTextLexicalIndex

    return PgFullTextLexicalIndex(engine)


def make_lexical_index(
    engine: Engine, *, postings_budget: int = DEFAULT_POSTINGS_BUDGET
) -> LexicalIndex:
    """The `LexicalIndex` for `engine`'s dialect (its tables come from the migrations).

    `postings_budget` bounds the work of one SQLite FTS5 query (see `Fts5LexicalIndex`).
    """
    from curbside.registry import LEXICAL_INDEXES, UnknownBackendError

    dialect = engine.dialect.name
    try:
        factory = LEXICAL_INDEXES.get(dialect)
    except UnknownBackendError as exc:
        raise ValueError(
            f"no lexical index for the {dialect!r} database: use SQLite or PostgreSQL ({exc})"
        ) from exc
    return factory(engine, postings_budget)


def register_builtin_lexical_indexes(reg: Registry[LexicalIndexFactory]) -> None:
    """The built-in lexical indexes by database dialect (`curbside.registry.LEXICAL_INDEXES`)."""
    reg.register("sqlite", fts5_lexical_index)
    reg.register("postgresql", pg_full_text_lexical_index)
