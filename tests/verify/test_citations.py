"""CitationVerifier: dangling citations, unsupported claims, renumbering, connective claims."""

from __future__ import annotations

import pytest

from curbside.article import (
    Article,
    ArticleSection,
    Claim,
    Consensus,
    PremiseFinding,
    RedFlag,
    Reference,
)
from curbside.verify.citations import CitationVerifier
from curbside.verify.support import SupportScorer, _candidates

# Self-written generic passages; the references below are placeholders, not real publications.
P1 = (
    "Exercise therapy reduced pain more than usual care in adults with chronic low back pain. "
    "Between 15–30% of participants reported a clinically important improvement at 12 weeks."
)
P2 = (
    "Heat wraps gave short-term relief of acute low back pain. "
    "There was no significant difference in disability at 4 weeks."
)
P3 = "Imaging without red flags did not improve outcomes in acute low back pain."
P4 = "A placeholder passage about hand washing in schools."


def ref(n: int, kind: str = "rct") -> Reference:
    return Reference(
        n=n, type="Research", kind=kind, level=3, source_id=100 + n,
        external_id=f"test:{n}", title=f"Placeholder source {n}",
    )


def make_article() -> Article:
    return Article(
        question="Does exercise help chronic low back pain?",
        title="Exercise and low back pain",
        created_at="2024-01-01T00:00:00Z",
        settings_fingerprint="test",
        lead=[
            Claim(id="l1", text="Imaging without red flags did not improve outcomes in acute low "
                  "back pain.", citations=[3]),
        ],
        premise_findings=[PremiseFinding(assumption="a", finding="b", citations=[2, 9])],
        red_flags=[RedFlag(pattern="p", name="n", urgency="urgent", trigger="t", action="a",
                           citations=[1])],
        sections=[
            ArticleSection(
                heading="Treatment", kind="treatment",
                intro=Claim(id="i1", text="Several options were studied:", ours=True,
                            citations=[4]),
                claims=[
                    Claim(id="s1", text="Exercise therapy reduced pain more than usual care in "
                          "adults with chronic low back pain.", citations=[1, 7]),
                    Claim(id="s2", text="Heat wraps gave short-term relief of acute low back "
                          "pain.", citations=[4, 2]),
                    Claim(id="s3", text="Between 15–50% of participants reported a clinically "
                          "important improvement at 12 weeks.", citations=[1]),
                    Claim(id="s4", text="There was a significant difference in disability at 4 "
                          "weeks.", citations=[2]),
                    Claim(id="s5", text="Acupuncture cures migraine in all children.",
                          citations=[1, 2]),
                ],
            ),
            ArticleSection(
                heading="Prognosis", kind="prognosis",
                claims=[Claim(id="g1", text="Most people recover within weeks.", citations=[4])],
            ),
        ],
        bottom_line=[
            Claim(id="b0", text="In short:", ours=True),
            Claim(id="b1", text="Exercise therapy reduced pain more than usual care in adults "
                  "with chronic low back pain.", citations=[1]),
        ],
        references=[ref(1), ref(2, "guideline"), ref(3), ref(4), ref(5)],
        consensus=Consensus(verdict="supports", supports=1,
                            basis=["Exercise reduced pain [1].", "Heat helped [2, 4]."]),
    )


PASSAGES = {1: [P1], 2: [P2], 3: [P3], 4: [P4], 5: [P4]}


@pytest.fixture(scope="module")
def verified(scorer: SupportScorer):  # type: ignore[no-untyped-def]
    art = make_article()
    before = art.model_dump()
    out, report = CitationVerifier(scorer).verify(art, PASSAGES, drop_unsupported=True)
    assert art.model_dump() == before  # input untouched
    return out, report


def test_dangling_citation_removed(verified) -> None:  # type: ignore[no-untyped-def]
    out, report = verified
    # [7] on s1 (no such reference) and [9] on the premise finding.
    assert report.dangling_removed == 2
    for c in out.all_claims():
        assert set(c.citations) <= {r.n for r in out.references}


def test_unsupporting_citation_removed_when_another_supports(verified) -> None:  # type: ignore[no-untyped-def]
    out, report = verified
    s2 = next(c for c in out.all_claims() if c.id == "s2")
    # [4] (hand washing) does not support it; [2] does. Old 2 -> new number of old ref 2.
    assert s2.citations == [report.renumbered[2]]
    assert report.unsupporting_citations_removed >= 1
    assert s2.support >= 0.95


def test_changed_number_flipped_negation_and_unrelated_claims_dropped(verified) -> None:  # type: ignore[no-untyped-def]
    out, report = verified
    ids = {c.id for c in out.all_claims()}
    assert {"s3", "s4", "s5", "g1"}.isdisjoint(ids)
    assert report.invented_numbers == 1
    assert report.negation_mismatches == 1
    checks = {c.claim_id: c for c in report.claims}
    assert not checks["s3"].kept and "numbers" in checks["s3"].reason
    assert not checks["s4"].kept and not checks["s5"].kept
    assert report.sections_dropped == 1  # Prognosis lost its only claim
    assert [s.kind for s in out.sections] == ["treatment"]
    assert report.sentences == 8 and report.supported == 4 and report.dropped == 4


