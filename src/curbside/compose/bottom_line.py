"""The bottom line: the consensus meter's verdict line, the premise check, the answer sentence.

`write_bottom_line(meter, answer, premises)` is the one step that writes an article's bottom
line and settles its consensus meter, with the question's premise findings as an input:

* no premise finding: the verdict line of the meter (``verdict.<verdict>``; none when the
  meter says "insufficient") opens the bottom line, then the answer sentences;
* a premise finding the evidence gives against what the question takes for granted (the
  reference question: pain that improves with movement is inflammatory, not mechanical):
  a "supports" verdict would tell the reader the opposite of the premise finding shown above
  it, so it becomes "mixed", the cited findings are counted against it (and added to its
  basis), and the premise line (``premise.bottom_line``) opens the bottom line instead of the
  verdict line. When no verdict is shown because the stance model was unsure
  (`Consensus.leaning`), a "supports" leaning becomes "mixed" and the premise line opens the
  bottom line. A question with no meter (not a yes/no question: "How much vitamin C should I
  take to cure my cold?") gets the premise line too, so the bottom line does not answer the
  question as if its premise held;
* an article composed from too little evidence says "insufficient" whatever the findings.

The composer writes the bottom line with no findings; the premise audit runs after it (its
citation numbers follow the composer's and the LLM writer's), and `settle_bottom_line` writes
the bottom line again, by the same step, with the audit's findings: sentences are chosen by
message key (`curbside.messages`), never found and replaced by their text.

A premise finding also opens the lead (``premise.lead``, true by construction: the audit found
the evidence against what the question takes for granted). The lead is what a reader takes
away first, and for a question built on a false premise the most important answer is that the
premise does not hold (the reference question: its best-scoring source sentence, about
sacroiliac joint fusion, answers none of it); the cited findings follow in the check of the
question's premises.
"""

from __future__ import annotations

from collections.abc import Sequence

from curbside.article import Article, Claim, Consensus, PremiseFinding
from curbside.messages import own_claim, says

#: The message key of the verdict line of each verdict.
VERDICT_KEY = {
    "supports": "verdict.supports",
    "contradicts": "verdict.contradicts",
    "mixed": "verdict.mixed",
    "insufficient": "verdict.insufficient",
}
#: The message key of the line that points to the check of the question's premises.
PREMISE_KEY = "premise.bottom_line"
#: The message key of the frame that opens the lead when a premise finding was made.
PREMISE_LEAD_KEY = "premise.lead"


def write_bottom_line(
    meter: Consensus | None,
    answer: Sequence[Claim],
    premises: Sequence[PremiseFinding] = (),
    *,
    insufficient: bool = False,
) -> tuple[Consensus | None, list[Claim]]:
    """(the meter settled with the premise findings, the bottom line): see the module doc.
    `answer` is the answer sentences (sources, cited); `meter` the meter as the composer read
    it (None for a question that is not yes/no)."""
    if insufficient:
        return meter, [own_claim(VERDICT_KEY["insufficient"]), *answer]
    if premises and meter is None:
        return meter, [own_claim(PREMISE_KEY), *answer]
    if premises and meter is not None and meter.leaning == "supports":
        # no verdict is shown (the stance model was unsure), but its leaning must not read
        # as support for a premise the evidence does not bear out either
        return meter.model_copy(update={"leaning": "mixed"}), [own_claim(PREMISE_KEY), *answer]
    if premises and meter is not None and meter.verdict == "supports":
        basis = [
            f"{f.finding} [{', '.join(str(n) for n in f.citations)}]" if f.citations else f.finding
            for f in premises
        ]
        settled = meter.model_copy(update={
            "verdict": "mixed",
            "contradicts": meter.contradicts + len(premises),
            "basis": [*meter.basis, *basis],
        })
        return settled, [own_claim(PREMISE_KEY), *answer]
    if meter is not None and meter.verdict != "insufficient":
        return meter, [own_claim(VERDICT_KEY[meter.verdict]), *answer]
    return meter, list(answer)


def write_lead(lead: Sequence[Claim], premises: Sequence[PremiseFinding]) -> list[Claim]:
    """The lead with the premise frame (``premise.lead``) first when there are premise
    findings; the lead as it was otherwise, or when it already opens with the frame."""
    if not premises or any(says(c, PREMISE_LEAD_KEY) for c in lead):
        return list(lead)
    return [own_claim(PREMISE_LEAD_KEY), *lead]


def settle_bottom_line(article: Article, premises: Sequence[PremiseFinding]) -> Article:
    """`article` with its bottom line and meter written again with the premise findings as
    input (`write_bottom_line`) and its lead opened by the premise frame (`write_lead`); the
    article itself when that changes nothing or when it was composed from too little evidence.
    Settling twice changes nothing more (the premise line and frame are said once)."""
    if not premises or article.insufficient:
        return article
    update: dict[str, object] = {}
    lead = write_lead(article.lead, premises)
    if lead != article.lead:
        update["lead"] = lead
    if not any(says(c, PREMISE_KEY) for c in article.bottom_line):
        answer = [c for c in article.bottom_line if not c.ours]
        meter, bottom = write_bottom_line(
            article.consensus, answer, premises, insufficient=article.insufficient
        )
        if meter != article.consensus:
            update["consensus"] = meter
        if bottom != article.bottom_line:
            update["bottom_line"] = bottom
    return article.model_copy(update=update) if update else article
