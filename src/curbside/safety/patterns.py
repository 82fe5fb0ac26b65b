"""Knowledge patterns (``curbside/knowledge/patterns.yaml``): loading, validation, matching.

A pattern names a condition, its urgency, the findings that raise it (trigger sets over the
canonical terms of `curbside.understand.findings`), what it suggests, the recommended action,
the starter-library notes that support it (external ids) and, for premise checks, the cue
phrases of the assumption and the correction. Bad data fails loudly with the pattern id and
field: ``patterns.yaml: pattern 'stroke', field 'triggers.0.any.1': unknown finding term 'x'``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from curbside.knowledge_files import DateText, knowledge_text, parse_knowledge
from curbside.understand.findings import KNOWN_TERMS, Findings

PatternUrgency = Literal["emergency", "urgent", "routine"]
URGENCY_RANK: dict[str, int] = {"emergency": 3, "urgent": 2, "routine": 1, "none": 0}


class PatternError(ValueError):
    """The patterns file is malformed; the message names the pattern id and the field."""


class TriggerSet(BaseModel):
    """One way a pattern can fire. All conditions given must hold."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    all_: list[str | list[str]] = Field(default_factory=list, alias="all")
    any_: list[str] = Field(default_factory=list, alias="any")
    min_any: int = Field(1, ge=1)
    none: list[str] = Field(default_factory=list)
    age_min: float | None = None
    age_max: float | None = None
    sex: Literal["male", "female"] | None = None
    pregnant: bool | None = None

    def terms(self) -> set[str]:
        out: set[str] = set(self.any_) | set(self.none)
        for item in self.all_:
            out |= {item} if isinstance(item, str) else set(item)
        return out

    def positive_terms(self) -> set[str]:
        return self.terms() - set(self.none)


class Premise(BaseModel):
    """A premise check: the question's cue phrases show the assumption; the correction says
    what the cited evidence indicates."""

    model_config = ConfigDict(extra="forbid")

    cues: list[str] = Field(min_length=1)
    context_any: list[str] = Field(default_factory=list)
    requires_any: list[str] = Field(default_factory=list)
    assumption: str = Field(min_length=3)
    correction: str = Field(min_length=10)


class Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=3)
    aliases: list[str] = Field(default_factory=list)
    urgency: PatternUrgency
    triggers: list[TriggerSet]
    suggests: str = Field(min_length=10)
    action: str = Field(min_length=5)
    lay_action: str | None = None
    citations: list[str] = Field(min_length=1)
    gaps: str | None = None
    premise: Premise | None = None

    @field_validator("citations")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for ext in v:
            if not re.match(r"^(ngc|pmid|medquad|doc):\S+$", ext):
                raise ValueError(f"citation {ext!r} is not an external id (ngc:/pmid:/medquad:)")
        return v


class PatternSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    updated: DateText
    patterns: list[Pattern]

    def by_id(self) -> dict[str, Pattern]:
        return {p.id: p for p in self.patterns}


def parse_patterns(text: str, *, name: str = "patterns.yaml") -> PatternSet:
    """Parse and validate patterns YAML; raises `PatternError` naming pattern id and field."""
    ps = parse_knowledge(text, PatternSet, name=name, error=PatternError,
                         labels={"patterns": "pattern"},
                         expected="expected a mapping with version, updated and patterns")
    seen: set[str] = set()
    for p in ps.patterns:
        if p.id in seen:
            raise PatternError(f"{name}: pattern '{p.id}', field 'id': duplicate id")
        seen.add(p.id)
        for i, t in enumerate(p.triggers):
            for term in sorted(t.terms()):
                if term not in KNOWN_TERMS:
                    raise PatternError(
                        f"{name}: pattern '{p.id}', field 'triggers.{i}': unknown finding term "
                        f"'{term}' (see curbside.understand.findings.KNOWN_TERMS)"
                    )
            if not (t.all_ or t.any_ or t.age_min is not None or t.pregnant is not None):
                raise PatternError(
                    f"{name}: pattern '{p.id}', field 'triggers.{i}': empty trigger set"
                )
        if p.premise:
            for term in p.premise.requires_any:
                if term not in KNOWN_TERMS:
                    raise PatternError(
                        f"{name}: pattern '{p.id}', field 'premise.requires_any': unknown finding "
                        f"term '{term}'"
                    )
        if not p.triggers and p.premise is None:
            raise PatternError(f"{name}: pattern '{p.id}', field 'triggers': a pattern without "
                               "triggers must have a premise block")
    return ps


