"""Age (digits or words: "fifty-two-year-old", "52 yo", "52M", "in his 50s"), sex and pregnancy
stated in a text."""

from __future__ import annotations

import re

from curbside.understand.findings.knowledge import findings_knowledge
from curbside.understand.findings.model import Finding, Findings
from curbside.understand.findings.negated import is_negated
from curbside.understand.findings.numbers import NUM, NUMWORD, word_number

_MAX_AGE = findings_knowledge().thresholds.max_age_years.value
_QUESTION_CHARS = int(findings_knowledge().thresholds.pregnancy_question_chars.value)

_AGE_PATTERNS = [
    re.compile(r"\b(?P<n>" + NUM + r")[- ]?(?:years?|yrs?|y)[- ]?(?:old|o\b|/o\b)", re.I),
    re.compile(r"\b(?P<n>\d{1,3})\s*(?:yo|y/o|y\.o\.)(?:\s*(?P<sex>[MF])\b)?", re.I),
    re.compile(r"\b(?:aged?|age:)\s*(?P<n>\d{1,3}|" + NUMWORD + r")\b", re.I),
    re.compile(r"(?<![\d.])(?P<n>\d{1,2})\s?(?P<sex>[MF])\b"),
    re.compile(r"\b(?P<n>\d{1,3})[- ]?(?:year|yr)[- ]old\b", re.I),
    re.compile(r"\b(?P<n>\d{1,2})[- ]?(?P<unit>months?|weeks?)[- ]old\b", re.I),
    re.compile(r"\bin\s+(?:his|her|their)\s+(?P<decade>\d0)s\b", re.I),
]
_MALE = re.compile(r"\b(?:male|man|boy|gentleman|he|him|his|husband|father|son|mr)\b", re.I)
_FEMALE = re.compile(r"\b(?:female|woman|women|girl|lady|she|her|hers|wife|mother|daughter|mrs|"
                     r"ms)\b", re.I)
_PREGNANT = re.compile(
    r"\b(?:pregnant|pregnancy|gestation(?:al)?|gravid\w*|antenatal|(?:\d+|" + NUMWORD
    + r")\s+weeks?\s+(?:pregnant|gestation)|first\s+trimester|second\s+trimester|"
        r"third\s+trimester)\b",
    re.I,
)

#: Someone else's pregnancy: the mother of the patient named before it in the same sentence.
_OTHERS_PREGNANCY = re.compile(r"\b(?:mother|mother's|maternal|mum|mom)\b", re.I)


def _age_from(m: re.Match[str]) -> float | None:
    gd = m.groupdict()
    if gd.get("decade"):
        return float(gd["decade"]) + 5
    n = word_number(gd["n"]) if gd.get("n") else None
    if n is None:
        return None
    unit = (gd.get("unit") or "").lower()
    if unit.startswith("month"):
        return round(n / 12, 2)
    if unit.startswith("week"):
        return round(n / 52, 2)
    return n if 0 <= n <= _MAX_AGE else None



def demographics(text: str, res: Findings, regions: list[tuple[int, int, int]]) -> None:
    ages: list[float] = []
    sex_hits: dict[str, int] = {"male": 0, "female": 0}
    for rx in _AGE_PATTERNS:
        for m in rx.finditer(text):
            if any(v.start <= m.start() < v.end for v in res.vitals if v.name == "temperature"):
                continue  # "99 F" is a temperature
            a = _age_from(m)
            if a is not None and a not in ages:
                ages.append(a)
            sx = m.groupdict().get("sex")
            if sx:
                sex_hits["male" if sx.upper() == "M" else "female"] += 2
    res.ages = ages
    res.age = ages[0] if ages else None
    for m in _MALE.finditer(text):
        sex_hits["male"] += 2 if m.group().lower() in ("male", "man", "boy", "gentleman",
                                                       "mr") else 1
    for m in _FEMALE.finditer(text):
        sex_hits["female"] += 2 if m.group().lower() in ("female", "woman", "girl", "lady", "mrs",
                                                         "ms") else 1
    if sex_hits["male"] or sex_hits["female"]:
        res.sex = "male" if sex_hits["male"] > sex_hits["female"] else (
            "female" if sex_hits["female"] > sex_hits["male"] else None)
    preg = [m for m in _PREGNANT.finditer(text)]
    if preg:
        stated = [m for m in preg if not is_negated("pregnant", m.start(), m.end(), regions)]
        neg = [m for m in preg if is_negated("pregnant", m.start(), m.end(), regions)]
        # "pregnancy test" is not a statement of pregnancy
        stated = [m for m in stated if not re.match(r"\s*test", text[m.end():], re.I)]
        # "his mother smoked during pregnancy": someone else's pregnancy, earlier in the sentence
        stated = [m for m in stated if not _OTHERS_PREGNANCY.search(
            re.split(r"[.;!?]", text[:m.start()])[-1])]
        question_about = [m for m in stated if re.search(
            r"\b(?:could|might|may|possibility|possible)\b",
            text[max(0, m.start() - _QUESTION_CHARS):m.start()], re.I)]
        if stated and not question_about:
            res.pregnant = True
            m = stated[0]
            res.findings.append(Finding("pregnant", "history", m.group(), m.start(), m.end(),
                                        False))
        elif neg and not stated:
            res.pregnant = False
            m = neg[0]
            res.findings.append(Finding("pregnant", "history", m.group(), m.start(), m.end(), True))
        if stated and neg:
            res.conflicts.append("pregnancy both stated and denied")
    if res.pregnant is None and any(
        f.term == "positive pregnancy test" and not f.negated for f in res.findings
    ):
        res.pregnant = True

