"""How much query expansions weigh in the keyword search, by question kind.

`understand.analysis` adds expansions to the user's own words (abbreviation meanings, a brand's
generic name, the technical forms of a lay term and the other forms of a technical one). Each
kind of expansion gets a search weight here (`weighted_terms`): 1 searches it as if the user had
typed it, 0 drops it, a weight between adds its BM25 score times the weight
(`HybridRetriever._lexical`). The weights depend on what kind of question it is
(`question_kind`: the phrasing, consumer or technical, from the question analysis) and are
data, each rule with its reason, in ``knowledge/expansion.yaml`` (chosen on the development
halves of the retrieval sets by ``benchmarks/expansion_weights.py``; the held-out halves
never).

Then the vocabulary-gap rule (`vocabulary_gap`) keeps an expansion only where the library
holds it in clearly more passages than the user's own words it stands for: an expansion
bridges the asker's words and the library's, and where the library already speaks the
asker's words it only pulls in loosely related passages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curbside.knowledge_files import DateText, load_knowledge
from curbside.text.tokens import dedupe_key
from curbside.understand.analysis import (
    EXPANSION_KINDS,
    ORIGINAL,
    QueryAnalysis,
    expansion_kind,
    lexical_terms,
)

Phrasing = Literal["consumer", "technical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpansionRule(_Strict):
    """Weights for the expansions of one kind of question."""

    phrasing: Phrasing | Literal["any"] = "any"
    weights: dict[str, float]
    reason: str = Field(min_length=10)

    @model_validator(mode="after")
    def _check(self) -> ExpansionRule:
        unknown = sorted(set(self.weights) - set(EXPANSION_KINDS))
        if unknown:
            raise ValueError(f"unknown expansion kind {unknown[0]!r} (known: {EXPANSION_KINDS})")
        for kind, w in self.weights.items():
            if not 0.0 <= w <= 1.0:
                raise ValueError(f"weight of {kind!r} must be in [0, 1], got {w}")
        return self


class PersonalWords(_Strict):
    """Words of a question that speaks of the asker or someone close (consumer phrasing)."""

    words: list[str] = Field(min_length=1)
    reason: str = Field(min_length=10)

    @model_validator(mode="after")
    def _check(self) -> PersonalWords:
        for w in self.words:
            if not w.strip() or w != w.strip().lower():
                raise ValueError(f"personal word {w!r} must be lower-case and trimmed")
        return self


class VocabularyGap(_Strict):
    """An expansion is searched only where the library holds it in more than `times` as many
    passages as the user's words it stands for; 0 searches every expansion."""

    times: float = Field(ge=0.0)
    reason: str = Field(min_length=10)


class ExpansionFile(_Strict):
    """``knowledge/expansion.yaml``: the first rule whose phrasing matches gives the weights;
    a kind a rule does not name weighs 1."""

    version: int
    updated: DateText
    personal_words: PersonalWords
    vocabulary_gap: VocabularyGap
    rules: list[ExpansionRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _last_catches_all(self) -> ExpansionFile:
        if self.rules[-1].phrasing != "any":
            raise ValueError("the last rule must have phrasing 'any' (it catches the rest)")
        return self


@functools.cache
def expansion_rules() -> ExpansionFile:
    return load_knowledge("expansion.yaml", ExpansionFile)


@functools.cache
def _personal() -> re.Pattern[str]:
    words = sorted(expansion_rules().personal_words.words, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)


def question_phrasing(analysis: QueryAnalysis) -> Phrasing:
    """``consumer`` when the question uses a lay term from ``synonyms.yaml`` or speaks of the
    asker or someone close (first or second person, "my husband"), else ``technical``."""
    if any(s.side == "lay" for s in analysis.synonyms):
        return "consumer"
    if _personal().search(analysis.normalized[:2000]):
        return "consumer"
    return "technical"


def policy_rule(analysis: QueryAnalysis) -> ExpansionRule:
    """The rule of ``knowledge/expansion.yaml`` that applies to this question."""
    phrasing = question_phrasing(analysis)
    for rule in expansion_rules().rules:
        if rule.phrasing in ("any", phrasing):
            return rule
    raise AssertionError("the last rule catches every question")  # checked on load


def policy_weights(analysis: QueryAnalysis) -> dict[str, float]:
    """The expansion weights by kind for this question (kinds not named weigh 1)."""
    weights = policy_rule(analysis).weights
    return {k: weights.get(k, 1.0) for k in EXPANSION_KINDS}


def weighted_terms(
    analysis: QueryAnalysis, weights: Mapping[str, float]
) -> list[tuple[str, float]]:
    """`lexical_terms` with each term's search weight: 1 for the user's own words, the weight
    of its kind for an expansion (a kind not in `weights` weighs 0); weight-0 terms are left
    out."""
    kinds = {dedupe_key(e.term): expansion_kind(e) for e in reversed(analysis.expansions)}
    out: list[tuple[str, float]] = []
    for term, _w in lexical_terms(analysis):
        kind = kinds.get(dedupe_key(term), ORIGINAL)
        w = 1.0 if kind == ORIGINAL else float(weights.get(kind, 0.0))
        if w > 0.0:
            out.append((term, w))
    return out


def vocabulary_gap(
    analysis: QueryAnalysis,
    terms: Sequence[tuple[str, float]],
    count: Callable[[str], int] | None,
    times: float | None = None,
) -> tuple[list[tuple[str, float]], list[str]]:
    """(`terms` less the expansions the library does not need, those left out).

    An expansion stays when the library holds it in more than `times` (None: the file's) as
    many passages as the user's words it stands for (`Expansion.source`), counted by `count`
    (the keyword index's `passage_count`); the user's own words always stay. Without a
    `count` (a keyword index that cannot count) or with `times` 0, every term stays.
    """
    if times is None:
        times = expansion_rules().vocabulary_gap.times
    if count is None or times <= 0.0:
        return list(terms), []
    sources: dict[str, str] = {}
    for e in analysis.expansions:
        if e.reason != ORIGINAL and e.source:
            sources.setdefault(dedupe_key(e.term), e.source)
    kept: list[tuple[str, float]] = []
    dropped: list[str] = []
    for term, w in terms:
        source = sources.get(dedupe_key(term))
        if source is not None and count(term) <= times * count(source):
            dropped.append(term)
        else:
            kept.append((term, w))
    return kept, dropped
