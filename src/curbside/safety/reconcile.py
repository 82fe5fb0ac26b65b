"""Keep the consensus meter and bottom line consistent with the premise audit.

The meter counts the stance of conclusion sentences towards the question as asked. When the
premise audit finds that the question assumes something the evidence does not bear out (the
reference question: pain that improves with movement is inflammatory, not mechanical), a
"supports" verdict would tell the reader the opposite of the premise finding shown above it.
Then the verdict becomes "mixed", the cited premise findings are counted against it, and our
own bottom-line sentence points to the premise check instead of saying "supports". When no
verdict is shown because the stance model was unsure (`Consensus.leaning`), a "supports"
leaning becomes "mixed" and the premise sentence opens the bottom line. A question with no
meter (not a yes/no question: "How much vitamin C should I take to cure my cold?") gets the
same opening sentence when a premise finding contradicts what it takes for granted, so the
bottom line does not answer the question as if its premise held.
"""

from __future__ import annotations

from collections.abc import Sequence

from curbside.article import Article, PremiseFinding
from curbside.compose.composer import VERDICT_KEY
from curbside.messages import own_claim, says

#: The message key of the bottom-line sentence that points to the premise check.
PREMISE_KEY = "premise.bottom_line"


def reconcile_with_premises(article: Article, findings: Sequence[PremiseFinding]) -> Article:
    """`article` with a "supports" verdict downgraded when a premise finding contradicts it."""
    meter = article.consensus
    if findings and meter is None and not article.insufficient and not any(
            says(c, PREMISE_KEY) for c in article.bottom_line):
        bottom = [own_claim(PREMISE_KEY), *article.bottom_line]
        return article.model_copy(update={"bottom_line": bottom})
    if findings and meter is not None and meter.leaning == "supports":
        # no verdict is shown (the stance model was unsure), but its leaning must not read
        # as support for a premise the evidence does not bear out either; the bottom line
        # points to the premise check before the answer sentence
        meter = meter.model_copy(update={"leaning": "mixed"})
        bottom = [own_claim(PREMISE_KEY), *article.bottom_line]
        return article.model_copy(update={"consensus": meter, "bottom_line": bottom})
    if not findings or meter is None or meter.verdict != "supports":
        return article
    basis = [
        f"{f.finding} [{', '.join(str(n) for n in f.citations)}]" if f.citations else f.finding
        for f in findings
    ]
    consensus = meter.model_copy(
        update={
            "verdict": "mixed",
            "contradicts": meter.contradicts + len(findings),
            "basis": [*meter.basis, *basis],
        }
    )
    bottom = [
        own_claim(PREMISE_KEY) if says(c, VERDICT_KEY["supports"]) else c
        for c in article.bottom_line
    ]
    return article.model_copy(update={"consensus": consensus, "bottom_line": bottom})
