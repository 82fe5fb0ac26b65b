"""`extract_findings`: the lexicon, durations, vital signs and demographics of one text, with
the findings derived from them and the conflicts between them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from curbside.understand.findings.demographics import demographics
from curbside.understand.findings.durations import durations as read_durations
from curbside.understand.findings.knowledge import findings_knowledge
from curbside.understand.findings.lexicon import (
    COMPILED,
    EMBEDS_NEGATION,
    GENERIC_TERMS,
    OPPOSITES,
)
from curbside.understand.findings.model import Duration, Finding, Findings
from curbside.understand.findings.negated import is_negated, negated_regions
from curbside.understand.findings.vitals import read_vitals, vital_findings

_T = findings_knowledge().thresholds
_MAX_CHARS = int(_T.max_text_chars.value)
_NEAR_CHARS = _T.morning_stiffness_near_chars.value
_PROLONGED_DAYS = _T.prolonged_morning_stiffness_minutes.value / 1440
_LONG_DAYS = _T.long_duration_days.value
_AGE_CONFLICT = _T.age_conflict_years.value
_FEVER_BELOW = _T.fever_conflict_below.value


def extract_findings(text: str) -> Findings:
    """Findings, durations, vitals, age, sex and pregnancy stated in `text` (see module doc)."""
    text = text if isinstance(text, str) else str(text)
    text = text[:_MAX_CHARS]
    regions = negated_regions(text)
    matches: list[tuple[str, str, re.Match[str]]] = []
    seen: set[tuple[str, int]] = set()
    for term, kind, rx in COMPILED:
        for m in rx.finditer(text):
            key = (term, m.start())
            if key in seen or m.end() == m.start():
                continue
            seen.add(key)
            matches.append((term, kind, m))
    own = _own_wording(matches, regions)
    rest = [r for r in regions if not any(s <= r[0] < e for s, e in own)]
    found = [Finding(term, kind, m.group(), m.start(), m.end(), is_negated(
                 term, m.start(), m.end(),
                 regions if any(m.start() < e and m.end() > s for s, e in own) else rest))
             for term, kind, m in matches]
    durations = read_durations(text)
    vitals = read_vitals(text)
    found += vital_findings(vitals)
    found += _derived(found, durations)
    found.sort(key=lambda f: (f.start, f.term))
    res = Findings(text=text, findings=found, durations=durations, vitals=vitals)
    demographics(text, res, regions)
    _conflicts(res)
    return res


def _own_wording(matches: list[tuple[str, str, re.Match[str]]],
                 regions: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Spans of the stated terms whose wording carries their own negation. Their negation
    trigger (the "not" of "not passing urine", the "can't" of "can't pass gas") negates nothing
    after them ("I can't pass gas and keep vomiting" states vomiting); a term inside such a span
    ("improve with rest" in "does not improve with rest") keeps the trigger."""
    return [(m.start(), m.end()) for term, _k, m in matches if term in EMBEDS_NEGATION
            and not is_negated(term, m.start(), m.end(), regions)]


def _derived(found: list[Finding], durations: list[Duration]) -> list[Finding]:
    out: list[Finding] = []
    for f in found:
        if f.term == "morning stiffness" and not f.negated:
            for d in durations:
                near = abs(d.start - f.end) < _NEAR_CHARS or abs(f.start - d.end) < _NEAR_CHARS
                if (near and d.days is not None and _PROLONGED_DAYS <= d.days < 1
                        and d.comparator != "<"):
                    out.append(Finding("prolonged morning stiffness", "symptom",
                                       f.text + " " + d.text,
                                       f.start, max(f.end, d.end), derived_from=d.text))
                    break
    long_d = [d for d in durations
              if d.days is not None and d.days >= _LONG_DAYS and d.comparator != "<"]
    if long_d:
        d = long_d[0]
        out.append(Finding("duration over 3 months", "modifier", d.text, d.start, d.end,
                           derived_from=d.text))
    return out



def _conflicts(res: Findings) -> None:
    terms_pos = {f.term for f in res.findings if not f.negated}
    terms_neg = {f.term for f in res.findings if f.negated}
    for t in sorted(terms_pos & terms_neg):
        if t in GENERIC_TERMS:
            continue  # generic words: "no rash" beside "non-blanching rash" is not a conflict
        res.conflicts.append(f"'{t}' is both stated and denied")
    for a, b in OPPOSITES:
        if a in terms_pos and b in terms_pos:
            res.conflicts.append(f"'{a}' conflicts with '{b}'")
    if res.sex == "male" and res.pregnant:
        res.conflicts.append("pregnancy stated for a male patient")
    if len(res.ages) > 1 and max(res.ages) - min(res.ages) >= _AGE_CONFLICT:
        res.conflicts.append("more than one age stated: " + ", ".join(f"{a:g}" for a in res.ages))
    temps = [v.value for v in res.vitals if v.name == "temperature"]
    if temps and max(temps) < _FEVER_BELOW and any(
        f.term == "fever" and not f.negated and f.derived_from is None for f in res.findings
    ):
        res.conflicts.append(f"fever stated but measured temperature is {max(temps):g} C")


def terms_in(texts: Iterable[str]) -> set[str]:
    """Affirmed terms across several texts (helper for tests and benchmarks)."""
    out: set[str] = set()
    for t in texts:
        out |= extract_findings(t).present()
    return out
