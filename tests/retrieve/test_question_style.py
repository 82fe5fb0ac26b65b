"""The shipped question-style gate (`retrieve.question_style`), its model card, and the hand
fusion's document blend that it switches on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from curbside import services
from curbside.retrieve import question_style
from curbside.retrieve.hybrid import RetrievalOptions


@pytest.fixture
def fresh_model() -> Iterator[None]:
    """Drop the gate's cached weights before and after (a test points it at another file)."""
    question_style._model.cache_clear()
    yield
    question_style._model.cache_clear()


def test_the_card_names_its_data_and_reads_no_held_out_half() -> None:
    card = json.loads(question_style.WEIGHTS_FILE.read_text())
    assert np.asarray(card["coef"]).shape == (384,)
    assert 0.5 <= card["threshold"] < 1
    assert "no held-out half read" in card["data"] and "CC BY 4.0" in card["data"]
    assert card["script"].startswith("benchmarks/train_question_style.py")
    # Cross-validated on its four sources, each read right at least four times in five.
    assert set(card["cv_accuracy_by_source"]) == set(card["n"])
    assert min(card["cv_accuracy_by_source"].values()) > 0.8


def _vectors(rt: services.Runtime, texts: list[str]) -> list[np.ndarray]:
    """The vectors `search` embeds these questions into (the retriever's own)."""
    return [rt.retriever.query_vector(t) for t in texts]


def test_consumer_questions_and_research_queries_are_told_apart(
    starter_rt: services.Runtime,
) -> None:
    consumer = [
        "can I take ibuprofen with my blood pressure pills",
        "what are the side effects of metformin",
        "how do I know if my child has strep throat",
    ]
    research = [
        "Which transcription factor regulates hepcidin expression in hepatocytes?",
        "What is the role of TDP-43 aggregation in amyotrophic lateral sclerosis pathogenesis?",
        "Which kinase phosphorylates tau at serine 262?",
    ]
    vecs = _vectors(starter_rt, consumer + research)
    got = [question_style.is_consumer(v) for v in vecs]
    assert got == [True] * 3 + [False] * 3
    probs = [question_style.consumer_probability(v) for v in vecs]
    assert all(p is not None and 0 < p < 1 for p in probs)


def test_a_vector_of_another_width_gets_no_reading() -> None:
    assert question_style.consumer_probability(np.ones(768, dtype=np.float32)) is None
    assert question_style.is_consumer(np.ones(768, dtype=np.float32)) is None


def test_a_broken_card_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_model: None
) -> None:
    bad = tmp_path / "question_style.json"
    monkeypatch.setattr(question_style, "WEIGHTS_FILE", bad)
    bad.write_text(json.dumps({"coef": [0.1, 0.2], "bias": 0.0, "threshold": 1.5}))
    with pytest.raises(ValueError, match=r"question_style\.json: threshold"):
        question_style.consumer_probability(np.ones(2, dtype=np.float32))
    question_style._model.cache_clear()
    bad.write_text(json.dumps({"coef": [[0.1], [0.2]], "bias": 0.0, "threshold": 0.7}))
    with pytest.raises(ValueError, match=r"question_style\.json: coef"):
        question_style.consumer_probability(np.ones(2, dtype=np.float32))
    question_style._model.cache_clear()
    monkeypatch.setattr(question_style, "WEIGHTS_FILE", tmp_path / "absent.json")
    assert question_style.is_consumer(np.ones(384, dtype=np.float32)) is None


def test_the_blend_follows_the_gate(starter_rt: services.Runtime) -> None:
    """With a document weight and `document_when` = "style" (the default), a question the gate
    reads as consumer-phrased gets the source's document cosine in its fused score; a research
    query keeps the fusion's own scores, exactly as with the blend off (the default weight)."""
    retriever = starter_rt.retriever
    assert RetrievalOptions().document_when == "style"
    assert starter_rt.settings.retrieval.document_when == "style"
    assert RetrievalOptions().document_weight == starter_rt.settings.retrieval.document_weight
    consumer = "what exercises help my lower back pain"
    research = "Which cytokines mediate intervertebral disc degeneration in lumbar spine?"
    vecs = _vectors(starter_rt, [consumer, research])
    assert [question_style.is_consumer(v) for v in vecs] == [True, False]
    default = RetrievalOptions(document_weight=0.5, diversity=False)
    off = RetrievalOptions(document_weight=0, diversity=False)
    blended = retriever.search(consumer, k=8, options=default).evidence
    assert blended and all("fused_passages" in e.scores for e in blended)
    assert any(e.scores["fused"] != e.scores["fused_passages"] for e in blended)
    plain = retriever.search(research, k=8, options=off).evidence
    gated = retriever.search(research, k=8, options=default).evidence
    assert [(e.passage.id, e.scores) for e in gated] == [(e.passage.id, e.scores) for e in plain]
    # Off by default: `search` with no options, or the default options, keeps the fusion's.
    for found in (retriever.search(consumer, k=8).evidence,
                  retriever.search(consumer, k=8, options=RetrievalOptions()).evidence):
        assert found and all("fused_passages" not in e.scores for e in found)
