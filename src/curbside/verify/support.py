"""How well a set of cited passages supports one answer sentence.

`SupportScorer.score(sentence, passages)` returns a `Support`: a score in [0, 1] built from

- ``embedding``: the best cosine between the sentence and the passages' sentences (and each whole
  passage), from the configured `Embedder` (0 when there is none);
- ``overlap``: recall of the sentence's content words (light stemming) in the best passage,
  mixed with bigram recall so that word salad of the right words does not score as a quote;
- ``numbers_ok``: every number in the sentence (with its unit or percent sign) appears in one of
  the passages ("15-30%" and "15–30 %" are the same; "50%" is not "15%");
- ``negation_ok``: the sentence is negated ("no", "not", "never", "without", "neither",
  "no significant difference"...) exactly when the best-matching passage sentence is, looking
  only at the clauses the two share words in.

A number or negation inconsistency caps the score at `INCONSISTENT_CAP`. A sentence copied from a
passage scores 1.0, a near copy (a lead-in word dropped) scores >= 0.95.

`score_many` scores many (sentence, passages) pairs with one embedding call; the citation
verifier uses it so that an article costs one call to the embedder.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from curbside.text.cues import NEGATION, NEGATION_WORDS, PSEUDO_NEGATION
from curbside.text.sentences import sentence_spans
from curbside.text.stopwords import SUPPORT_STOPWORDS
from curbside.text.tokens import SUPPORT_WORD, support_stem

if TYPE_CHECKING:
    from curbside.index.embedder import Embedder, TextVectors

__all__ = [
    "INCONSISTENT_CAP",
    "Support",
    "SupportScorer",
    "content_tokens",
    "extract_numbers",
    "is_negated",
    "strip_citation_markers",
]

#: Highest score a sentence with a number or negation the passages do not back can get.
INCONSISTENT_CAP = 0.3

#: Cosines at or below this count as no semantic support; at or above `_COS_HIGH`, as full.
_COS_LOW = 0.35
_COS_HIGH = 0.92
#: Weight of the embedding part when an embedder is present (the rest is lexical).
_EMBED_WEIGHT = 0.5


_CLAUSE_SPLIT = re.compile(
    r"[,;:()\[\]]|\s[-\u2013\u2014]\s|\b(?:but|whereas|while|although|though|however|yet)\b",
    re.IGNORECASE,
)

_CITATION_MARKER = re.compile(r"\s*\[\s*\d+(?:\s*[,;\u2013\u2014-]\s*\d+)*\s*\]")

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
_NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "hundred": "100",
    "twofold": "2-fold", "threefold": "3-fold", "fourfold": "4-fold", "tenfold": "10-fold",
}
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_UNITS = {
    "%": "%", "percent": "%", "per cent": "%", "pct": "%",
    "mg": "mg", "g": "g", "kg": "kg", "mcg": "ug", "ug": "ug", "\u00b5g": "ug", "\u03bcg": "ug",
    "ng": "ng", "ml": "ml", "l": "l", "dl": "dl", "mmol": "mmol", "mol": "mol", "meq": "meq",
    "mmhg": "mmhg", "mm": "mm", "cm": "cm", "iu": "iu", "units": "iu",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "d": "d", "day": "d", "days": "d", "wk": "wk", "wks": "wk", "week": "wk", "weeks": "wk",
    "mo": "mo", "month": "mo", "months": "mo",
    "y": "y", "yr": "y", "yrs": "y", "year": "y", "years": "y", "fold": "fold", "-fold": "fold",
}
_UNIT_ALT = "|".join(
    re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if u not in {"%"}
)
_NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
_UNIT_RE = rf"(?:\s*%|\s*(?:{_UNIT_ALT})\b|-fold\b)"
_NUMBER_RE = re.compile(
    rf"(?<![\w.])(?P<a>{_NUM})(?P<ua>{_UNIT_RE})?"
    rf"(?:\s*(?:-|to|and)\s*(?P<b>{_NUM})(?P<ub>{_UNIT_RE})?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Support:
    """How well some passages support one sentence."""

    score: float
    embedding: float = 0.0
    overlap: float = 0.0
    numbers_ok: bool = True
    negation_ok: bool = True
    #: Index (into the passages given) of the passage holding the best-matching span; -1 if none.
    passage_index: int = -1
    #: Character span of the best-matching sentence within that passage.
    span: tuple[int, int] | None = None
    #: Numbers of the sentence no passage contains, as normalised strings ("50%").
    missing_numbers: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())


def strip_citation_markers(text: str) -> str:
    """The sentence without inline ``[n]``, ``[n, m]``, ``[n-m]`` markers."""
    return _CITATION_MARKER.sub("", text).strip()


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = text.replace("\u00b7", ".").replace("\u2009", " ").replace("\u00a0", " ")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    return _NUMBER_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], text)


def content_tokens(text: str) -> list[str]:
    """Lower-cased, lightly stemmed content words (stopwords and negation words removed)."""
    words = SUPPORT_WORD.findall(_normalise(text).lower())
    return [
        support_stem(w) for w in words if w not in SUPPORT_STOPWORDS and w not in NEGATION_WORDS
        and w != "n't"
    ]


def _number_key(raw: str) -> str:
    if raw.startswith("."):
        raw = "0" + raw
    if "." in raw:
        whole, frac = raw.split(".", 1)
        frac = frac.rstrip("0")
    else:
        whole, frac = raw, ""
    whole = whole.lstrip("0") or "0"
    return f"{whole}.{frac}" if frac else whole


def _unit_key(raw: str | None) -> str | None:
    if not raw:
        return None
    u = raw.strip().lower().lstrip("-")
    u = "%" if u.startswith("%") else u
    if u == "fold":
        return "fold"
    return _UNITS.get(u, u)


def extract_numbers(text: str) -> list[tuple[str, str | None]]:
    """``(value, unit)`` pairs of the numbers in `text`; a range's unit applies to both ends."""
    out: list[tuple[str, str | None]] = []
    for m in _NUMBER_RE.finditer(_normalise(strip_citation_markers(text))):
        ua, ub = _unit_key(m.group("ua")), _unit_key(m.group("ub"))
        if m.group("b") is not None:
            out.append((_number_key(m.group("a")), ua or ub))
            out.append((_number_key(m.group("b")), ub or ua))
        else:
            out.append((_number_key(m.group("a")), ua))
    return out


