"""A verdict sentence only above the calibrated stance confidence (issue 15, item 4).

The stance model is stubbed with fixed probabilities (a bias-only model), so the test checks
the gate, not the model: at or above `MIN_VERDICT_PROBABILITY` the meter shows the verdict and
the bottom line opens with the verdict sentence; below it the meter says "insufficient", keeps
the model's reading as its leaning, and the bottom line is the best answer sentence, cited.
"""

from __future__ import annotations

import math

import pytest

from curbside.article import Article
from curbside.compose import consensus as consensus_mod
from curbside.compose.composer import VERDICT_KEY, ComposeInput, ExtractiveComposer
from curbside.compose.consensus import MIN_VERDICT_PROBABILITY, StanceModel
from curbside.domain import Evidence, Passage, Source, SourceKind
from curbside.messages import message
from curbside.render.formats import consensus_detail, render_text

QUESTION = "Does regular aerobic exercise reduce blood pressure in adults with hypertension?"
FINDINGS = [
    "Regular aerobic exercise reduced systolic blood pressure in adults with hypertension.",
    "Aerobic exercise training lowered blood pressure in hypertensive adults after 12 weeks.",
]


def _src(sid: int) -> Source:
    return Source(
        id=sid, external_id=f"pmid:{sid}", version=1, kind=SourceKind.RCT, title=f"Trial {sid}",
        container=None, container_abbrev=None, year=2020, authors=[], pmid=str(sid), doi=None,
        url=None, publication_types=[], mesh_terms=[], retracted=False, is_current=True,
        content_hash="h", meta={}, ingested_at="",
    )  # fmt: skip


def _compose(monkeypatch: pytest.MonkeyPatch, yes: float, question: str = QUESTION) -> Article:
    rest = (1.0 - yes) / 2
    stub = StanceModel(bias=(math.log(yes), math.log(rest), math.log(rest)), weights={})
    monkeypatch.setattr(consensus_mod, "default_model", lambda: stub)
    ev = [
        Evidence(
            source=_src(i + 1),
            passage=Passage(id=10 + i, uid=f"u{10 + i}", source_id=i + 1, ord=0,
                            section="CONCLUSIONS", text=t, char_start=0, char_end=len(t)),
            scores={"final": 1.0},
        )
        for i, t in enumerate(FINDINGS)
    ]  # fmt: skip
    art, _ = ExtractiveComposer().compose(
        ComposeInput(
            question=question, question_type="yes_no",
            terms=["aerobic", "exercise", "blood", "pressure", "hypertension", "adults"],
            evidence=ev, confidence=0.9, source_texts={},
        )
    )  # fmt: skip
    return art


def test_confident_stance_shows_the_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    art = _compose(monkeypatch, max(0.9, MIN_VERDICT_PROBABILITY))
    assert art.consensus is not None
    assert art.consensus.verdict == "supports" and art.consensus.leaning is None
    assert art.bottom_line[0].key == VERDICT_KEY["supports"] and art.bottom_line[0].ours
    assert art.bottom_line[0].text == message("verdict.supports")
    assert not art.bottom_line[1].ours and art.bottom_line[1].citations


def test_threshold_is_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    art = _compose(monkeypatch, MIN_VERDICT_PROBABILITY + 1e-6)
    assert art.consensus is not None and art.consensus.verdict == "supports"


def test_unsure_stance_says_insufficient_and_answers_with_a_cited_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    art = _compose(monkeypatch, MIN_VERDICT_PROBABILITY - 0.05)
    cm = art.consensus
    assert cm is not None
    assert cm.verdict == "insufficient" and cm.leaning == "supports"
    assert cm.probabilities and cm.probabilities["yes"] == pytest.approx(
        MIN_VERDICT_PROBABILITY - 0.05, abs=1e-3
    )
    assert not [c for c in art.bottom_line if c.ours]  # no verdict sentence of any kind
    assert art.bottom_line and all(c.citations for c in art.bottom_line)
    assert "leaning supports but below the confidence a verdict needs" in consensus_detail(cm)
    text = render_text(art)
    assert "Consensus meter: insufficient" in text
    assert not any(message(k) in text for k in VERDICT_KEY.values())


def test_no_meter_and_no_verdict_for_a_question_that_is_not_yes_no(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    art = _compose(monkeypatch, 0.99, "Any thoughts on exercise for blood pressure?")
    assert art.consensus is None
    assert not [c for c in art.bottom_line if c.ours]


def test_the_threshold_was_calibrated_above_the_in_sample_figure() -> None:
    """0.75 came from out-of-fold probabilities on the 500 non-test PubMedQA questions
    (benchmarks/calibrate_verdict.py); it must stay a probability a verdict can reach."""
    assert 0.5 < MIN_VERDICT_PROBABILITY < 1.0
