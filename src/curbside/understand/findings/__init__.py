"""Clinical findings in free-text questions and case vignettes.

`extract_findings(text)` reads a question or a vignette and returns what it states about the
patient: findings (symptoms, signs, history items and modifiers such as "improves with
exercise" or "worse at night"), each with its canonical term, surface text, offsets and whether
it is negated; durations ("for 3 months", "since last week", "> 30 minutes"); age (digits or
words: "fifty-two-year-old", "52 yo", "52M"); sex; pregnancy; vital signs in odd forms
("38.5C", "101 F", "bp 80/50", "HR 120", "sats 88%") with the findings they imply (fever,
hypotension, tachycardia...); and conflicts (a finding both stated and denied, a man said to be
pregnant, two ages...). Conflicting findings are all reported, never silently resolved.

Negation reuses the ConText-style rules of `curbside.understand.negation` ("no chest pain",
"denies fever", "without weight loss", "chest pain was ruled out"). A term whose own wording
carries the negation ("not improved by rest") is negated only by a trigger before it.

The lexicon (canonical term -> regular expressions) and the thresholds (vital signs, durations,
ages), each with its reason and unit, are data: ``knowledge/findings.yaml``, checked by
`knowledge.FindingsFile`. `KNOWN_TERMS` is what knowledge patterns may name in their triggers.

Modules: `knowledge` (the file's schema and loader), `lexicon` (the compiled lexicon),
`negated` (negation scopes), `numbers` (numbers as words), `durations`, `vitals`,
`demographics` (age, sex, pregnancy), `model` (the result types) and `extract` (the public
`extract_findings`).
"""

from curbside.understand.findings.extract import extract_findings, terms_in
from curbside.understand.findings.lexicon import KNOWN_TERMS
from curbside.understand.findings.model import Duration, Finding, Findings, Sex, Vital
from curbside.understand.findings.negated import negated_regions
from curbside.understand.findings.numbers import word_number

#: the negation scopes of a text (its old private name; `curbside.safety.differential` uses it)
_negated_regions = negated_regions

__all__ = [
    "KNOWN_TERMS", "Duration", "Finding", "Findings", "Sex", "Vital", "extract_findings",
    "negated_regions", "terms_in", "word_number",
]