def test_connective_claims_untouched_but_lose_citations(verified) -> None:  # type: ignore[no-untyped-def]
    out, report = verified
    intro = out.sections[0].intro
    assert intro is not None and intro.text == "Several options were studied:"
    assert intro.citations == [] and intro.ours
    assert out.bottom_line[0].text == "In short:" and out.bottom_line[0].citations == []
    assert report.connective_citations_removed == 1


def test_references_renumbered_in_first_citation_order_and_unused_dropped(verified) -> None:  # type: ignore[no-untyped-def]
    out, report = verified
    # Reading order: lead cites old 3, premise old 2, red flag old 1; 4 and 5 end uncited.
    assert report.renumbered == {3: 1, 2: 2, 1: 3}
    assert [(r.n, r.external_id) for r in out.references] == [
        (1, "test:3"), (2, "test:2"), (3, "test:1"),
    ]
    assert report.references_dropped == 2
    assert out.lead[0].citations == [1]
    assert out.premise_findings[0].citations == [2]
    assert out.red_flags[0].citations == [3]
    s1 = next(c for c in out.all_claims() if c.id == "s1")
    assert s1.citations == [3]
    assert out.consensus is not None
    assert out.consensus.basis == ["Exercise reduced pain [3].", "Heat helped [2]."]
    assert out.evidence_levels == {"rct": 2, "guideline": 1}


def test_keep_mode_scores_but_drops_nothing(scorer: SupportScorer) -> None:
    art = make_article()
    out, report = CitationVerifier(scorer).verify(art, PASSAGES, drop_unsupported=False)
    assert len(out.all_claims()) == len(art.all_claims())
    s3 = next(c for c in out.all_claims() if c.id == "s3")
    assert s3.support <= 0.3
    assert report.dropped == 0


def test_claim_joining_two_sources_is_supported_by_their_union(scorer: SupportScorer) -> None:
    art = Article(
        question="q", title="t", created_at="x", settings_fingerprint="f",
        lead=[Claim(id="u", text="Exercise reduced pain while heat wraps gave short-term relief "
                    "of acute low back pain.", citations=[1, 2])],
        references=[ref(1), ref(2)],
    )
    out, report = CitationVerifier(scorer).verify(art, PASSAGES, drop_unsupported=True)
    assert [c.id for c in out.lead] == ["u"]
    assert out.lead[0].support >= 0.55 and out.lead[0].citations
    assert report.supported == 1


def test_at_most_two_embedding_calls_per_article(  # type: ignore[no-untyped-def]
    embedder,
) -> None:
    """Sentences in one call, then the whole passages of the claims no sentence fully
    supports in one more."""
    scorer = SupportScorer(embedder)
    CitationVerifier(scorer).verify(make_article(), PASSAGES, drop_unsupported=True)
    assert 1 <= scorer.embed_calls <= 2


def test_a_whole_passage_is_embedded_only_when_no_sentence_fully_supports(  # type: ignore[no-untyped-def]
    embedder,
) -> None:
    """The whole passage can only raise a claim whose best sentence is below full support;
    a claim that restates one sentence (an abbreviation spelled out) skips it, at the same
    score."""
    passage = ("Heat wrap therapy gave short-term relief of acute low back pain. It was "
               "compared with oral analgesics in two trials.")
    restated = "Heat wrap therapy gave short-term relief of acute low back pain (LBP)."
    seen: list[str] = []

    class Recording:
        name, dim, fingerprint = embedder.name, embedder.dim, embedder.fingerprint

        def embed(self, texts):  # type: ignore[no-untyped-def]
            seen.extend(texts)
            return embedder.embed(texts)

        def embed_query(self, text):  # type: ignore[no-untyped-def]
            return embedder.embed_query(text)

    got = SupportScorer(Recording()).score(restated, [passage])  # type: ignore[arg-type]
    assert passage not in seen and restated in seen
    full = SupportScorer(embedder)  # the score with the whole passage compared too
    every = _candidates([passage])
    assert any(c.whole for c in every)
    full._embed_all([restated, *(c.text for c in every)])
    assert got.score == full._score_one(restated, [passage], every, False).score
    seen.clear()
    unrelated = "Analgesics helped sleep in older adults."
    SupportScorer(Recording()).score(unrelated, [passage])  # type: ignore[arg-type]
    assert passage in seen


def test_reference_without_passage_counts_as_dangling(scorer: SupportScorer) -> None:
    art = make_article()
    out, report = CitationVerifier(scorer).verify(
        art, {1: [P1], 2: [P2], 4: [P4], 5: [P4]}, drop_unsupported=True
    )
    assert all(c.id != "l1" for c in out.lead)
    assert report.dangling_removed >= 3
