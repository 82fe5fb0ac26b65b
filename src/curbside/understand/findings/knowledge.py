"""The schema of ``knowledge/findings.yaml`` and its loader.

`FindingsFile` checks every entry (kinds, units, operators, known terms, regular expressions
that compile once their macros are expanded, a reason wherever a pattern is case-sensitive or
a term carries its own negation); `findings_knowledge()` is the bundled file, checked once.
A bad file raises `KnowledgeError` naming the file, the entry and the field.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from curbside.knowledge_files import load_knowledge

Kind = Literal["symptom", "sign", "modifier", "history", "context"]
VitalName = Literal["temperature", "systolic_bp", "diastolic_bp", "heart_rate",
                    "respiratory_rate", "spo2", "gcs", "glucose"]
Op = Literal["<", "<=", ">", ">="]

#: vital name -> the canonical unit vital signs are normalised to
CANONICAL_UNITS: dict[str, str] = {
    "temperature": "C", "spo2": "%", "systolic_bp": "mmHg", "diastolic_bp": "mmHg",
    "heart_rate": "/min", "respiratory_rate": "/min", "gcs": "points", "glucose": "mmol/L",
}
#: the entries of findings.yaml's lists, as errors name them
LABELS = {"findings": "finding", "derived_terms": "derived term", "opposites": "opposite",
          "vital_findings": "vital finding", "vital_ranges": "vital range"}
_MACRO = re.compile(r"\{([A-Z][A-Z_]*)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Macro(_Strict):
    pattern: str = Field(min_length=1)
    reason: str = Field(min_length=5)


class LexiconPattern(_Strict):
    """A pattern with its flags; a plain string in the file is a case-insensitive pattern."""

    pattern: str = Field(min_length=1)
    case_sensitive: bool = False
    reason: str | None = Field(default=None, min_length=10)

    @model_validator(mode="after")
    def _reasoned(self) -> LexiconPattern:
        if self.case_sensitive and not self.reason:
            raise ValueError("a case-sensitive pattern needs a reason")
        return self


def _as_pattern(value: object) -> object:
    return {"pattern": value} if isinstance(value, str) else value


class LexiconEntry(_Strict):
    term: str = Field(min_length=1)
    kind: Kind
    patterns: list[Annotated[LexiconPattern, BeforeValidator(_as_pattern)]] = Field(min_length=1)
    embeds_negation: bool = False
    reason: str | None = None

    @model_validator(mode="after")
    def _reasoned(self) -> LexiconEntry:
        if self.embeds_negation and not self.reason:
            raise ValueError("embeds_negation needs a reason")
        return self


class DerivedTerm(_Strict):
    term: str = Field(min_length=1)
    kind: Kind
    reason: str = Field(min_length=10)


class GenericTerms(_Strict):
    reason: str = Field(min_length=10)
    terms: list[str] = Field(min_length=1)


class Opposite(_Strict):
    terms: tuple[str, str]
    reason: str = Field(min_length=10)


class VitalFinding(_Strict):
    vital: VitalName
    op: Op
    value: float
    unit: str
    finding: str
    reason: str = Field(min_length=10)

    @model_validator(mode="after")
    def _unit(self) -> VitalFinding:
        _check_unit(self.vital, self.unit)
        return self


class VitalRange(_Strict):
    vital: VitalName
    min: float
    max: float
    unit: str
    reason: str = Field(min_length=10)

    @model_validator(mode="after")
    def _unit(self) -> VitalRange:
        _check_unit(self.vital, self.unit)
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


def _check_unit(vital: str, unit: str) -> None:
    if unit != CANONICAL_UNITS[vital]:
        raise ValueError(f"{vital} is in {CANONICAL_UNITS[vital]!r}, got {unit!r}")


class Threshold(_Strict):
    value: int | float
    unit: str = Field(min_length=1)
    reason: str = Field(min_length=10)


class Thresholds(_Strict):
    """The bare numbers of findings reading, each with its unit and reason."""

    max_text_chars: Threshold
    fever_conflict_below: Threshold
    long_duration_days: Threshold
    morning_stiffness_near_chars: Threshold
    prolonged_morning_stiffness_minutes: Threshold
    max_age_years: Threshold
    age_conflict_years: Threshold
    fahrenheit_above: Threshold
    bare_fever_fahrenheit_from: Threshold
    bare_fever_fahrenheit_to: Threshold
    bare_plural_duration_count: Threshold
    glucose_mg_dl_per_mmol_l: Threshold
    glucose_mg_dl_above: Threshold
    pregnancy_question_chars: Threshold


class FindingsFile(_Strict):
    """``knowledge/findings.yaml``."""

    version: int
    macros: dict[str, Macro] = Field(default_factory=dict)
    findings: list[LexiconEntry] = Field(min_length=1)
    derived_terms: list[DerivedTerm] = Field(default_factory=list)
    generic_terms: GenericTerms
    opposites: list[Opposite] = Field(default_factory=list)
    vital_findings: list[VitalFinding] = Field(default_factory=list)
    vital_ranges: list[VitalRange] = Field(default_factory=list)
    thresholds: Thresholds
    since_days: dict[str, float] = Field(min_length=1)

    def expand(self, pattern: str) -> str:
        """`pattern` with its ``{MACRO}`` names replaced."""
        for name, macro in self.macros.items():
            pattern = pattern.replace("{" + name + "}", macro.pattern)
        return pattern

    def known_terms(self) -> frozenset[str]:
        return frozenset(e.term for e in self.findings) | {d.term for d in self.derived_terms}

    @model_validator(mode="after")
    def _cross_checks(self) -> FindingsFile:  # noqa: C901 - one check per kind of reference
        for name in self.macros:
            if not _MACRO.fullmatch("{" + name + "}"):
                raise ValueError(f"macro {name!r}: names are capital letters and underscores")
        seen: set[str] = set()
        for e in self.findings:
            where = f"finding '{e.term}'"
            if e.term in seen:
                raise ValueError(f"{where}, field 'term': duplicate term")
            seen.add(e.term)
            for j, p in enumerate(e.patterns):
                rx = self.expand(p.pattern)
                left = _MACRO.search(rx)
                if left:
                    raise ValueError(f"{where}, field 'patterns.{j}': unknown macro "
                                     f"{left.group()} (macros: {sorted(self.macros)})")
                try:  # compiled as the lexicon compiles it, so its compile is a cache hit
                    re.compile(rx, 0 if p.case_sensitive else re.IGNORECASE)
                except re.error as exc:
                    raise ValueError(f"{where}, field 'patterns.{j}': {exc}") from None
        for d in self.derived_terms:
            if d.term in seen:
                raise ValueError(f"derived term '{d.term}', field 'term': duplicate term")
            seen.add(d.term)
        for t in self.generic_terms.terms:
            if t not in seen:
                raise ValueError(f"field 'generic_terms.terms': unknown term {t!r}")
        for o in self.opposites:
            for t in o.terms:
                if t not in seen:
                    raise ValueError(f"opposite {list(o.terms)}, field 'terms': unknown term "
                                     f"{t!r}")
        vitals: set[str] = set()
        for v in self.vital_findings:
            if v.finding not in seen:
                raise ValueError(f"vital finding '{v.vital}', field 'finding': unknown term "
                                 f"{v.finding!r}")
            if v.vital in vitals:
                raise ValueError(f"vital finding '{v.vital}', field 'vital': one rule per vital "
                                 "sign")
            vitals.add(v.vital)
        missing = sorted({"temperature", "systolic_bp", "diastolic_bp", "heart_rate",
                          "respiratory_rate", "spo2", "gcs"} - {r.vital for r in self.vital_ranges})
        if missing:
            raise ValueError(f"field 'vital_ranges': no range for {missing}")
        if len({r.vital for r in self.vital_ranges}) != len(self.vital_ranges):
            raise ValueError("field 'vital_ranges': one range per vital sign")
        if "other" not in self.since_days:
            raise ValueError("field 'since_days': needs an 'other' entry (the default)")
        return self


@cache
def findings_knowledge() -> FindingsFile:
    """The bundled ``knowledge/findings.yaml``, checked (cached)."""
    return load_knowledge("findings.yaml", FindingsFile, labels=LABELS)
