"""The consensus meter never says "supports" above a premise finding that contradicts it: the
bottom line is written with the premise findings as an input (`compose.bottom_line`)."""

from __future__ import annotations

from curbside import services
from curbside.article import Article, Claim, Consensus, PremiseFinding
from curbside.compose.bottom_line import (
    PREMISE_KEY,
    PREMISE_LEAD_KEY,
    VERDICT_KEY,
    settle_bottom_line,
)
from curbside.messages import message, own_claim, says

PREMISE_BOTTOM_LINE = message(PREMISE_KEY)

REFERENCE_QUESTION = (
    "Is SI joint imbalance a common cause of low back pain and stiffness that improves with "
    "movement and exercise?"
)


def _article(verdict: str) -> Article:
    return Article(
        question="Does X help?",
        title="Does X help?",
        created_at="2026-11-25T00:00:00Z",
        settings_fingerprint="t",
        # as the composer writes it: the verdict line (when one is shown), the answer
        bottom_line=[
            *([own_claim(VERDICT_KEY[verdict])] if verdict != "insufficient" else []),
            Claim(text="A source sentence.", citations=[1], support=0.9),
        ],
        consensus=Consensus(verdict=verdict, supports=2, neutral=4, basis=["s [1]"]),  # type: ignore[arg-type]
    )


FINDING = PremiseFinding(assumption="X", finding="Y is what the evidence shows.", citations=[3])


def test_supports_becomes_mixed_with_the_finding_counted_against_it() -> None:
    out = settle_bottom_line(_article("supports"), [FINDING])
    assert out.consensus is not None
    assert out.consensus.verdict == "mixed"
    assert (out.consensus.supports, out.consensus.contradicts) == (2, 1)
    assert out.consensus.basis[-1] == "Y is what the evidence shows. [3]"
    assert [c.text for c in out.bottom_line] == [PREMISE_BOTTOM_LINE, "A source sentence."]
    assert [c.key for c in out.bottom_line] == [PREMISE_KEY, None]
    assert out.bottom_line[1].citations == [1]  # source sentences untouched


def test_nothing_changes_without_a_finding_or_a_supports_verdict() -> None:
    art = _article("supports")
    assert settle_bottom_line(art, []) is art
    for verdict in ("contradicts", "mixed", "insufficient"):
        other = _article(verdict)
        out = settle_bottom_line(other, [FINDING])
        assert out.bottom_line == other.bottom_line and out.consensus == other.consensus
        assert [c.key for c in out.lead] == [PREMISE_LEAD_KEY]  # the lead frame only


def test_a_premise_finding_opens_the_lead_once_before_the_answer() -> None:
    answer = Claim(text="The best answer sentence.", citations=[1], support=0.9)
    art = _article("supports").model_copy(update={"lead": [answer]})
    out = settle_bottom_line(art, [FINDING])
    assert [c.key for c in out.lead] == [PREMISE_LEAD_KEY, None]
    assert out.lead[0].ours and not out.lead[0].citations
    assert out.lead[1] == answer  # the source sentence untouched, still cited
    again = settle_bottom_line(out, [FINDING])
    assert again.lead == out.lead and again.bottom_line == out.bottom_line
    assert settle_bottom_line(art, []).lead == [answer]


def test_reference_question_never_claims_support_for_its_false_premise(
    starter_rt: services.Runtime,
) -> None:
    for audience in ("clinician", "patient", "student"):
        art = services.ask(starter_rt, question=REFERENCE_QUESTION, audience=audience, save=False)
        assert art.premise_findings
        assert says(art.lead[0], PREMISE_LEAD_KEY)  # the lead says the premise fails first
        assert art.lead[0].text == message(PREMISE_LEAD_KEY, audience)
        assert art.consensus is None or art.consensus.verdict != "supports"
        assert VERDICT_KEY["supports"] not in [c.key for c in art.bottom_line]
        said = message(VERDICT_KEY["supports"], audience)
        assert said not in [c.text for c in art.bottom_line]


def test_an_unsure_supports_leaning_is_not_left_under_a_premise_finding() -> None:
    art = _article("insufficient")
    assert art.consensus is not None
    art.consensus.leaning = "supports"
    out = settle_bottom_line(art, [FINDING])
    assert out.consensus is not None
    assert out.consensus.verdict == "insufficient" and out.consensus.leaning == "mixed"
    assert out.bottom_line[0].text == PREMISE_BOTTOM_LINE and out.bottom_line[0].ours
    assert out.bottom_line[1:] == art.bottom_line


def test_a_question_without_a_meter_opens_its_bottom_line_with_the_premise_check() -> None:
    art = _article("insufficient").model_copy(update={"consensus": None})
    out = settle_bottom_line(art, [FINDING])
    assert out.bottom_line[0].text == PREMISE_BOTTOM_LINE and out.bottom_line[0].ours
    assert out.bottom_line[1:] == art.bottom_line
    assert settle_bottom_line(out, [FINDING]).bottom_line == out.bottom_line  # once
    assert settle_bottom_line(art, []) is art
    empty = art.model_copy(update={"insufficient": True})
    assert settle_bottom_line(empty, [FINDING]) is empty
