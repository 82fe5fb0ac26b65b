"""Safety use cases: triage a question or vignette; add the safety blocks to an article."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from curbside.article import Article
from curbside.compose.bottom_line import settle_bottom_line
from curbside.compose.references import ReferenceList
from curbside.domain import Evidence
from curbside.safety.blocks import SafetyResult, safety_blocks
from curbside.safety.triage import TriageResult, triage
from curbside.services.runtime import Runtime

MAX_TRIAGE_CHARS = 20000


def triage_text(text: str) -> TriageResult:
    """Urgency, reasons and ranked conditions (with supporting external ids) for `text`.

    Needs no database. Raises ValueError on empty or oversized input."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text: is empty")
    if len(text) > MAX_TRIAGE_CHARS:
        raise ValueError(f"text: is longer than {MAX_TRIAGE_CHARS} characters")
    return triage(text)


def triage_public(result: TriageResult) -> dict[str, Any]:
    """A JSON-ready view of a triage result."""
    return result.to_dict()


def add_safety(
    rt: Runtime, *, article: Article, evidence: Sequence[Evidence], refs: ReferenceList
) -> tuple[Article, SafetyResult]:
    """`article` with premise findings, red flags, urgency and references filled in, and its
    bottom line written with the premise findings as input (`settle_bottom_line`).

    `refs` must be the ReferenceList the composer used for `article`, so new numbers continue
    its numbering. The article keeps its references (as the verifier left them) and gains those
    the safety blocks cite."""
    res = safety_blocks(article.question, evidence, rt.store, refs)
    cited = {n for f in res.premise_findings for n in f.citations}
    cited |= {n for f in res.red_flags for n in f.citations}
    have = {r.n for r in article.references}
    extra = [r for r in refs.references() if r.n in cited and r.n not in have]
    updated = article.model_copy(update={
        "premise_findings": list(article.premise_findings) + res.premise_findings,
        "red_flags": list(article.red_flags) + res.red_flags,
        "urgency": res.urgency if res.urgency != "none" else article.urgency,
        "references": sorted([*article.references, *extra], key=lambda r: r.n),
    })
    return settle_bottom_line(updated, res.premise_findings), res