def load_patterns(path: Path | None = None) -> PatternSet:
    """The bundled patterns (cached), or the file at `path` (not cached)."""
    if path is not None:
        return parse_patterns(path.read_text(encoding="utf-8"), name=str(path))
    return _bundled()


@cache
def _bundled() -> PatternSet:
    return parse_patterns(knowledge_text("patterns.yaml"))


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatternMatch:
    """A pattern whose trigger set fired (or, with ``fired=False``, a partial match)."""

    pattern: Pattern
    fired: bool
    score: float
    matched: tuple[str, ...]
    trigger_text: str

    @property
    def urgency(self) -> str:
        return self.pattern.urgency


def _demographics_ok(t: TriggerSet, f: Findings) -> bool:
    if f.age is not None:
        if t.age_min is not None and f.age < t.age_min:
            return False
        if t.age_max is not None and f.age > t.age_max:
            return False
    if t.sex is not None and f.sex is not None and f.sex != t.sex:
        return False
    if t.sex == "male" and f.pregnant:
        return False
    return t.pregnant is None or bool(f.pregnant) == t.pregnant


def _eval_set(t: TriggerSet, present: set[str], f: Findings) -> tuple[bool, list[str]]:
    matched: list[str] = []
    for item in t.all_:
        alts = [item] if isinstance(item, str) else item
        hit = [a for a in alts if a in present]
        if not hit:
            return False, matched
        matched.append(hit[0])
    if t.any_:
        hits = [a for a in t.any_ if a in present and a not in matched]
        if len(hits) < t.min_any:
            return False, matched + hits
        matched += hits
    if any(n in present for n in t.none):
        return False, matched
    if not _demographics_ok(t, f):
        return False, matched
    return True, matched


def match_patterns(findings: Findings,
                   patterns: Sequence[Pattern] | None = None) -> list[PatternMatch]:
    """Patterns whose triggers fired for `findings`, most urgent and best supported first."""
    pats = list(patterns) if patterns is not None else load_patterns().patterns
    present = findings.present()
    out: list[PatternMatch] = []
    for p in pats:
        best: tuple[float, list[str]] | None = None
        for t in p.triggers:
            ok, matched = _eval_set(t, present, findings)
            if ok:
                n = len(set(matched))
                score = n + n / max(1, len(t.positive_terms()))
                if best is None or score > best[0]:
                    best = (score, matched)
        if best is not None:
            words = [findings.evidence_for(m) or m for m in dict.fromkeys(best[1])]
            out.append(PatternMatch(p, True, round(best[0], 3), tuple(dict.fromkeys(best[1])),
                                    "; ".join(words)))
    out.sort(key=lambda m: (-URGENCY_RANK[m.urgency], -m.score, m.pattern.id))
    return out


def partial_matches(findings: Findings, patterns: Sequence[Pattern] | None = None,
                    exclude: set[str] | None = None) -> list[PatternMatch]:
    """Patterns that did not fire but share findings with the text, ranked by how many of
    their (rarer) trigger terms are present. For differential lists, never for urgency."""
    source = patterns if patterns is not None else load_patterns().patterns
    pats = [p for p in source if p.triggers]
    present = findings.present()
    freq: dict[str, int] = {}
    for p in pats:
        for term in set().union(*(t.positive_terms() for t in p.triggers)):
            freq[term] = freq.get(term, 0) + 1
    out: list[PatternMatch] = []
    for p in pats:
        if exclude and p.id in exclude:
            continue
        terms = set().union(*(t.positive_terms() for t in p.triggers))
        hit = sorted(terms & present)
        if not hit:
            continue
        demo_ok = any(_demographics_ok(t, findings) for t in p.triggers)
        score = sum(1.0 / freq[h] for h in hit) * (1.0 if demo_ok else 0.3)
        words = [findings.evidence_for(h) or h for h in hit]
        out.append(PatternMatch(p, False, round(score, 3), tuple(hit), "; ".join(words)))
    out.sort(key=lambda m: (-m.score, -URGENCY_RANK[m.urgency], m.pattern.id))
    return out
