"""The FTS5 query plan: the most common terms are left out beyond a postings budget."""

from __future__ import annotations

from sqlalchemy import text

from curbside import services
from curbside.index.lexical import Fts5LexicalIndex, _Fts5Stemmer, plan_phrases


def test_plan_keeps_rare_phrases_and_drops_common_ones_beyond_the_budget() -> None:
    stems = [["us"], ["metformin"], ["lactic", "acidosi"], ["pain"]]
    df = {"us": 30_000, "metformin": 400, "lactic": 150, "acidosi": 300, "pain": 12_000}
    assert plan_phrases(stems, df, budget=1_000) == [1, 2]  # query order, not rarity order
    assert plan_phrases(stems, df, budget=13_000) == [1, 2, 3]
    assert plan_phrases(stems, df, budget=10**9) == [0, 1, 2, 3]


def test_plan_always_keeps_the_rarest_phrase_and_drops_terms_found_nowhere() -> None:
    df = {"blood": 14_000, "pressur": 9_000, "zzz": 0}
    # Every phrase is over budget: the rarest one still searches.
    assert plan_phrases([["blood"], ["pressur"], ["zzz"]], df, budget=10) == [1]
    # A phrase with a term no passage holds matches nothing, so leaving it out changes nothing.
    assert plan_phrases([["zzz"], ["blood", "zzz"]], df, budget=10**9) == []
    assert plan_phrases([[], ["blood"]], df, budget=1) == [1]


def test_stemmer_gives_the_terms_fts5_indexes() -> None:
    st = _Fts5Stemmer()
    got = st.stems(["running", "acidosis", "si", "café", "x2"])
    assert got["running"] == ("run",)
    assert got["acidosis"] == ("acidosi",)
    assert got["si"] == ("si",)
    assert got["café"] == ("cafe",)  # remove_diacritics, like the passage index
    assert st.stems(["running"]) == {"running": ("run",)}  # cached


def _doc_freq(rt: services.Runtime, term: str) -> int:
    with rt.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT doc FROM passage_fts_vocab WHERE term = :t"), {"t": term}
            ).scalar()
            or 0
        )


def test_budget_leaves_out_the_common_term_and_keeps_results_when_it_allows_all(
    starter_rt: services.Runtime,
) -> None:
    common, rare = "pain", "sacroiliac"
    df_common, df_rare = _doc_freq(starter_rt, common), _doc_freq(starter_rt, "sacroiliac")
    assert df_common > df_rare > 0
    tight = Fts5LexicalIndex(starter_rt.engine, postings_budget=df_rare)
    assert tight.plan([common, rare, "qqqzzzx"]) == [rare]
    assert {pid for pid, _ in tight.search([common, rare], 50)} <= {
        pid
        for pid, _ in Fts5LexicalIndex(starter_rt.engine, postings_budget=0).search([rare], 10**6)
    }
    roomy = Fts5LexicalIndex(starter_rt.engine, postings_budget=10**9)
    unbounded = Fts5LexicalIndex(starter_rt.engine, postings_budget=0)
    terms = [common, rare, "exercise", "qqqzzzx"]
    assert roomy.plan(terms) == [common, rare, "exercise"]
    assert roomy.search(terms, 20) == unbounded.search(terms, 20)
    assert unbounded.plan(terms) == terms


def test_keyword_plan_reports_kept_and_left_out_phrases(starter_rt: services.Runtime) -> None:
    budget = starter_rt.settings.retrieval.lexical_postings_budget
    assert starter_rt.lexical.postings_budget == budget  # type: ignore[attr-defined]
    kept, left_out = services.keyword_plan(starter_rt, query="Does sacroiliac pain improve?")
    assert "sacroiliac" in kept
    assert not set(kept) & set(left_out)
    try:
        starter_rt.lexical.postings_budget = 1  # type: ignore[attr-defined]
        kept, left_out = services.keyword_plan(starter_rt, query="sacroiliac pain treatment")
        assert kept == ["sacroiliac"] and "pain" in left_out
    finally:
        starter_rt.lexical.postings_budget = budget  # type: ignore[attr-defined]
