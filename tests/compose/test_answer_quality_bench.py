"""The pure helpers of benchmarks/answer_quality.py and the shared split it reports on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

#: The `benchmark_module` fixture (tests/conftest.py): a benchmark script loaded by name.
Load = Callable[[str], ModuleType]


def test_rouge_helper_scores_the_best_reference_and_zero_for_nothing(
    benchmark_module: Load,
) -> None:
    aq = benchmark_module("answer_quality")
    refs = ["Metformin is the first-line drug for type 2 diabetes.", "Unrelated words here."]
    same = aq.rouge_f(refs, "Metformin is the first-line drug for type 2 diabetes.")
    assert same == pytest.approx(1.0)
    part = aq.rouge_f(refs, "Metformin is first-line.")
    assert 0.0 < part < 1.0
    assert aq.rouge_f(refs, "") == 0.0 and aq.rouge_f([], "anything") == 0.0
    # ROUGE-2 needs shared bigrams: a bag of the same words in another order scores lower.
    assert aq.rouge_f(refs, "diabetes type metformin drug", "rouge2") < part + 1e-9


def test_coverage_reads_every_reference_sentence_against_the_whole_article(
    benchmark_module: Load,
) -> None:
    aq = benchmark_module("answer_quality")

    def embed(texts: list[str]) -> np.ndarray:  # a bag of words, one axis per word
        vocab = sorted({w for t in texts for w in t.lower().strip(".").split()})
        return np.array([[float(w in t.lower().strip(".").split()) for w in vocab]
                         for t in texts])

    ref = "Take ibuprofen with food every day. Stop it if you get stomach pain now."
    both = ["Take ibuprofen with food every day.", "Stop it if you get stomach pain now."]
    assert aq.coverage(ref, both, embed) == pytest.approx(1.0)
    half = aq.coverage(ref, both[:1], embed)
    assert 0.0 < half < 1.0  # the second sentence is covered only by shared words
    assert aq.coverage(ref, [], embed) == 0.0
    assert aq.coverage("Too short.", both, embed) is None


def test_paired_ci_brackets_the_mean_difference(benchmark_module: Load) -> None:
    aq = benchmark_module("answer_quality")
    rng = np.random.default_rng(0)
    b = rng.random(200)
    a = b + 0.1 + 0.05 * rng.standard_normal(200)
    d, lo, hi = aq.paired_ci(a, b)
    assert lo < d < hi and d == pytest.approx(0.1, abs=0.02) and lo > 0
    d0, lo0, hi0 = aq.paired_ci(b, b)
    assert d0 == lo0 == hi0 == 0.0
    assert aq.paired_ci([], []) == (0.0, 0.0, 0.0)


def test_answered_table_reads_only_the_questions_after_answers(benchmark_module: Load) -> None:
    # a refusal scores 0 for after while the baselines still quote something: the second
    # table compares the three on the answered questions alone
    aq = benchmark_module("answer_quality")
    per = {"medicationqa": {
        "after": {"has_lead": [1.0, 0.0, 1.0, 0.0], "rougeL": [0.4, 0.0, 0.2, 0.0],
                  "coverage": [0.6, 0.0, 0.5, 0.0]},
        "cosine": {"rougeL": [0.3, 0.5, 0.1, 0.5], "coverage": [0.5, 0.4, 0.4, 0.4]},
        "top passage": {"rougeL": [0.2, 0.2, 0.2, 0.2], "coverage": [0.3, 0.3, 0.3, 0.3]},
    }}
    summary: dict[str, object] = {}
    text = "\n".join(aq.answered_table(per, summary))
    assert "| medicationqa (2 / 4) | lead ROUGE-L" in text
    assert "| 0.300 | 0.200 | 0.200 | +0.100" in text  # (0.4 + 0.2) / 2 vs (0.3 + 0.1) / 2
    d, lo, hi = summary["medicationqa.rougeL.answered.after-cosine"]  # type: ignore[misc]
    assert d == pytest.approx(0.1) and lo <= d <= hi
    assert aq.answered_table({}, {})[-1].startswith("|---")  # no set: the header alone


def test_verdict_line_and_question_form_rules(benchmark_module: Load) -> None:
    aq = benchmark_module("answer_quality")
    for line in (
        "On balance, the evidence in this library supports this.",
        "On balance, the evidence in this library does not support this.",
        "The evidence in this library is mixed on this question.",
        "Overall, the evidence in this library says no.",
    ):
        assert aq.VERDICT_RE.search(line), line
    assert not aq.VERDICT_RE.search(
        "The evidence in this library is insufficient to answer this with confidence."
    )
    assert aq.is_auxiliary_question("Is Polycythemia Vera inherited ?")
    assert aq.is_auxiliary_question("can I take ibuprofen with lisinopril?")
    assert not aq.is_auxiliary_question("What are the symptoms of Gout ?")
    assert not aq.is_auxiliary_question("Island fever treatment?")  # "is" only as a word


def test_percentile_and_candidate_sentences(benchmark_module: Load) -> None:
    aq = benchmark_module("answer_quality")
    assert aq.pctl([], 50) == 0.0
    assert aq.pctl([3.0, 1.0, 2.0], 50) == 2.0 and aq.pctl([1.0, 2.0, 3.0], 95) == 3.0
    cands = aq.candidate_sentences(
        ["Aspirin lowers fever in adults. Yes. Aspirin lowers fever in adults.",
         "Children should not take aspirin."]
    )
    assert [s for _, s in cands] == [
        "Aspirin lowers fever in adults.", "Children should not take aspirin."
    ]
    assert [i for i, _ in cands] == [0, 1]


def test_shared_split_is_stable_disjoint_and_matches_the_trainer(
    benchmark_module: Load,
) -> None:
    sp = benchmark_module("answer_split")
    if not sp.DATA.is_dir():
        pytest.skip(f"development data absent at {sp.DATA}")
    tr = benchmark_module("train_answer_scorer")
    assert tr.assign_split is sp.assign_split and tr.load_items is sp.load_items
    lists = sp.assign_split(sp.load_items())
    assert lists == sp.assign_split(sp.load_items())
    for source in sp.EVAL_SOURCES:
        parts = [set(lists[source][k]) for k in ("train", "dev", "heldout")]
        assert all(parts)
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert {k: len(v) for k, v in lists["medicationqa"].items()} == {
        "train": 402, "dev": 133, "heldout": 131
    }
    assert {k: len(v) for k, v in lists["medquad"].items()} == {
        "train": 1316, "dev": 371, "heldout": 315
    }


class _CountingEmbedder:
    name, dim, fingerprint = "fake", 3, "fake0"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += texts
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def test_chunk_cache_embeds_each_text_once_and_survives_a_restart(
    tmp_path: Path, benchmark_module: Load
) -> None:
    dh = benchmark_module("devhome")
    inner = _CountingEmbedder()
    emb = dh.ChunkCachedEmbedder(inner, tmp_path / "cache")
    first = emb.embed(["a", "bb"])
    assert emb.embed(["a"])[0, 0] == first[0, 0] == 1.0
    assert inner.calls == ["a", "bb"]
    assert not list((tmp_path / "cache").glob("emb-*.npz"))  # below one chunk: not yet written
    emb.save(force=True)
    emb.embed(["ccc"])
    emb.save(force=True)
    assert len(list((tmp_path / "cache").glob("emb-*.npz"))) == 2
    again = dh.ChunkCachedEmbedder(_CountingEmbedder(), tmp_path / "cache")
    assert again.loaded == 3
    out = again.embed(["bb", "ccc", "dddd"])
    assert again.inner.calls == ["dddd"]
    np.testing.assert_allclose(out[:, 0], [2.0, 3.0, 4.0])
    assert again.fingerprint == "fake0" and again.dim == 3


def test_a_collection_template_is_not_gold(benchmark_module: Load) -> None:
    aq = benchmark_module("answer_quality")
    aq._TEMPLATES = frozenset({aq._masked(
        "The Human Phenotype Ontology provides the following list of signs and symptoms for "
        "Long QT syndrome.", "Long QT syndrome")})
    try:
        # the same template written for another page's focus is still the template
        assert aq.is_template("The Human Phenotype Ontology provides the following list of "
                              "signs and symptoms for Wolman disease.", "Wolman disease")
        assert not aq.is_template("Common symptoms in infants include an enlarged liver.",
                                  "Wolman disease")
        assert not aq.is_template("", "Wolman disease")
    finally:
        aq._TEMPLATES = None
