"""Negated findings in a question ("no fever", "denies chest pain", "not pregnant").

A small ConText-style rule set of our own (after Chapman et al.'s NegEx/ConText): pre-negation
triggers open a scope that runs forward over the clause until a termination term ("but",
"however", "which", a new question verb...), clause punctuation or eight words; post-negation
triggers ("... is absent", "... was ruled out") look back over the clause. Pseudo-triggers
("no change", "not only", "gram negative", "not ruled out") open nothing. The scope is split on
"and"/"or"/commas into negated terms. The trigger lists are `curbside.text.cues`; the scope rules
are here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from curbside.text.cues import (
    APOSTROPHELESS_NOT,
    POST_NEGATION_TRIGGERS,
    PRE_NEGATION_TRIGGERS,
    PSEUDO_NEGATION_TRIGGERS,
)
from curbside.text.stopwords import QUERY_STOPWORDS
from curbside.text.tokens import clip, word_set

_MAX_SCOPE = 8
_MAX_POST_SCOPE = 6

_CLAUSE = re.compile(r"[^.;:?!\n]+")
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?(?:-[^\W_]+)*|,|/")

#: Terms that end a negation scope (a new finding, a contrast, a new question). "just" and
#: "only" bring what is there after what is not ("No fever, just a cough for 3 days": the
#: cough is present).
_TERMINATE = word_set(
    """
    but however although though except apart aside yet whereas while which who whom whose
    just only
    because due since secondary after when if what how why where should could would can does do
    did is are was were has have had shows showed show reports reported presents presenting
    presented complains complaining develops developed developing despite still now
    """
)
#: Words dropped at the start of a scope ("does not *have any* fever").
_LEADING_FILLER = word_set(
    """
    have has had having experience experiencing experienced show showing shown report reporting
    any a an the signs sign evidence history symptoms symptom of known significant obvious
    further recent complain complaining feel feeling be been being get getting got take taking
    """
)
_COORDINATORS = frozenset({"and", "or", "nor", ",", "/", "either"})
#: After a comma these end a scope: what follows accompanies the negated phrase ("a bulge that
#: won't go back, with vomiting": the vomiting is present), it is not one more negated item.
_ACCOMPANIED = word_set("with plus accompanied associated along")


_Phrases = dict[str, list[tuple[str, ...]]]


def _split_phrases(items: Iterable[str]) -> _Phrases:
    """Phrases indexed by their first word, longest first."""
    out: _Phrases = {}
    for phrase in sorted({tuple(p.split()) for p in items}, key=len, reverse=True):
        out.setdefault(phrase[0], []).append(phrase)
    return out


_PRE_T = _split_phrases(PRE_NEGATION_TRIGGERS)
_POST_T = _split_phrases(POST_NEGATION_TRIGGERS)
_PSEUDO_T = _split_phrases(PSEUDO_NEGATION_TRIGGERS)


@dataclass(frozen=True, slots=True)
class NegatedSpan:
    """A negated stretch of a text: the trigger, the scope as written, its offsets into the text,
    and the negated terms (lower-cased, stop words trimmed)."""

    trigger: str
    text: str
    start: int
    end: int
    terms: tuple[str, ...]


def _matches_at(toks: list[str], i: int, phrases: _Phrases) -> tuple[str, ...] | None:
    for phrase in phrases.get(toks[i], ()):
        n = len(phrase)
        if tuple(toks[i : i + n]) == phrase:
            return phrase
    return None


def _is_not_contraction(tok: str) -> bool:
    return (tok.endswith(("n't", "n\u2019t")) and len(tok) > 3) or bool(
        APOSTROPHELESS_NOT.fullmatch(tok)
    )


def find_negations(text: str) -> list[NegatedSpan]:
    """Negated spans in `text` (first 2,000 characters); offsets index into `text`."""
    text = clip(text)
    out: list[NegatedSpan] = []
    for clause in _CLAUSE.finditer(text):
        base = clause.start()
        spans = [
            (m.group(), base + m.start(), base + m.end()) for m in _TOKEN.finditer(clause.group())
        ]
        if spans:
            out.extend(_negations_in_clause(text, spans))
    return out


def _negations_in_clause(text: str, spans: list[tuple[str, int, int]]) -> list[NegatedSpan]:
    toks = [s[0].lower() for s in spans]
    out: list[NegatedSpan] = []
    i = 0
    covered_until = -1
    while i < len(toks):
        pseudo = _matches_at(toks, i, _PSEUDO_T)
        if pseudo:
            i += len(pseudo)
            continue
        post = _matches_at(toks, i, _POST_T)
        if post:
            span = _post_scope(text, spans, toks, i, max(covered_until, -1), " ".join(post))
            if span is not None:
                out.append(span)
            i += len(post)
            covered_until = i - 1
            continue
        pre = _matches_at(toks, i, _PRE_T)
        trigger = " ".join(pre) if pre else ("not" if _is_not_contraction(toks[i]) else None)
        if trigger is None:
            i += 1
            continue
        j = i + (len(pre) if pre else 1)
        span, stop = _pre_scope(text, spans, toks, j, trigger)
        if span is not None:
            out.append(span)
            covered_until = stop - 1
        i = max(j, stop) if span is not None else j
    return out


def _pre_scope(
    text: str, spans: list[tuple[str, int, int]], toks: list[str], j: int, trigger: str
) -> tuple[NegatedSpan | None, int]:
    while j < len(toks) and toks[j] in _LEADING_FILLER:
        j += 1
    k = j
    words = 0
    while k < len(toks) and words < _MAX_SCOPE:
        tok = toks[k]
        if tok in _TERMINATE or (tok != "nor" and _matches_at(toks, k, _PRE_T)):
            break
        if tok in _ACCOMPANIED and k > j and toks[k - 1] == ",":
            break  # ", with vomiting" brings what comes with the negated phrase
        if _matches_at(toks, k, _PSEUDO_T) or _matches_at(toks, k, _POST_T):
            break
        if tok not in _COORDINATORS:
            words += 1
        k += 1
    while k > j and toks[k - 1] in _COORDINATORS:
        k -= 1
    if k <= j:
        return None, j
    return _make_span(text, spans, toks, j, k, trigger), k


def _post_scope(
    text: str,
    spans: list[tuple[str, int, int]],
    toks: list[str],
    i: int,
    floor: int,
    trigger: str,
) -> NegatedSpan | None:
    k = i
    j = i
    words = 0
    while j - 1 > floor and words < _MAX_POST_SCOPE:
        tok = toks[j - 1]
        if tok in _TERMINATE or tok in {"no", "not"}:
            break
        if tok not in _COORDINATORS:
            words += 1
        j -= 1
    while j < k and (toks[j] in _COORDINATORS or toks[j] in QUERY_STOPWORDS):
        j += 1
    if k <= j:
        return None
    return _make_span(text, spans, toks, j, k, trigger)


def _make_span(
    text: str, spans: list[tuple[str, int, int]], toks: list[str], j: int, k: int, trigger: str
) -> NegatedSpan | None:
    terms: list[str] = []
    item: list[str] = []
    for tok in [*toks[j:k], ","]:
        if tok in _COORDINATORS:
            while item and (item[0] in QUERY_STOPWORDS or item[0] in _LEADING_FILLER):
                item.pop(0)
            while item and item[-1] in QUERY_STOPWORDS:
                item.pop()
            if item:
                term = " ".join(item)
                if term not in terms:
                    terms.append(term)
            item = []
        else:
            item.append(tok)
    if not terms:
        return None
    start, end = spans[j][1], spans[k - 1][2]
    return NegatedSpan(trigger, text[start:end], start, end, tuple(terms))


def negated_terms(text: str) -> list[str]:
    """The negated terms of `text`, in order, each once (``"no fever or chills"`` ->
    ``["fever", "chills"]``)."""
    out: list[str] = []
    for span in find_negations(text):
        out.extend(t for t in span.terms if t not in out)
    return out
