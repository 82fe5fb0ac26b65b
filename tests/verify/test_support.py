"""SupportScorer: exact sentences pass; changed numbers, flipped negation, unrelated text fail."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from curbside.text.sentences import split_sentences
from curbside.verify.support import (
    INCONSISTENT_CAP,
    SupportScorer,
    extract_numbers,
    is_negated,
    strip_citation_markers,
)

# Self-written generic passages (no real references behind them).
PASSAGE = (
    "Exercise therapy was compared with usual care in adults with chronic low back pain. "
    "Between 15–30% of participants reported a clinically important reduction in pain at 12 "
    "weeks. There was no significant difference in disability scores between the groups. "
    "Adverse events were rare and mostly mild."
)
OTHER = (
    "Vitamin supplements were given to older adults for two years. Bone density rose slightly "
    "in the treated group."
)


@pytest.mark.parametrize("sentence", split_sentences(PASSAGE))
def test_exact_source_sentence_scores_at_least_095(scorer: SupportScorer, sentence: str) -> None:
    s = scorer.score(sentence, [OTHER, PASSAGE])
    assert s.score >= 0.95, s
    assert s.numbers_ok and s.negation_ok
    assert s.passage_index == 1
    assert s.span is not None and PASSAGE[s.span[0] : s.span[1]] == sentence


def test_near_exact_sentence_scores_at_least_095(scorer: SupportScorer) -> None:
    s = scorer.score(
        "However, there was no significant difference in disability scores between the groups.",
        [PASSAGE],
    )
    assert s.score >= 0.95, s


def test_dash_and_spacing_variants_of_a_range_are_the_same_number(scorer: SupportScorer) -> None:
    s = scorer.score(
        "Between 15-30 % of participants reported a clinically important reduction in pain at "
        "12 weeks [1].",
        [PASSAGE],
    )
    assert s.numbers_ok and s.score >= 0.9, s


def test_changed_number_fails(scorer: SupportScorer) -> None:
    s = scorer.score(
        "Between 15–50% of participants reported a clinically important reduction in pain at 12 "
        "weeks.",
        [PASSAGE],
    )
    assert not s.numbers_ok
    assert s.missing_numbers == ("50%",)
    assert s.score <= INCONSISTENT_CAP


def test_single_changed_percentage_fails(scorer: SupportScorer) -> None:
    passage = "Pain improved in 15% of treated patients."
    assert scorer.score("Pain improved in 15% of treated patients.", [passage]).score >= 0.95
    bad = scorer.score("Pain improved in 50% of treated patients.", [passage])
    assert not bad.numbers_ok and bad.score <= INCONSISTENT_CAP


def test_number_with_another_unit_fails(lexical_scorer: SupportScorer) -> None:
    s = lexical_scorer.score("Patients took 12 mg daily.", ["Patients took 12 g daily."])
    assert not s.numbers_ok


@pytest.mark.parametrize(
    "sentence",
    [
        "There was a significant difference in disability scores between the groups.",
        "Adverse events were not rare and mostly mild.",
    ],
)
def test_flipped_negation_fails(scorer: SupportScorer, sentence: str) -> None:
    s = scorer.score(sentence, [PASSAGE])
    assert not s.negation_ok, s
    assert s.score <= INCONSISTENT_CAP


def test_negation_in_an_unrelated_clause_is_ignored(scorer: SupportScorer) -> None:
    passage = "The drug improved pain scores, but not sleep quality, in adults with arthritis."
    s = scorer.score("The drug improved pain scores in adults with arthritis.", [passage])
    assert s.negation_ok and s.score >= 0.8, s


def test_unrelated_sentence_fails(scorer: SupportScorer) -> None:
    s = scorer.score("Smoking cessation lowers the risk of lung cancer.", [PASSAGE, OTHER])
    assert s.score < 0.3, s


def test_paraphrase_is_supported(scorer: SupportScorer) -> None:
    s = scorer.score("Adverse events were uncommon and mostly mild.", [PASSAGE])
    assert s.score >= 0.55, s


def test_no_passages_scores_zero(scorer: SupportScorer) -> None:
    assert scorer.score("Anything at all.", []).score == 0.0
    assert scorer.score("Anything at all.", ["   "]).score == 0.0


def test_without_embedder_exact_is_one_and_unrelated_is_low(lexical_scorer: SupportScorer) -> None:
    sentence = split_sentences(PASSAGE)[1]
    assert lexical_scorer.score(sentence, [PASSAGE]).score == 1.0
    assert lexical_scorer.score("Smoking harms the lungs.", [PASSAGE]).score < 0.2


def test_score_many_makes_one_embedding_call(embedder) -> None:  # type: ignore[no-untyped-def]
    scorer = SupportScorer(embedder)
    # Reworded (not quoted) sentences need the embedder: one call for all of them.
    sents = [s.rstrip(".") + ", the study says." for s in split_sentences(PASSAGE)]
    out = scorer.score_many([(s, [PASSAGE, OTHER]) for s in sents])
    assert len(out) == len(sents)
    assert scorer.embed_calls == 1
    assert all(s.embedding > 0.8 for s in out)


def test_quoted_sentences_need_no_embedding_and_score_the_same(  # type: ignore[no-untyped-def]
    embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import curbside.verify.support as support

    items = [(s, [PASSAGE, OTHER]) for s in split_sentences(PASSAGE) + split_sentences(OTHER)]
    fast = SupportScorer(embedder)
    quick = fast.score_many(items)
    assert fast.embed_calls == 0
    assert all(s.score >= 0.95 and s.embedding == 1.0 for s in quick)
    monkeypatch.setattr(support, "_quoted", lambda sentence, cands: False)
    slow = SupportScorer(embedder)
    full = slow.score_many(items)
    assert slow.embed_calls == 1
    for a, b in zip(quick, full, strict=True):
        assert (a.score, a.embedding, a.span, a.passage_index) == (
            b.score,
            b.embedding,
            b.span,
            b.passage_index,
        )


def test_number_extraction_normalises() -> None:
    assert extract_numbers("between 15–30 % and 2.50 mg; n = 9,858; p < .05") == [
        ("15", "%"), ("30", "%"), ("2.5", "mg"), ("9858", None), ("0.05", None),
    ]
    assert extract_numbers("three trials [2, 3]") == [("3", None)]
    assert strip_citation_markers("It works [1, 2-4].") == "It works."


def test_negation_cues() -> None:
    assert is_negated("There was no significant difference.")
    assert is_negated("It did not help.")
    assert is_negated("It doesn't help.")
    assert is_negated("Patients without fever.")
    assert not is_negated("Not only pain but also function improved.")
    assert not is_negated("Pain improved.")


@pytest.mark.data
def test_real_abstract_sentences_pass_and_altered_ones_fail(
    shared_data: Path, scorer: SupportScorer
) -> None:
    with gzip.open(shared_data / "corpus" / "pubmedqa_pqal.json.gz", "rt") as f:
        data = json.load(f)
    checked = 0
    for rec in list(data.values())[:6]:
        passages = rec["CONTEXTS"]
        sentences = [s for p in passages for s in split_sentences(p)][:6]
        out = scorer.score_many([(s, passages) for s in sentences])
        assert all(o.score >= 0.95 for o in out), list(zip(sentences, out, strict=True))
        checked += len(sentences)
        # Same sentences with their first number changed must fail the number check.
        for s in sentences:
            nums = extract_numbers(s)
            if not nums or nums[0][0] in {"0", "1"}:
                continue
            value = nums[0][0]
            changed = s.replace(value, str(int(float(value)) + 7) + "1", 1)
            if changed == s:
                continue
            bad = scorer.score(changed, passages)
            assert not bad.numbers_ok and bad.score <= INCONSISTENT_CAP, (changed, bad)
    assert checked >= 25


def test_vectors_shared_with_the_composer_are_not_embedded_again(  # type: ignore[no-untyped-def]
    embedder,
) -> None:
    """The runtime's sentence vectors serve the composer and the verifier: a reworded claim
    whose sentences the composer already embedded costs the verifier no embedding call, and
    scores the same as with a scorer of its own."""
    from curbside.index.embedder import TextVectors

    claim = split_sentences(PASSAGE)[0].rstrip(".") + ", the study says."
    shared = TextVectors(embedder)
    shared.ensure([claim, *split_sentences(PASSAGE), PASSAGE])  # what the composer embedded
    before = shared.calls
    scorer = SupportScorer(vectors=shared)
    got = scorer.score(claim, [PASSAGE])
    assert shared.calls == before
    assert got.score == SupportScorer(embedder).score(claim, [PASSAGE]).score


def test_text_vectors_load_the_model_lazily_and_start_again_when_full(  # type: ignore[no-untyped-def]
    embedder,
) -> None:
    from curbside.index.embedder import TextVectors

    asked: list[int] = []

    def load():  # type: ignore[no-untyped-def]
        asked.append(1)
        return embedder

    tv = TextVectors(load, max_items=3)
    assert not asked  # holding one loads nothing
    rows = tv.vectors(["a b", "c d", "a b"])
    assert rows.shape == (3, embedder.dim) and (rows[0] == rows[2]).all()
    assert tv.calls == 1 and asked
    tv.ensure(["e f", "g h"])  # 2 kept + 2 new > 3: starts again
    assert tv.get("a b") is None and tv.get("g h") is not None
