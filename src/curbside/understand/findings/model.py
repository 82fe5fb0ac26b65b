"""What `extract_findings` returns: findings, durations, vital signs and the result of one text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Sex = Literal["male", "female"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding as stated in the text."""

    term: str
    kind: str
    text: str
    start: int
    end: int
    negated: bool = False
    derived_from: str | None = None  # e.g. "temperature 38.5 C" for a fever read off a vital sign


@dataclass(frozen=True, slots=True)
class Duration:
    """A stated duration: its words, length in days when known, and a comparator ('>' or '<')."""

    text: str
    start: int
    end: int
    days: float | None
    comparator: str | None = None


@dataclass(frozen=True, slots=True)
class Vital:
    """A vital sign or lab value read from the text, normalised (temperature C, glucose mmol/L)."""

    name: str  # temperature, systolic_bp, diastolic_bp, heart_rate, respiratory_rate, spo2, gcs,
    # glucose
    value: float
    unit: str
    text: str
    start: int
    end: int


@dataclass(slots=True)
class Findings:
    """Everything `extract_findings` read from one text."""

    text: str
    findings: list[Finding] = field(default_factory=list)
    durations: list[Duration] = field(default_factory=list)
    vitals: list[Vital] = field(default_factory=list)
    age: float | None = None
    ages: list[float] = field(default_factory=list)
    sex: Sex | None = None
    pregnant: bool | None = None
    conflicts: list[str] = field(default_factory=list)

    def present(self) -> set[str]:
        """Terms stated at least once without negation (a conflict counts as present)."""
        return {f.term for f in self.findings if not f.negated}

    def absent(self) -> set[str]:
        """Terms only ever stated as negated."""
        neg = {f.term for f in self.findings if f.negated}
        return neg - self.present()

    def has(self, term: str) -> bool:
        return term in self.present()

    def evidence_for(self, term: str) -> str | None:
        """The surface text that stated `term` (first affirmed mention)."""
        for f in self.findings:
            if f.term == term and not f.negated:
                return f.text
        return None

    def max_duration_days(self) -> float | None:
        days = [d.days for d in self.durations if d.days is not None]
        return max(days) if days else None