def _numbers_missing(sentence: str, passages: Sequence[str]) -> list[str]:
    wanted = extract_numbers(sentence)
    if not wanted:
        return []
    have: dict[str, set[str | None]] = {}
    for p in passages:
        for value, unit in extract_numbers(p):
            have.setdefault(value, set()).add(unit)
    missing = []
    for value, unit in wanted:
        units = have.get(value)
        if units is None:
            missing.append(value + (unit or ""))
        elif unit is not None and unit not in units and None not in units:
            missing.append(value + unit)
    return missing


def _negation_clauses(text: str) -> list[str]:
    cleaned = PSEUDO_NEGATION.sub(" ", text)
    return [c for c in _CLAUSE_SPLIT.split(cleaned) if c and NEGATION.search(c)]


def is_negated(text: str, about: Sequence[str] | None = None) -> bool:
    """True when `text` negates something; with `about`, only in clauses sharing those words.

    A negated clause counts when at least a third of its content words are among `about` (or it
    has no content words of its own, e.g. "but not in children" counts only through "children").
    """
    clauses = _negation_clauses(text)
    if about is None:
        return bool(clauses)
    topic = set(about)
    for clause in clauses:
        toks = content_tokens(clause)
        if not toks or sum(t in topic for t in toks) / len(toks) >= 1 / 3:
            return True
    return False


def _recall(tokens: Sequence[str], pool: set[str]) -> float:
    return sum(t in pool for t in tokens) / len(tokens) if tokens else 1.0


def _bigrams(tokens: Sequence[str]) -> list[tuple[str, str]]:
    return list(zip(tokens, tokens[1:], strict=False))


def _lexical(tokens: Sequence[str], pool_tokens: Sequence[str]) -> tuple[float, float]:
    """(unigram recall, unigram+bigram mix) of `tokens` in `pool_tokens`."""
    uni = _recall(tokens, set(pool_tokens))
    bi = _bigrams(tokens)
    if not bi:
        return uni, uni
    pool_bi = set(_bigrams(pool_tokens))
    bi_recall = sum(b in pool_bi for b in bi) / len(bi)
    return uni, 0.7 * uni + 0.3 * bi_recall


def _calibrate(cos: float) -> float:
    return float(min(1.0, max(0.0, (cos - _COS_LOW) / (_COS_HIGH - _COS_LOW))))


@dataclass(slots=True)
class _Candidate:
    passage_index: int
    start: int
    end: int
    text: str
    whole: bool  # the whole passage rather than one of its sentences


