"""Premise audit: the reference question's false premise is found; ordinary questions are not
flagged; evidence of opposite polarity flags presupposed assumptions only."""

from __future__ import annotations

import pytest

from curbside.domain import Evidence, Passage, Source, SourceKind
from curbside.safety.premises import (
    audit_premises,
    evidence_premises,
    premise_sentence,
    split_assumptions,
)

SI_QUESTION = ("Is SI joint imbalance a common cause of low back pain and stiffness that "
               "improves with movement and exercise?")


def test_split_assumptions_reference_question() -> None:
    parts = split_assumptions(SI_QUESTION)
    texts = [a.text for a in parts]
    assert "SI joint imbalance is a common cause of low back pain and stiffness" in texts
    assert "stiffness improves with movement and exercise" in texts
    assert [a.presupposed for a in parts] == [False, True]


def test_reference_question_premise() -> None:
    cands = audit_premises(SI_QUESTION)
    axspa = [c for c in cands if c.pattern_id == "axial_spondyloarthritis"]
    assert len(axspa) == 1
    c = axspa[0]
    assert "SI joint imbalance" in c.assumption
    assert "axial spondyloarthritis" in c.finding and "HLA-B27" in c.finding
    assert "ngc:ngc-11188" in c.external_ids


@pytest.mark.parametrize("question", [
    "Is ibuprofen effective for low back pain?",
    "What is the best treatment for ankylosing spondylitis?",
    "Does exercise help chronic low back pain?",
    "Can I take ibuprofen with lisinopril?",
    "Is SI joint injection effective for sacroiliac joint pain?",
    "What causes mechanical low back pain?",
    "How long does sciatica last?",
])
def test_no_premise_for_ordinary_questions(question: str) -> None:
    assert audit_premises(question) == []


@pytest.mark.parametrize(("question", "pattern"), [
    ("Is bed rest the best treatment for acute back pain?", "bed_rest_back_pain_premise"),
    ("My HLA-B27 was negative, so can we rule out ankylosing spondylitis?",
     "hla_b27_negative_premise"),
    ("Which decongestant works best for sinus headaches?", "sinus_headache_premise"),
    ("Patient has no fever, so is sepsis unlikely?", "no_fever_sepsis_premise"),
    ("Is prednisone a good long-term treatment for ankylosing spondylitis?",
     "systemic_steroids_as_premise"),
])
def test_other_premises(question: str, pattern: str) -> None:
    assert pattern in [c.pattern_id for c in audit_premises(question)]


def _ev(text: str) -> Evidence:
    src = Source(id=1, external_id="pmid:1", version=1, kind=SourceKind.GUIDELINE, title="T",
                 container=None, container_abbrev=None, year=2020, authors=[], pmid="1",
                 doi=None, url=None, publication_types=[], mesh_terms=[], retracted=False,
                 is_current=True, content_hash="h", meta={}, ingested_at="")
    p = Passage(id=7, uid="u", source_id=1, ord=0, section=None, text=text, char_start=0,
                char_end=len(text))
    return Evidence(passage=p, source=src)


def test_evidence_premise_on_presupposition() -> None:
    q = "Why does vitamin C supplementation prevent the common cold in adults?"
    ev = _ev("Vitamin C supplementation does not prevent the common cold in adults.")
    cands = evidence_premises(q, [ev])
    assert len(cands) == 1 and cands[0].evidence is ev


def test_evidence_never_flags_the_yes_no_proposition() -> None:
    q = "Does vitamin C supplementation prevent the common cold in adults?"
    ev = _ev("Vitamin C supplementation does not prevent the common cold in adults.")
    assert evidence_premises(q, [ev]) == []


def test_premise_sentence() -> None:
    s = premise_sentence("X causes Y", "Z is the case.", [1, 3])
    assert s == "Your question assumes X causes Y; the evidence indicates z is the case [1, 3]."
