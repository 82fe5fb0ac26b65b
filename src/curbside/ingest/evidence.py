"""Evidence typing: publication types, origin and title cues -> `SourceKind`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from curbside.domain import SourceKind

# PubMed publication types (MeSH PT vocabulary), lower-cased, strongest first.
_PT_RULES: list[tuple[SourceKind, frozenset[str]]] = [
    (
        SourceKind.GUIDELINE,
        frozenset(
            {
                "practice guideline",
                "guideline",
                "consensus development conference",
                "consensus development conference, nih",
            }
        ),
    ),
    (
        SourceKind.SYSTEMATIC_REVIEW,
        frozenset({"systematic review", "meta-analysis", "network meta-analysis"}),
    ),
    (
        SourceKind.RCT,
        frozenset(
            {
                "randomized controlled trial",
                "pragmatic clinical trial",
                "equivalence trial",
                "clinical trial, phase iii",
                "clinical trial, phase iv",
                "controlled clinical trial",
                "clinical trial, phase ii",
                "clinical trial",
                "clinical trial, phase i",
            }
        ),
    ),
    (
        SourceKind.OBSERVATIONAL,
        frozenset(
            {
                "observational study",
                "comparative study",
                "multicenter study",
                "evaluation study",
                "validation study",
                "twin study",
                "evaluation studies",
                "validation studies",  # older PTs
                "clinical study",
            }
        ),
    ),
    (SourceKind.CASE_REPORT, frozenset({"case reports"})),
    (
        SourceKind.REVIEW,
        frozenset(
            {
                "review",
                "editorial",
                "comment",
                "letter",
                "news",
                "scoping review",
                "overview",
                "lecture",
                "introductory journal article",
            }
        ),
    ),
    (SourceKind.PATIENT_INFO, frozenset({"patient education handout"})),
]

# Title cues, used when publication types are missing or only say "Journal Article".
_TITLE_RULES: list[tuple[SourceKind, re.Pattern[str]]] = [
    (
        SourceKind.GUIDELINE,
        re.compile(
            r"\b(practice guidelines?|clinical (practice )?guidelines?|"
            r"practice parameter|consensus statement|recommendations? (of|from|for) )",
            re.I,
        ),
    ),
    (
        SourceKind.SYSTEMATIC_REVIEW,
        re.compile(r"\b(systematic review|meta-?analys[ie]s|cochrane review)\b", re.I),
    ),
    (SourceKind.RCT, re.compile(r"\b(randomi[sz]ed|placebo-controlled|double-blind)\b", re.I)),
    (SourceKind.CASE_REPORT, re.compile(r"\b(a case report|case report|a case of)\b", re.I)),
    (
        SourceKind.OBSERVATIONAL,
        re.compile(
            r"\b(cohort|case-control|cross-sectional|prospective|retrospective|"
            r"registry|population-based)\b",
            re.I,
        ),
    ),
    (
        SourceKind.REVIEW,
        re.compile(r"\b(a review|review of|narrative review|an update|overview)\b", re.I),
    ),
]


def classify_source(
    publication_types: Iterable[str] = (),
    *,
    title: str = "",
    hint: SourceKind | str | None = None,
) -> SourceKind:
    """Kind of a source: an explicit origin hint wins, then publication types, then title cues."""
    if hint:
        return SourceKind(hint)
    pts = {p.strip().lower() for p in publication_types if p and p.strip()}
    for kind, names in _PT_RULES:
        if pts & names:
            return kind
    for kind, pattern in _TITLE_RULES:
        if pattern.search(title or ""):
            return kind
    return SourceKind.OTHER
