"""analyze_query / lexical_terms: content, expansions, robustness, speed."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curbside.text.tokens import dedupe_key
from curbside.understand.analysis import (
    Expansion,
    QueryAnalysis,
    analyze_query,
    keywords,
    lexical_terms,
    warm_up,
)
from curbside.understand.question import QuestionType


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_up()


def test_full_analysis() -> None:
    a = analyze_query("  Is MRI of the SI joints useful to diagnose axSpA in   LBP without fever? ")
    assert isinstance(a, QueryAnalysis)
    assert a.normalized == "Is MRI of the SI joints useful to diagnose axSpA in LBP without fever?"
    assert a.qtype is QuestionType.YES_NO
    assert QuestionType.DIAGNOSIS in a.secondary
    assert "axspa" in a.keywords and "is" not in a.keywords and "the" not in a.keywords
    assert {m.abbreviation for m in a.abbreviations} >= {"MRI", "SI", "axSpA", "LBP"}
    assert a.negated == ("fever",)
    terms = dict((e.term, e.weight) for e in a.expansions)
    assert terms["axspa"] == 1.0
    assert terms["axial spondyloarthritis"] < 1.0
    assert terms["sacroiliac joint"] < 1.0
    assert all(isinstance(e, Expansion) and e.reason for e in a.expansions)
    for word in ("MRI", "axSpA", "fever", "joints"):  # the question stays out of logs
        assert word.lower() not in repr(a).lower()


def test_brand_and_lay_expansions() -> None:
    a = analyze_query("Can I take Advil after a heart attack?")
    assert a.qtype is QuestionType.DRUG_INFORMATION
    terms = dict(lexical_terms(a))
    assert terms["advil"] == 1.0
    assert terms.get("ibuprofen", 0) == pytest.approx(0.9)
    assert 0 < terms.get("myocardial infarction", 0) < 1.0
    assert [d.generic for d in a.drugs] == ["ibuprofen"]


def test_expansion_already_in_question_is_not_added() -> None:
    a = analyze_query("axial spondyloarthritis (axSpA) and HLA-B27")
    assert "axial spondyloarthritis" not in [e.term for e in a.expansions]
    assert "hla-b27" in a.keywords
    assert not a.drugs  # HLA-B27 is kept as a name, not read as a drug


def test_lexical_terms_order_and_cap() -> None:
    a = analyze_query("COPD and AF and T2DM and CKD and HTN in MI with heart failure")
    terms = lexical_terms(a, max_terms=8)
    assert len(terms) == 8
    weights = [w for _, w in terms]
    originals = [w for w in weights if w == 1.0]
    assert weights[: len(originals)] == originals  # original words first
    assert lexical_terms(a, max_terms=0) == []
    all_terms = lexical_terms(a, max_terms=100)
    assert any(w < 1.0 for _, w in all_terms)


def test_keywords() -> None:
    assert keywords("What is the role of TNF-alpha in the SI joint?") == [
        "role", "tnf-alpha", "si", "joint"]


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00\x01\x02", "?" * 1000, "a" * 20000, "word " * 4000, "\ud800\udfff",
     "Ist Aspirin bei Herzinfarkt wirksam?", "心肌梗死的治疗", "يا", "\u200b\u200b",
     "NSAIDs " * 3000, bytes(range(256)).decode("latin-1")],
)
def test_any_string(text: str) -> None:
    a = analyze_query(text)
    terms = lexical_terms(a)
    assert len(terms) <= 24
    assert len({dedupe_key(t) for t, _ in terms}) == len(terms)


def test_long_input_is_capped_and_fast() -> None:
    text = "Is adalimumab effective for AS with uveitis and no fever? " * 400  # ~23k chars
    # CPU time of this thread, not wall-clock time: other processes on a loaded machine delay
    # the answer but do not add to the work measured here (issue 18, item 12).
    start = time.thread_time()
    a = analyze_query(text)
    assert time.thread_time() - start < 1.0
    assert a.truncated
    assert len(a.normalized) > 20000


def test_latency_after_warm_up() -> None:
    questions = [
        "Is MRI of the SI joints useful to diagnose axSpA in patients with LBP?",
        "Can I take Advil with Coumadin after a heart attack?",
        "What is the first-line treatment for AS with uveitis but no fever?",
        "How common are kidney stones in people taking water pills?",
        "Does Humira increase the risk of TB in RA?",
    ]
    from curbside.understand.analysis import _analyze

    timings = []
    for _ in range(5):
        for q in questions:
            start = time.thread_time()  # CPU time: independent of the machine's load
            _analyze(q)
            timings.append(time.thread_time() - start)
    timings.sort()
    median = timings[len(timings) // 2]
    assert median < 0.005, f"median {median * 1000:.2f} ms"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=3000), max_terms=st.integers(min_value=0, max_value=40))
def test_property_never_raises_no_duplicates(text: str, max_terms: int) -> None:
    a = analyze_query(text)
    terms = lexical_terms(a, max_terms=max_terms)
    assert len(terms) <= max_terms
    keys = [dedupe_key(t) for t, _ in terms]
    assert len(set(keys)) == len(keys)
    assert len({t for t, _ in terms}) == len(terms)
    assert all(0 < w <= 1.0 for _, w in terms)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["AS", "PE", "MS", "SI", "no", "not", "fever", "heart", "attack", "Advil", "IV",
             "stage", "or", "?", ",", "HLA-B27", "pins", "and", "needles", "Is", "denies", "-"]
        ),
        max_size=40,
    )
)
def test_property_vocabulary_soup(words: list[str]) -> None:
    a = analyze_query(" ".join(words))
    terms = lexical_terms(a)
    assert len({dedupe_key(t) for t, _ in terms}) == len(terms) <= 24
