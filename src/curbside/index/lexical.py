"""Lexical retrieval: SQLite FTS5 bm25 with column weights and the porter stemmer.

User text is never passed to FTS5 as query syntax: it is cut into word tokens and every token
or phrase is emitted as a double-quoted string, so `NEAR`, `*`, `-`, `:` and brackets are inert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import Connection, Engine, text

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

#: bm25 weights for the (title, section, text) columns.
COLUMN_WEIGHTS = (2.0, 0.5, 1.0)

#: Words too common to help a bm25 OR query (they also make it slow).
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


class LexicalIndex(Protocol):
    """Keyword index over current passages."""

    def add(self, conn: Connection, passage_ids: Sequence[int]) -> None: ...

    def remove(self, conn: Connection, passage_ids: Sequence[int]) -> None: ...

    def search(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]: ...

    def rebuild(self) -> int: ...


def tokens(text_: str) -> list[str]:
    """Lower-cased word tokens of `text_` (letters and digits only)."""
    return [t.lower() for t in _WORD.findall(text_)]


def query_phrases(terms: Iterable[str], *, max_terms: int = 32) -> list[str]:
    """The distinct word phrases to OR together: each term cut into word tokens.

    A one-word term that is a stop word is dropped (repeated or very common OR terms make a
    full-text query pathologically slow); at most `max_terms` phrases are kept.
    """
    seen: set[str] = set()
    parts: list[str] = []
    for term in terms:
        words = [w for w in tokens(term) if w not in STOPWORDS or len(tokens(term)) > 1]
        if not words:
            continue
        key = " ".join(words)
        if key in seen:
            continue
        seen.add(key)
        parts.append(key)
        if len(parts) >= max_terms:
            break
    return parts


def match_expression(terms: Iterable[str], *, max_terms: int = 32) -> str:
    """An FTS5 MATCH string OR-ing quoted terms; multi-word terms become quoted phrases.

    Returns "" when nothing searchable is left.
    """
    phrases = query_phrases(terms, max_terms=max_terms)
    return " OR ".join('"' + key.replace('"', '""') + '"' for key in phrases)


class Fts5LexicalIndex:
    """FTS5 over the ``passage_fts_content`` view (created by migration 0001)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, conn: Connection, passage_ids: Sequence[int]) -> None:
        for i in range(0, len(passage_ids), 500):
            chunk = ",".join(str(int(x)) for x in passage_ids[i : i + 500])
            conn.exec_driver_sql(
                "INSERT INTO passage_fts(rowid, title, section, text) "
                "SELECT id, title, coalesce(section, ''), text FROM passage_fts_content "
                f"WHERE id IN ({chunk})"
            )

    def remove(self, conn: Connection, passage_ids: Sequence[int]) -> None:
        for i in range(0, len(passage_ids), 500):
            chunk = ",".join(str(int(x)) for x in passage_ids[i : i + 500])
            conn.exec_driver_sql(
                "INSERT INTO passage_fts(passage_fts, rowid, title, section, text) "
                f"SELECT 'delete', id, title, coalesce(section, ''), text FROM passage_fts_content "
                f"WHERE id IN ({chunk})"
            )

    def search(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Top-`k` (passage id, bm25 score; higher is better) for OR-ed `terms`."""
        expr = match_expression(terms)
        if not expr or k <= 0:
            return []
        w = COLUMN_WEIGHTS
        sql = text(
            f"SELECT rowid, bm25(passage_fts, {w[0]}, {w[1]}, {w[2]}) AS s FROM passage_fts "
            "WHERE passage_fts MATCH :q ORDER BY s LIMIT :k"
        )
        with self.engine.connect() as conn:
            rows = conn.execute(sql, {"q": expr, "k": int(k)}).all()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def rebuild(self) -> int:
        """Re-create the index from the current passages; returns how many are indexed."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO passage_fts(passage_fts) VALUES('delete-all')")
            conn.exec_driver_sql(
                "INSERT INTO passage_fts(rowid, title, section, text) "
                "SELECT c.id, c.title, coalesce(c.section, ''), c.text FROM passage_fts_content c "
                "JOIN passages p ON p.id = c.id JOIN sources s ON s.id = p.source_id "
                "WHERE s.is_current"
            )
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM passage_fts_content c JOIN passages p "
                "ON p.id = c.id JOIN sources s ON s.id = p.source_id "
                "WHERE s.is_current"
            ).scalar()
        return int(n or 0)
