"""Triage: urgency level and the conditions a question or vignette raises, from the patterns.

`triage(text)` extracts findings (negation-aware), fires the knowledge patterns and the
vital-sign and age rules (`curbside.safety.vital_rules`, data in ``knowledge/vital_signs.yaml``)
and returns the urgency, the reasons (what in the text fired each pattern or rule, plus any
conflicting findings), and the conditions raised, ranked (most urgent, best supported first),
each with the external ids of the notes behind it.

The urgency is the highest of the fired patterns and rules. ``routine`` only when a routine
pattern fired and nothing higher did; when no pattern and no rule fired it is ``undetermined``
("not determined: no rule matched"), never ``routine``: an emergency outside the patterns must
not read as routine.
`differential` lists, after the fired conditions, partial matches for a wider differential;
partial matches never change the urgency.

`diagnoses` is the coded differential (`curbside.safety.differential`): conditions of the
cited urgency table ranked for the case, each with its ICD-10-CM code, urgency, probability
and the sentences of its sources that matched. It raises the urgency too: a plausible
emergency condition anywhere in the top of the list makes the case urgent or an emergency
(`differential_level`), never lower. `what_to_do` says, in plain words, what to do now.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from curbside.messages import message
from curbside.safety.differential import differential_level, rank_conditions
from curbside.safety.patterns import PatternMatch, match_patterns, partial_matches
from curbside.safety.vital_rules import fire_vital_rules
from curbside.understand.findings import Findings, extract_findings

TriageLevel = Literal["emergency", "urgent", "routine", "undetermined"]
TRIAGE_LEVELS: tuple[TriageLevel, ...] = ("emergency", "urgent", "routine", "undetermined")

#: What each level tells a clinician and, in plain words, a patient: the message keys
#: ``urgency.<level>`` of the message catalogue (`curbside.messages`).
LEVEL_KEY: dict[str, str] = {level: f"urgency.{level}" for level in TRIAGE_LEVELS}


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
    rules: list[dict[str, Any]] = field(default_factory=list)  # fired vital-sign / age rules
    considered: list[RaisedCondition] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    age: float | None = None
    sex: str | None = None
    pregnant: bool | None = None
    findings: list[str] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)
    diagnoses: list[dict[str, Any]] = field(default_factory=list)  # the coded differential

    def differential(self, k: int = 10) -> list[RaisedCondition]:
        """Fired conditions, then partial matches, `k` at most."""
        return (self.conditions + self.considered)[:k]

    @property
    def label(self) -> str:
        return message(LEVEL_KEY[self.urgency], "clinician")

    @property
    def patient_advice(self) -> str:
        return message(LEVEL_KEY[self.urgency], "patient")

    @property
    def what_to_do(self) -> str:
        """What to do now, in plain words (the patient advice of the level)."""
        return self.patient_advice

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["label"] = self.label
        d["patient_advice"] = self.patient_advice
        d["what_to_do"] = self.what_to_do
        return d


def _condition(m: PatternMatch) -> RaisedCondition:
    p = m.pattern
    return RaisedCondition(
        pattern=p.id, name=p.name, urgency=p.urgency, fired=m.fired, score=m.score,
        matched=list(m.matched), trigger=m.trigger_text, suggests=" ".join(p.suggests.split()),
        action=" ".join(p.action.split()), citations=list(p.citations),
    )


def triage_findings(f: Findings, *, partial: bool = True,
                    differential: bool = True) -> TriageResult:
    fired = match_patterns(f)
    conditions = [_condition(m) for m in fired]
    considered = (
        [_condition(m) for m in partial_matches(f, exclude={c.pattern for c in conditions})]
        if partial else []
    )
    fired_rules = fire_vital_rules(f)
    levels = {c.urgency for c in conditions} | {r.rule.level for r in fired_rules}
    ranked = rank_conditions(f) if differential else []
    diff_level = differential_level(ranked)
    if diff_level:
        levels.add(diff_level)
    level: TriageLevel = next(
        (lv for lv in TRIAGE_LEVELS if lv in levels), "undetermined")
    reasons = [f"{c.name} ({c.urgency}): {c.trigger}" for c in conditions]
    reasons += [r.reason for r in fired_rules]
    if diff_level:
        high = [r for r in ranked[:10] if r.level in ("emergency", "urgent") and r.plausible]
        reasons.append(f"differential ({diff_level}): possible "
                       + ", ".join(f"{r.name} ({r.level}, p={r.probability:.2f})"
                                   for r in high[:3]))
    if not conditions and not fired_rules and not diff_level:
        reasons.append("not determined: no condition pattern, no vital-sign or age rule and "
                       "no urgent condition in the differential matched the findings stated")
    reasons += [f"conflicting findings: {c}" for c in f.conflicts]
    return TriageResult(
        urgency=level, reasons=reasons, conditions=conditions,
        rules=[{"id": r.rule.id, "name": r.rule.name, "level": r.rule.level,
                "seen": list(r.seen), "source": r.rule.source} for r in fired_rules],
        considered=considered,
        conflicts=list(f.conflicts), age=f.age, sex=f.sex, pregnant=f.pregnant,
        findings=sorted(f.present()), negated=sorted(f.absent()),
        diagnoses=[r.to_dict() for r in ranked],
    )


def triage(text: str, *, partial: bool = True) -> TriageResult:
    """Urgency, reasons and ranked conditions for a question or case vignette."""
    return triage_findings(extract_findings(text), partial=partial)
