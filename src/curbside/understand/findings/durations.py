"""Durations stated in a text: "for 3 months", "> 30 minutes", "since last week"."""

from __future__ import annotations

import re

from curbside.understand.findings.knowledge import findings_knowledge
from curbside.understand.findings.model import Duration
from curbside.understand.findings.numbers import NUM, word_number

_UNIT_DAYS = {"second": 1 / 86400, "minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24,
              "hr": 1 / 24,
              "day": 1, "week": 7, "month": 30, "year": 365}
_DUR = re.compile(
    r"(?P<cmp>>|<|≥|≤|more\s+than|less\s+than|over|under|at\s+least|longer\s+than|up\s+to)?\s*"
    r"(?P<n>" + NUM + r")\s*(?:-|\s)?\s*(?P<unit>seconds?|minutes?|mins?|hours?|hrs?|days?|"
        r"weeks?|months?|years?)\b",
    re.I,
)
_SINCE = re.compile(
    r"\bsince\s+(?P<when>yesterday|last\s+(?:night|week|month|year)|this\s+morning|today|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|childhood)\b", re.I,
)
#: "for years", "for many months": a plural unit without a number (at least
#: ``bare_plural_duration_count`` of the unit)
_BARE = re.compile(r"\bfor\s+(?:(?:several|many|a\s+few|some|the\s+(?:past|last))\s+)?"
                   r"(?P<unit>years|months|weeks|days)\b", re.I)
_BARE_COUNT = findings_knowledge().thresholds.bare_plural_duration_count.value
#: "since <when>" -> days ago (``since_days`` of findings.yaml; ``other`` for weekdays)
_SINCE_DAYS = dict(findings_knowledge().since_days)
_SINCE_OTHER = _SINCE_DAYS.pop("other")


def durations(text: str) -> list[Duration]:
    out: list[Duration] = []
    for m in _DUR.finditer(text):
        n = word_number(m.group("n").replace("couple of", "couple"))
        unit = m.group("unit").lower().rstrip("s")
        per = _UNIT_DAYS.get(unit) or _UNIT_DAYS.get(unit[:3])
        # "52 year old" is an age, not a duration
        tail = text[m.end(): m.end() + 6].lower()
        if unit == "year" and (tail.startswith(("-old", " old", "old")) or
                               text[m.start(): m.end() + 5].lower().endswith("-old")):
            continue
        if unit in ("month", "week") and tail.lstrip("- ").startswith("old"):
            continue
        if re.match(r"\s*(?:pregnant|gestation)", text[m.end():], re.I):
            continue
        cmp_raw = (m.group("cmp") or "").lower()
        cmp = ">" if cmp_raw in (">", "≥", "more than", "over", "at least", "longer than") else (
            "<" if cmp_raw in ("<", "≤", "less than", "under", "up to") else None)
        days = n * per if (n is not None and per is not None) else None
        out.append(Duration(m.group().strip(), m.start(), m.end(), days, cmp))
    for m in _BARE.finditer(text):
        if any(d.start < m.end() and m.start() < d.end for d in out):
            continue
        days = _BARE_COUNT * _UNIT_DAYS[m.group("unit").lower().rstrip("s")]
        out.append(Duration(m.group(), m.start(), m.end(), float(days), ">"))
    for m in _SINCE.finditer(text):
        when = " ".join(m.group("when").lower().split())
        days = _SINCE_DAYS.get(when, _SINCE_OTHER)
        out.append(Duration(m.group(), m.start(), m.end(), float(days), None))
    return out

