"""The shipped answer-kind classifier (`compose.answer_kinds`), its model card, and how the
composer reads it for the lead."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curbside.compose import answer_kinds
from curbside.domain import Evidence, Passage, Source, SourceKind


def test_the_card_names_its_data_licence_and_beats_the_patterns_on_dev() -> None:
    card = json.loads(answer_kinds.WEIGHTS_FILE.read_text())
    kinds = card["kinds"]
    assert set(answer_kinds.ASK_KINDS.values()) <= set(kinds)
    assert np.asarray(card["coef"]).shape == (len(kinds), 384)
    assert len(card["bias"]) == len(card["thresholds"]) == len(kinds)
    assert "MedQuAD" in card["data"] and "CC BY 4.0" in card["data"]
    assert "held-out parts left out" in card["data"]
    for kind in answer_kinds.ASK_KINDS.values():
        dev = card["dev"][kind]
        # The threshold is set for a dev precision of at least `min_precision`, and that is
        # above what the hand pattern it replaces reaches on the same sentences.
        assert dev["model"]["precision"] >= card["min_precision"] - 1e-9
        assert dev["model"]["precision"] > dev["pattern"]["precision"]


def _vectors(texts: list[str]) -> np.ndarray:
    from curbside.index.embedder import EmbedderUnavailable, OnnxMiniLmEmbedder

    try:
        return np.asarray(OnnxMiniLmEmbedder().embed(texts))
    except EmbedderUnavailable as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"bundled embedder unavailable: {exc}")


def test_sentences_get_the_kind_of_answer_they_give() -> None:
    texts = [
        "Treatment includes rest, ice, and medicines that reduce pain and swelling.",
        "This condition is caused by mutations in the FBN1 gene.",
        "The disease affects about 1 in 10,000 people worldwide.",
        "Most people recover completely within two weeks.",
        "The diagnosis is confirmed with a blood test and an ultrasound scan.",
        "Gout is more common in men than in women.",
    ]
    got = answer_kinds.answer_kinds(_vectors(texts))
    assert got is not None
    assert [sorted(k) for k in got[:5]] == [
        ["treatment"], ["cause"], ["frequency"], ["prognosis"], ["diagnosis"]]
    # Who gets a disease more often is no frequency (the hand pattern took "more common").
    assert "frequency" not in got[5]
    probs = answer_kinds.kind_probabilities(_vectors(texts[:1]))
    assert probs is not None
    assert probs[1].shape == (1, len(probs[0])) and abs(float(probs[1].sum()) - 1) < 1e-4


def _evidence(texts: list[str]) -> list[Evidence]:
    out = []
    for i, text in enumerate(texts):
        src = Source(id=i + 1, external_id=f"p:{i}", version=1, kind=SourceKind.PATIENT_INFO,
                     title="Plantar fasciitis", container=None, container_abbrev=None,
                     year=2020, authors=[], pmid=None, doi=None, url=None,
                     publication_types=[], mesh_terms=[], retracted=False, is_current=True,
                     content_hash=str(i), meta={}, ingested_at="")
        p = Passage(id=i + 1, uid=f"u{i}", source_id=i + 1, ord=0, section="", text=text,
                    char_start=0, char_end=len(text))
        out.append(Evidence(passage=p, source=src, scores={"final": 0.5}))
    return out


def test_the_learned_kind_decides_which_sentence_fits_a_treatment_question() -> None:
    """A sentence that gives a treatment in words the hand pattern does not know ("relieves")
    takes the lead from one that does not answer, when the classifier (a stand-in callable
    here) reads them; without it the better-scored sentence leads, as before. The similarity
    is a stand-in too."""
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    says = "Plantar fasciitis is common in runners and in people who stand all day."
    gives = "Stretching the calf and the sole of the foot relieves plantar fasciitis pain."
    asked: list[str] = []

    def kinds(sentences: list[str]) -> list[frozenset[str]]:
        asked.extend(sentences)
        return [frozenset({"treatment"}) if s == gives else frozenset() for s in sentences]

    def lead(read: object) -> list[str]:
        art, _ = ExtractiveComposer().compose(ComposeInput(
            question="What is the best treatment for plantar fasciitis?",
            question_type="treatment", terms=["plantar", "fasciitis", "treatment"],
            evidence=_evidence([says, gives]), confidence=0.9, source_texts={},
            similarity=lambda q, ts: [0.7 if t == says else 0.6 for t in ts],
            answer_kinds=read,  # type: ignore[arg-type]
        ))
        return [c.text for c in art.lead if not c.ours]

    assert lead(None) == [says]
    assert lead(kinds) == [gives]
    assert gives in asked


def test_the_kinds_are_not_read_for_asks_they_do_not_decide() -> None:
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    asked: list[str] = []

    def kinds(sentences: list[str]) -> list[frozenset[str]]:
        asked.extend(sentences)
        return [frozenset()] * len(sentences)

    ExtractiveComposer().compose(ComposeInput(
        question="What dose of ibuprofen is safe for plantar fasciitis?",
        question_type="dose", terms=["ibuprofen", "plantar", "fasciitis", "dose"],
        evidence=_evidence(["Ibuprofen 400 mg three times a day eases plantar fasciitis."]),
        confidence=0.9, source_texts={}, similarity=lambda q, ts: [0.6] * len(ts),
        answer_kinds=kinds))
    assert asked == []


def _bottom(texts: list[str], sims: dict[str, float]) -> tuple[list[str], list[str]]:
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    art, _ = ExtractiveComposer().compose(ComposeInput(
        question="What causes gout?", question_type="etiology", terms=["gout", "causes"],
        evidence=_evidence(texts), confidence=0.9, source_texts={},
        similarity=lambda q, ts: [sims.get(t, 0.3) for t in ts]))
    return ([c.text for c in art.lead if not c.ours],
            [c.text for c in art.bottom_line if not c.ours])


def test_the_bottom_line_gives_what_was_asked_when_one_scores_near() -> None:
    """"How long does the flu last?" closed with "Flu almost never causes an upset stomach":
    the bottom line now prefers a sentence that fits the ask within `ask_margin`, as the lead
    does. The similarity is a stand-in."""
    lead = "Gout is caused by too much uric acid in the blood."
    off = "Gout often affects the big toe."
    fits = "Eating foods rich in purines can cause gout attacks."
    sims = {lead: 0.8, off: 0.7, fits: 0.62}
    assert _bottom([lead, off, fits], sims) == ([lead], [fits])
    # Beyond the margin the better-scored sentence still closes.
    assert _bottom([lead, off, fits], {**sims, fits: 0.4}) == ([lead], [off])


def test_the_lead_repeated_by_another_source_does_not_empty_the_bottom_line() -> None:
    lead = "The exact cause of gout is not known."
    other = "Gout often affects the big toe."
    got = _bottom([lead, other, lead], {lead: 0.9, other: 0.7})
    assert got == ([lead], [other])
