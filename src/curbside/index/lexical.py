"""Lexical retrieval: SQLite FTS5 bm25 with column weights and the porter stemmer.

User text is never passed to FTS5 as query syntax: it is cut into word tokens and every token
or phrase is emitted as a double-quoted string, so `NEAR`, `*`, `-`, `:` and brackets are inert.
"""

from __future__ import annotations

import inspect
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine, text

from curbside.text.stopwords import STOPWORDS
from curbside.text.tokens import lexical_tokens

if TYPE_CHECKING:
    from curbside.index.filters import PassageFilter

#: bm25 weights for the (title, section, text) columns.
COLUMN_WEIGHTS = (2.0, 0.5, 1.0)

#: The FTS5 tokenizer of ``passage_fts`` (migration 0001 holds its own copy).
TOKENIZER = "porter unicode61 remove_diacritics 2"

#: Default most posting-list entries (passages per term, summed) one query may read (the
#: setting ``retrieval.lexical_postings_budget`` repeats it: config stays free of SQLAlchemy).
#: FTS5 scores every passage an OR query matches and scans every term's whole posting list
#: to weigh it, so one term found in a third of the library costs a second; such a term adds
#: almost nothing to bm25 (its idf is near zero). See `plan_phrases`.
DEFAULT_POSTINGS_BUDGET = 2000

#: Seconds a remembered term count is used before it is read again.
DOC_FREQ_TTL_S = 600.0

class LexicalIndex(Protocol):
    """Keyword index over current passages."""

    def add(self, conn: Connection, passage_ids: Sequence[int]) -> None: ...

    def remove(self, conn: Connection, passage_ids: Sequence[int]) -> None: ...

    def search(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]: ...

    def plan(self, terms: Sequence[str]) -> list[str]:
        """The phrases `search` would OR together for `terms`."""
        ...

    def passage_count(self, term: str) -> int:
        """How many indexed passages hold `term` (a multi-word term as a phrase); 0 for a
        term with nothing searchable. The query expansion's vocabulary-gap rule compares
        these (`retrieve.expansion.vocabulary_gap`); an index without this method expands
        every term."""
        ...

    def rebuild(self) -> int: ...


def query_phrases(terms: Iterable[str], *, max_terms: int = 32) -> list[str]:
    """The distinct word phrases to OR together: each term cut into word tokens.

    A one-word term that is a stop word is dropped (repeated or very common OR terms make a
    full-text query pathologically slow); at most `max_terms` phrases are kept.
    """
    seen: set[str] = set()
    parts: list[str] = []
    for term in terms:
        toks = lexical_tokens(term)
        words = [w for w in toks if w not in STOPWORDS or len(toks) > 1]
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


def plan_phrases(
    phrase_stems: Sequence[Sequence[str]], doc_freq: Mapping[str, int], budget: int
) -> list[int]:
    """Which phrases (by index) to put in the query, within a budget of posting entries.

    `phrase_stems` holds each phrase's indexed terms, `doc_freq` how many passages hold each
    term. A phrase with a term found nowhere matches nothing and is left out (the result is
    the same without it). The others are taken rarest first (a phrase is as rare as its
    rarest term) while the sum of their terms' posting-list lengths stays within `budget`; the
    rarest phrase is always taken, so a query never loses all its terms. What is left out is
    the most common terms, whose bm25 weight is smallest. Kept phrases stay in query order.
    """
    costed: list[tuple[int, int, int]] = []  # (rarity, cost, index)
    for i, stems in enumerate(phrase_stems):
        terms = set(stems)
        if not terms or any(doc_freq.get(t, 0) == 0 for t in terms):
            continue
        costed.append((min(doc_freq[t] for t in terms), sum(doc_freq[t] for t in terms), i))
    costed.sort()
    kept: list[int] = []
    spent = 0
    for _rarity, cost, i in costed:
        if kept and spent + cost > budget:
            continue
        kept.append(i)
        spent += cost
    return sorted(kept)


