"""Vital-sign and age rules (``curbside/knowledge/vital_signs.yaml``): loading and evaluation.

Each rule names its thresholds, the level it raises and its source, as data. `load_vital_rules`
validates every entry and raises ValueError naming the entry and the field
(``vital_signs.yaml: rule 'news2_spo2_low', field 'criteria.0.value': must be a number``).
`fire_vital_rules(findings)` returns the rules met by the vital signs and findings read from a
text (`curbside.understand.findings`), each with what was seen ("spo2 88 % (sats 88%)").
Findings are negation-aware ("no confusion" never fires a confusion rule); vital signs are
measurements and are never negated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from curbside.knowledge_files import knowledge_text, yaml_mapping
from curbside.understand.findings import KNOWN_TERMS, Findings
from curbside.understand.findings.knowledge import CANONICAL_UNITS

RuleLevel = Literal["emergency", "urgent"]

#: vital name -> the canonical unit `curbside.understand.findings` normalises it to
VITAL_UNITS: dict[str, str] = CANONICAL_UNITS
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_RULE_FIELDS = {"id", "name", "level", "source", "criteria", "min_met", "age_under_years",
                "age_at_least_years"}


@dataclass(frozen=True, slots=True)
class Criterion:
    vital: str | None = None
    op: str | None = None
    value: float | None = None
    unit: str | None = None
    finding: str | None = None
    required: bool = False  # must be met (and counts towards min_met)

    def describe(self) -> str:
        if self.finding:
            return self.finding
        return f"{self.vital} {self.op} {self.value:g} {self.unit}"


@dataclass(frozen=True, slots=True)
class VitalRule:
    id: str
    name: str
    level: RuleLevel
    source: str
    criteria: tuple[Criterion, ...]
    min_met: int = 1
    age_under_years: float | None = None
    age_at_least_years: float | None = None


@dataclass(frozen=True, slots=True)
class FiredRule:
    rule: VitalRule
    seen: tuple[str, ...]  # what met each criterion, e.g. "spo2 88 % (sats 88%)"

    @property
    def reason(self) -> str:
        return (f"{self.rule.name} ({self.rule.level}): {'; '.join(self.seen)} "
                f"[rule {self.rule.id}; source: {self.rule.source}]")


class _Bad(ValueError):
    pass


def _num(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _Bad(f"field '{where}': must be a number, got {v!r}")
    return float(v)


def _criterion(raw: Any, where: str) -> Criterion:
    if not isinstance(raw, dict):
        raise _Bad(f"field '{where}': must be a mapping")
    if "finding" in raw:
        extra = set(raw) - {"finding", "required"}
        if extra:
            raise _Bad(f"field '{where}': a finding criterion takes no {sorted(extra)}")
        term = raw["finding"]
        if term not in KNOWN_TERMS:
            raise _Bad(f"field '{where}.finding': unknown finding term {term!r}")
        required = raw.get("required", False)
        if not isinstance(required, bool):
            raise _Bad(f"field '{where}.required': must be true or false")
        return Criterion(finding=term, required=required)
    for key in ("vital", "op", "value", "unit"):
        if key not in raw:
            raise _Bad(f"field '{where}.{key}': is missing")
    extra = set(raw) - {"vital", "op", "value", "unit"}
    if extra:
        raise _Bad(f"field '{where}': unknown keys {sorted(extra)}")
    vital = raw["vital"]
    if vital not in VITAL_UNITS:
        raise _Bad(f"field '{where}.vital': unknown vital sign {vital!r} "
                   f"(one of {sorted(VITAL_UNITS)})")
    if raw["op"] not in _OPS:
        raise _Bad(f"field '{where}.op': must be one of {sorted(_OPS)}, got {raw['op']!r}")
    value = _num(raw["value"], f"{where}.value")
    if raw["unit"] != VITAL_UNITS[vital]:
        raise _Bad(f"field '{where}.unit': {vital} is in {VITAL_UNITS[vital]!r}, "
                   f"got {raw['unit']!r}")
    return Criterion(vital=vital, op=raw["op"], value=value, unit=raw["unit"])


def _rule(raw: Any) -> VitalRule:
    if not isinstance(raw, dict):
        raise _Bad("must be a mapping")
    extra = set(raw) - _RULE_FIELDS
    if extra:
        raise _Bad(f"field '{sorted(extra)[0]}': unknown field")
    for key in ("id", "name", "level", "source", "criteria"):
        if key not in raw or raw[key] in (None, "", []):
            raise _Bad(f"field '{key}': is missing or empty")
    for key in ("id", "name", "source"):
        if not isinstance(raw[key], str):
            raise _Bad(f"field '{key}': must be text")
    if raw["level"] not in ("emergency", "urgent"):
        raise _Bad(f"field 'level': must be 'emergency' or 'urgent', got {raw['level']!r}")
    if not isinstance(raw["criteria"], list):
        raise _Bad("field 'criteria': must be a list")
    crit = tuple(_criterion(c, f"criteria.{i}") for i, c in enumerate(raw["criteria"]))
    min_met = raw.get("min_met", 1)
    if isinstance(min_met, bool) or not isinstance(min_met, int) or not 1 <= min_met <= len(crit):
        raise _Bad(f"field 'min_met': must be a whole number from 1 to {len(crit)}")
    age = raw.get("age_under_years")
    age_min = raw.get("age_at_least_years")
    return VitalRule(
        id=raw["id"], name=raw["name"], level=raw["level"], source=" ".join(raw["source"].split()),
        criteria=crit, min_met=min_met,
        age_under_years=None if age is None else _num(age, "age_under_years"),
        age_at_least_years=None if age_min is None else _num(age_min, "age_at_least_years"),
    )


def parse_vital_rules(text: str, *, name: str = "vital_signs.yaml") -> tuple[VitalRule, ...]:
    """Validated rules from YAML text; ValueError names the file, the entry and the field."""
    expected = "must be a mapping with a 'rules' list"
    data = yaml_mapping(text, name=name, error=ValueError, expected=expected)
    if not isinstance(data.get("rules"), list):
        raise ValueError(f"{name}: {expected}")
    rules: list[VitalRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["rules"]):
        label = (f"rule {raw['id']!r}" if isinstance(raw, dict) and isinstance(raw.get("id"), str)
                 else f"rule #{i}")
        try:
            rule = _rule(raw)
        except _Bad as exc:
            raise ValueError(f"{name}: {label}, {exc}") from None
        if rule.id in seen:
            raise ValueError(f"{name}: {label}, field 'id': duplicate id")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def load_vital_rules(path: Path | None = None) -> tuple[VitalRule, ...]:
    """The bundled rules (cached), or the file at `path` (not cached)."""
    if path is not None:
        return parse_vital_rules(path.read_text(encoding="utf-8"), name=str(path))
    return _bundled()


@cache
def _bundled() -> tuple[VitalRule, ...]:
    return parse_vital_rules(knowledge_text("vital_signs.yaml"))


def _met(c: Criterion, f: Findings) -> str | None:
    if c.finding is not None:
        ev = f.evidence_for(c.finding)
        return None if ev is None else f"{c.finding} (\u201c{ev}\u201d)"
    assert c.vital is not None and c.op is not None and c.value is not None
    for v in f.vitals:
        if v.name == c.vital and _OPS[c.op](v.value, c.value):
            return f"{v.name} {v.value:g} {v.unit} (\u201c{v.text.strip()}\u201d)"
    return None


def fire_vital_rules(f: Findings, rules: tuple[VitalRule, ...] | None = None) -> list[FiredRule]:
    """The rules met by `f`, emergency before urgent, in file order."""
    out: list[FiredRule] = []
    for r in rules if rules is not None else load_vital_rules():
        if r.age_under_years is not None and (f.age is None or f.age >= r.age_under_years):
            continue
        if r.age_at_least_years is not None and (f.age is None or f.age < r.age_at_least_years):
            continue
        met = [(c, _met(c, f)) for c in r.criteria]
        if any(c.required and s is None for c, s in met):
            continue
        seen = [s for _, s in met if s is not None]
        if len(seen) >= r.min_met:
            out.append(FiredRule(r, tuple(seen)))
    return sorted(out, key=lambda x: x.rule.level != "emergency")
