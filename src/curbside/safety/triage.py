"""Triage: urgency level and the conditions a question or vignette raises, from the patterns.

`triage(text)` extracts findings (negation-aware), fires the knowledge patterns and returns the
urgency (the most urgent fired pattern; ``routine`` when none fired), the reasons (what in the
text fired each pattern, plus any conflicting findings), and the conditions raised, ranked
(most urgent, best supported first), each with the external ids of the notes behind it.
`differential` lists, after the fired conditions, partial matches for a wider differential;
partial matches never change the urgency.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from curbside.safety.patterns import PatternMatch, match_patterns, partial_matches
from curbside.understand.findings import Findings, extract_findings

TriageLevel = Literal["emergency", "urgent", "routine"]


@dataclass(frozen=True, slots=True)
class RaisedCondition:
    pattern: str
    name: str
    urgency: str
    fired: bool
    score: float
    matched: list[str]
    trigger: str
    suggests: str
    action: str
    citations: list[str]


@dataclass(slots=True)
class TriageResult:
    urgency: TriageLevel
    reasons: list[str]
    conditions: list[RaisedCondition]
    considered: list[RaisedCondition] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    age: float | None = None
    sex: str | None = None
    pregnant: bool | None = None
    findings: list[str] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)

    def differential(self, k: int = 10) -> list[RaisedCondition]:
        """Fired conditions, then partial matches, `k` at most."""
        return (self.conditions + self.considered)[:k]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _condition(m: PatternMatch) -> RaisedCondition:
    p = m.pattern
    return RaisedCondition(
        pattern=p.id, name=p.name, urgency=p.urgency, fired=m.fired, score=m.score,
        matched=list(m.matched), trigger=m.trigger_text, suggests=" ".join(p.suggests.split()),
        action=" ".join(p.action.split()), citations=list(p.citations),
    )


def triage_findings(f: Findings, *, partial: bool = True) -> TriageResult:
    fired = match_patterns(f)
    conditions = [_condition(m) for m in fired]
    considered = (
        [_condition(m) for m in partial_matches(f, exclude={c.pattern for c in conditions})]
        if partial else []
    )
    level: TriageLevel = "routine"
    if any(c.urgency == "emergency" for c in conditions):
        level = "emergency"
    elif any(c.urgency == "urgent" for c in conditions):
        level = "urgent"
    reasons = [f"{c.name} ({c.urgency}): {c.trigger}" for c in conditions]
    if not conditions:
        reasons.append("no red-flag pattern matched the findings stated")
    reasons += [f"conflicting findings: {c}" for c in f.conflicts]
    return TriageResult(
        urgency=level, reasons=reasons, conditions=conditions, considered=considered,
        conflicts=list(f.conflicts), age=f.age, sex=f.sex, pregnant=f.pregnant,
        findings=sorted(f.present()), negated=sorted(f.absent()),
    )


def triage(text: str, *, partial: bool = True) -> TriageResult:
    """Urgency, reasons and ranked conditions for a question or case vignette."""
    return triage_findings(extract_findings(text), partial=partial)