class _Fts5Stemmer:
    """The terms FTS5 indexes for a word, from an in-memory table with the same tokenizer.

    Using SQLite's own tokenizer (not a Python port of Porter) keeps query terms and indexed
    terms identical.
    """

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(f"CREATE VIRTUAL TABLE probe USING fts5(t, tokenize='{TOKENIZER}')")
        self._conn.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, 'instance')")
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, ...]] = {}

    def stems(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        todo = sorted({w for w in words if w not in self._cache})
        if todo:
            with self._lock:
                self._conn.execute("DELETE FROM probe")
                self._conn.executemany(
                    "INSERT INTO probe(rowid, t) VALUES (?, ?)", list(enumerate(todo, 1))
                )
                found: dict[int, list[str]] = {}
                for doc, term in self._conn.execute(
                    "SELECT doc, term FROM probe_terms ORDER BY doc, offset"
                ):
                    found.setdefault(int(doc), []).append(str(term))
                if len(self._cache) > 50_000:
                    self._cache.clear()
                for n, w in enumerate(todo, 1):
                    self._cache[w] = tuple(found.get(n, ()))
        return {w: self._cache[w] for w in words}


def search_lexical(
    index: LexicalIndex, terms: Sequence[str], k: int, where: PassageFilter | None
) -> list[tuple[int, float]]:
    """``index.search`` with ``where`` pushed into it when it takes one (the built-ins do);
    a plugin index without it is asked for 4 ``k`` and its list left to the caller's check
    of each passage (which may then hold fewer than ``k``)."""
    if where is None:
        return index.search(terms, k)
    try:
        takes = "where" in inspect.signature(index.search).parameters
    except (TypeError, ValueError):
        takes = False
    if takes:
        return index.search(terms, k, where=where)  # type: ignore[call-arg]
    return index.search(terms, 4 * k)


class Fts5LexicalIndex:
    """FTS5 over the ``passage_fts_content`` view (created by migration 0001).

    A query ORs its phrases, less the most common ones when the posting lists they would
    read exceed `postings_budget` (see `plan_phrases`); ``postings_budget=0`` ORs them all.
    """

    def __init__(self, engine: Engine, *, postings_budget: int = DEFAULT_POSTINGS_BUDGET) -> None:
        self.engine = engine
        self.postings_budget = postings_budget
        self._stemmer = _Fts5Stemmer()
        # Passages per term, remembered for a while: counting a common term's passages walks
        # its whole posting list. Only the query plan reads it, and a slightly stale count
        # changes nothing there; writes through this object clear it.
        self._doc_freq: dict[str, int] = {}
        self._doc_freq_at = 0.0

    def add(self, conn: Connection, passage_ids: Sequence[int]) -> None:
        self._doc_freq.clear()
        for i in range(0, len(passage_ids), 500):
            chunk = ",".join(str(int(x)) for x in passage_ids[i : i + 500])
            conn.exec_driver_sql(
                "INSERT INTO passage_fts(rowid, title, section, text) "
                "SELECT id, title, coalesce(section, ''), text FROM passage_fts_content "
                f"WHERE id IN ({chunk})"
            )

    def remove(self, conn: Connection, passage_ids: Sequence[int]) -> None:
        self._doc_freq.clear()
        for i in range(0, len(passage_ids), 500):
            chunk = ",".join(str(int(x)) for x in passage_ids[i : i + 500])
            conn.exec_driver_sql(
                "INSERT INTO passage_fts(passage_fts, rowid, title, section, text) "
                f"SELECT 'delete', id, title, coalesce(section, ''), text FROM passage_fts_content "
                f"WHERE id IN ({chunk})"
            )

    def search(
        self, terms: Sequence[str], k: int, where: PassageFilter | None = None
    ) -> list[tuple[int, float]]:
        """Top-`k` (passage id, bm25 score; higher is better) for OR-ed `terms`; with
        ``where``, only current passages of its kinds and years (joined in the query)."""
        if k <= 0:
            return []
        expr = match_expression(self.plan(terms))
        if not expr:
            return []
        w = COLUMN_WEIGHTS
        params: dict[str, Any] = {"q": expr, "k": int(k)}
        if where is None:
            sql = text(
                f"SELECT rowid, bm25(passage_fts, {w[0]}, {w[1]}, {w[2]}) AS s FROM passage_fts "
                "WHERE passage_fts MATCH :q ORDER BY s LIMIT :k"
            )
        else:
            from curbside.index.filters import sql_condition

            cond, extra = sql_condition(where, "src")
            params.update(extra)
            sql = text(
                f"SELECT passage_fts.rowid, bm25(passage_fts, {w[0]}, {w[1]}, {w[2]}) AS s "
                "FROM passage_fts JOIN passages p ON p.id = passage_fts.rowid "
                f"JOIN sources src ON src.id = p.source_id WHERE passage_fts MATCH :q AND {cond} "
                "ORDER BY s LIMIT :k"
            )
        with self.engine.connect() as conn:
            rows = conn.execute(sql, params).all()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def passage_count(self, term: str) -> int:
        """How many indexed passages hold `term` as a phrase (remembered like the term counts
        of the query plan: the count walks the phrase's posting lists)."""
        expr = match_expression([term], max_terms=1)
        if not expr:
            return 0
        key = "\x00" + expr  # no indexed term holds a NUL: phrase counts share the cache
        self._expire_counts()
        if key not in self._doc_freq:
            with self.engine.connect() as conn:
                found = conn.execute(
                    text("SELECT count(*) FROM passage_fts WHERE passage_fts MATCH :q"),
                    {"q": expr},
                ).scalar()
            self._doc_freq[key] = int(found or 0)
        return self._doc_freq[key]

    def _expire_counts(self) -> None:
        now = time.monotonic()
        if now - self._doc_freq_at > DOC_FREQ_TTL_S or len(self._doc_freq) > 100_000:
            self._doc_freq.clear()
            self._doc_freq_at = now

    def plan(self, terms: Sequence[str]) -> list[str]:
        """The phrases a search for `terms` ORs together (shown by ``search --explain``)."""
        phrases = query_phrases(terms)
        if self.postings_budget <= 0 or not phrases:
            return phrases
        with self.engine.connect() as conn:
            return self._within_budget(conn, phrases)

    def _within_budget(self, conn: Connection, phrases: list[str]) -> list[str]:
        words = {w for p in phrases for w in p.split()}
        stems = self._stemmer.stems(words)
        phrase_stems = [[t for w in p.split() for t in stems[w]] for p in phrases]
        wanted = sorted({t for ts in phrase_stems for t in ts})
        if not wanted:
            return []
        # One lookup per term: fts5vocab seeks on ``term =`` but scans the whole vocabulary
        # for ``term IN (...)``.
        self._expire_counts()
        lookup = text("SELECT doc FROM passage_fts_vocab WHERE term = :t")
        for t in wanted:
            if t not in self._doc_freq:
                self._doc_freq[t] = int(conn.execute(lookup, {"t": t}).scalar() or 0)
        doc_freq = {t: self._doc_freq[t] for t in wanted}
        return [phrases[i] for i in plan_phrases(phrase_stems, doc_freq, self.postings_budget)]

    def rebuild(self) -> int:
        """Re-create the index from the current passages; returns how many are indexed."""
        self._doc_freq.clear()
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
