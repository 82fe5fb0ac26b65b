"""Vital signs in odd forms ("38.5C", "101 F", "bp 80/50", "HR 120", "sats 88%"), normalised
to canonical units, and the findings they imply (fever, hypotension, tachycardia...). The
plausible ranges, the thresholds of the implied findings and the unit guesses are data
(``vital_ranges``, ``vital_findings`` and ``thresholds`` of ``knowledge/findings.yaml``)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from curbside.understand.findings.knowledge import findings_knowledge
from curbside.understand.findings.model import Finding, Vital

_K = findings_knowledge()
#: vital name -> (lowest, highest) plausible reading
_RANGE: dict[str, tuple[float, float]] = {r.vital: (r.min, r.max) for r in _K.vital_ranges}
_FAHRENHEIT_ABOVE = _K.thresholds.fahrenheit_above.value
_BARE_FEVER_F = (_K.thresholds.bare_fever_fahrenheit_from.value,
                 _K.thresholds.bare_fever_fahrenheit_to.value)
_MG_DL_PER_MMOL_L = _K.thresholds.glucose_mg_dl_per_mmol_l.value
_MG_DL_ABOVE = _K.thresholds.glucose_mg_dl_above.value
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}

_TEMP = re.compile(
    r"(?:(?:temp(?:erature)?|\bT)\s*(?:of|is|was|:|=)?\s*(?P<v1>\d{2,3}(?:\.\d)?)\s*(?:°|º|"
    r"deg(?:rees)?)?\s*(?P<u1>[CF])?\b)"
    r"|(?:\b(?P<v2>\d{2,3}(?:\.\d)?)\s*(?:°|º|deg(?:rees)?)\s*(?P<u2>[CF])?\b)"
    r"|(?:\b(?P<v3>\d{2,3}(?:\.\d)?)\s?(?P<u3>[CF])\b)",
    re.I,
)
#: A number after "fever" / "febrile" without a unit or degree sign ("a fever of 104", "febrile
#: to 39.5"): Fahrenheit in `_BARE_FEVER_F`, else Celsius within the plausible range.
_BARE_FEVER = re.compile(
    r"\b(?:fevers?|febrile)\s+(?:of|to|at|up\s+to|as\s+high\s+as|reaching|around|about|over|"
    r"above|near|nearly|almost|is|was|spiking\s+to|spiked\s+to)?\s*(?:a\s+)?"
    r"(?P<v>\d{2,3}(?:\.\d)?)\b(?!\s*(?:°|º|deg|%|/|[CF]\b|-|\.\d|(?:hours?|hrs?|h|days?|d|weeks?|wks?|months?|years?|yrs?|times?)\b))",
    re.I,
)
_BP = re.compile(r"(?:\bbp|blood\s+pressure)\s*(?:of|is|was|:|"
                 r"=)?\s*(?P<s>\d{2,3})\s*/\s*(?P<d>\d{2,3})", re.I)
_BP_BARE = re.compile(r"\b(?P<s>\d{2,3})\s*/\s*(?P<d>\d{2,3})\s*(?:mm\s*hg|mmhg)", re.I)
_HR = re.compile(r"(?:\bhr|heart\s+rate|pulse(?:\s+rate)?|\bp)\s*(?:of|is|was|:|"
                 r"=)?\s*(?P<v>\d{2,3})\b(?:\s*(?:bpm|/min))?", re.I)
_RR = re.compile(r"(?:\brr|resp(?:iratory)?\s+rate|resps)\s*(?:of|is|was|:|=)?\s*(?P<v>\d{1,2})\b",
                 re.I)
_SPO2 = re.compile(r"(?:spo2|sp02|sats?|saturating|saturation|o2\s+sat\w*|oxygen\s+saturation|"
                   r"pulse\s+ox\w*)\s*(?:of|is|was|at|:|=)?\s*(?P<v>\d{2,3})\s*%?", re.I)
_GCS = re.compile(r"(?:\bgcs|glasgow\s+coma\s+(?:scale|score))\s*(?:score\s*)?(?:of|is|was|:|=)?\s*"
                  r"(?P<v>\d{1,2})(?:\s*/\s*15)?\b", re.I)
_GLUCOSE = re.compile(
    r"(?:glucose|blood\s+sugar|\bbm|\bcbg)\s*(?:of|is|was|:|"
    r"=)?\s*(?P<v>\d{1,4}(?:\.\d+)?)\s*(?P<u>mmol(?:/l)?|mg\s*/\s*dl)?",
    re.I,
)


def read_vitals(text: str) -> list[Vital]:
    out: list[Vital] = []
    for m in _TEMP.finditer(text):
        raw = m.group("v1") or m.group("v2") or m.group("v3")
        unit = (m.group("u1") or m.group("u2") or m.group("u3") or "").upper()
        v = float(raw)
        if not unit:
            unit = "F" if v > _FAHRENHEIT_ABOVE else "C"
        c = (v - 32) * 5 / 9 if unit == "F" else v
        lo, hi = _RANGE["temperature"]
        if lo <= c <= hi:
            out.append(Vital("temperature", round(c, 1), "C", m.group(), m.start(), m.end()))
    for m in _BARE_FEVER.finditer(text):
        if any(v.name == "temperature" and v.start < m.end() and m.start() < v.end
               for v in out):
            continue  # "fever of 39 C" was read above
        v = float(m.group("v"))
        lo, hi = _RANGE["temperature"]
        c = (v - 32) * 5 / 9 if _BARE_FEVER_F[0] <= v <= _BARE_FEVER_F[1] else v
        if lo <= c <= hi:
            out.append(Vital("temperature", round(c, 1), "C", m.group(), m.start(), m.end()))
    for rx in (_BP, _BP_BARE):
        for m in rx.finditer(text):
            if any(v.name == "systolic_bp" and v.start < m.end() and m.start() < v.end
                   for v in out):
                continue  # "bp 90/60 mmHg" is one reading, not two
            s, d = float(m.group("s")), float(m.group("d"))
            (s_lo, s_hi), (d_lo, d_hi) = _RANGE["systolic_bp"], _RANGE["diastolic_bp"]
            if s_lo <= s <= s_hi and d_lo <= d <= d_hi and s > d:
                out.append(Vital("systolic_bp", s, "mmHg", m.group(), m.start(), m.end()))
                out.append(Vital("diastolic_bp", d, "mmHg", m.group(), m.start(), m.end()))
    for name, rx in (("heart_rate", _HR), ("respiratory_rate", _RR), ("spo2", _SPO2),
                     ("gcs", _GCS)):
        lo, hi = _RANGE[name]
        for m in rx.finditer(text):
            v = float(m.group("v"))
            if lo <= v <= hi:
                out.append(Vital(name, v, {"heart_rate": "/min", "respiratory_rate": "/min",
                                           "spo2": "%", "gcs": "points"}[name], m.group(),
                                 m.start(), m.end()))
    for m in _GLUCOSE.finditer(text):
        v = float(m.group("v"))
        unit = (m.group("u") or "").lower().replace(" ", "")
        mg_dl = unit.startswith("mg") or (not unit and v > _MG_DL_ABOVE)
        mmol = v / _MG_DL_PER_MMOL_L if mg_dl else v
        out.append(Vital("glucose", round(mmol, 1), "mmol/L", m.group(), m.start(), m.end()))
    return out


def vital_findings(vitals: list[Vital]) -> list[Finding]:
    out: list[Finding] = []

    def add(term: str, v: Vital) -> None:
        out.append(Finding(term, "sign", v.text, v.start, v.end, False,
                           derived_from=f"{v.name} {v.value:g} {v.unit}"))

    for v in vitals:
        for rule in _K.vital_findings:  # at most one rule per vital sign (checked)
            if v.name == rule.vital and _OPS[rule.op](v.value, rule.value):
                add(rule.finding, v)
    return out
