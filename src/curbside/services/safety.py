"""Safety use cases: triage a question or vignette; add the safety blocks to an article."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from curbside.article import Article
from curbside.compose.references import ReferenceList
from curbside.domain import Evidence
from curbside.pipeline import Safety
from curbside.safety.blocks import SafetyResult
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
    """`article` with premise findings, red flags, urgency and references filled in: the
    answer pipeline's safety stage (`pipeline.Safety.add`, where the rules are)."""
    return Safety(rt.store).add(article, evidence, refs)