def _candidates(passages: Sequence[str]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for i, p in enumerate(passages):
        spans = list(sentence_spans(p))
        for a, b in spans:
            out.append(_Candidate(i, a, b, p[a:b], whole=False))
        if len(spans) != 1 and p.strip():
            out.append(_Candidate(i, 0, len(p), p, whole=True))
    return out


def _quoted(sentence: str, cands: Sequence[_Candidate]) -> bool:
    """True when `sentence` is, character for character, one of the candidate sentences."""
    return any(not c.whole and c.text == sentence for c in cands)


class SupportScorer:
    """Scores sentence-vs-passages support; embeds with `embedder` when one is given."""

    def __init__(
        self, embedder: Embedder | None = None, *, vectors: TextVectors | None = None
    ) -> None:
        """`vectors`: sentence vectors shared with the composer (the runtime's
        `sentence_vectors`), so a claim or passage sentence it embedded is not embedded again;
        without them, the scorer keeps its own over `embedder`."""
        from curbside.index.embedder import TextVectors

        if vectors is None and embedder is not None:
            vectors = TextVectors(embedder)
        self.vectors = vectors

    @property
    def embed_calls(self) -> int:
        """Calls made to the embedder (for tests and benchmarks)."""
        return self.vectors.calls if self.vectors is not None else 0

    def _embed_all(self, texts: Sequence[str]) -> None:
        if self.vectors is not None:
            self.vectors.ensure(texts)

    def _vector(self, text: str) -> np.ndarray | None:
        return self.vectors.get(text) if self.vectors is not None else None

    def score(self, sentence: str, passages: Sequence[str]) -> Support:
        """Support of `sentence` by `passages` (the passages of one or more cited sources)."""
        return self.score_many([(sentence, passages)])[0]

    def score_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Support]:
        """`score` for many pairs, with at most two embedding calls for all of them: the
        sentences first, then the whole passages of the pairs that no sentence fully supports.
        """
        prepared = []
        texts: list[str] = []
        for sentence, passages in items:
            clean = strip_citation_markers(sentence)
            passages = [p for p in passages if p and p.strip()]
            cands = _candidates(passages)
            # A sentence quoted word for word from a cited passage needs no embedding: its
            # cosine with that passage sentence is 1 (same text, same vector), the best
            # there is, so the score is the same as with the embedder, at no cost.
            quoted = _quoted(clean, cands)
            prepared.append((clean, passages, cands, quoted))
            if clean and cands and not quoted:
                texts.append(clean)
                texts.extend(c.text for c in cands if not c.whole)
        self._embed_all(texts)
        # A whole passage (the longest text to embed) can only raise a pair whose best
        # sentence is below full support (`_COS_HIGH`): the score is the same without it.
        done = []
        for i, (clean, _, cands, quoted) in enumerate(prepared):
            if self.vectors is None or quoted or not clean or not cands:
                continue
            q = self._vector(clean)
            sents = [self._vector(c.text) for c in cands if not c.whole]
            if q is not None and any(v is not None and float(q @ v) >= _COS_HIGH for v in sents):
                done.append(i)
        for i in done:
            clean, ps, cands, quoted = prepared[i]
            prepared[i] = (clean, ps, [c for c in cands if not c.whole], quoted)
        self._embed_all(
            [c.text for clean, _, cands, quoted in prepared if clean and not quoted
             for c in cands if c.whole]
        )
        return [self._score_one(clean, ps, cs, q) for clean, ps, cs, q in prepared]

    def _score_one(
        self,
        sentence: str,
        passages: Sequence[str],
        cands: Sequence[_Candidate],
        quoted: bool,
    ) -> Support:
        if not sentence or not cands:
            return Support(0.0, problems=("no passage to check against",) if sentence else ())
        tokens = content_tokens(sentence)
        # Lexical overlap against each whole passage; the best one counts.
        passage_tokens = [content_tokens(p) for p in passages]
        lex_best, overlap = 0.0, 0.0
        for pt in passage_tokens:
            uni, mix = _lexical(tokens, pt)
            if mix > lex_best:
                lex_best, overlap = mix, uni
        # Embedding: best cosine over sentences and whole passages.
        cos = np.zeros(len(cands), dtype=np.float32)
        if self.vectors is not None and quoted:
            cos = np.array([1.0 if c.text == sentence else 0.0 for c in cands], dtype=np.float32)
        elif self.vectors is not None:
            vecs = self.vectors.vectors([sentence, *(c.text for c in cands)])
            cos = (vecs[1:] @ vecs[0]).astype(np.float32)
        embedding = float(min(1.0, max(0.0, float(cos.max())))) if len(cos) else 0.0
        # Best span: a sentence (not a whole passage) ranked by cosine + lexical match.
        best_i, best_val = -1, -1.0
        for i, c in enumerate(cands):
            if c.whole:
                continue
            _, mix = _lexical(tokens, content_tokens(c.text))
            val = mix + float(cos[i])
            if val > best_val:
                best_i, best_val = i, val
        best = cands[best_i] if best_i >= 0 else cands[0]
        if self.vectors is not None:
            score = _EMBED_WEIGHT * _calibrate(embedding) + (1 - _EMBED_WEIGHT) * lex_best
        else:
            score = lex_best
        problems: list[str] = []
        missing = _numbers_missing(sentence, passages)
        numbers_ok = not missing
        if missing:
            problems.append("numbers not in the cited passages: " + ", ".join(missing))
        span_tokens = content_tokens(best.text)
        neg_sentence = is_negated(sentence, span_tokens)
        neg_span = is_negated(best.text, tokens)
        negation_ok = neg_sentence == neg_span
        if not negation_ok:
            problems.append(
                "the sentence is negated but its source is not"
                if neg_sentence
                else "the source is negated but the sentence is not"
            )
        if not (numbers_ok and negation_ok):
            score = min(score, INCONSISTENT_CAP)
        return Support(
            score=round(float(min(1.0, max(0.0, score))), 4),
            embedding=round(embedding, 4),
            overlap=round(overlap, 4),
            numbers_ok=numbers_ok,
            negation_ok=negation_ok,
            passage_index=best.passage_index,
            span=(best.start, best.end),
            missing_numbers=tuple(missing),
            problems=tuple(problems),
        )
