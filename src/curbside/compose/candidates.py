"""Candidate sentences: source sentences cut from retrieved passages, with light safe clean-up.

Normalisation never changes numbers, units, negations or hedges: it only drops a leading
connective ("However,", "In conclusion,") and expands an abbreviation the same source defines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from curbside.domain import EVIDENCE_LEVEL, Evidence, SourceKind
from curbside.index.lexical import STOPWORDS, tokens
from curbside.ingest.sentences import sentence_spans

_LEADING = re.compile(
    r"^(?:however|in conclusion|in summary|to conclude|conclusions?|overall|in addition|"
    r"additionally|furthermore|moreover|also|finally|importantly|notably|interestingly|"
    r"results?|background|objectives?|methods?)\s*[,:]\s+",
    re.I,
)
_DEFINITION = re.compile(r"\b([A-Za-z][A-Za-z\- ]{3,60}?)\s+\(([A-Z][A-Za-z0-9\-]{1,9})\)")
_MIN_WORDS, _MAX_CHARS = 6, 420
#: A finished sentence ends in a full stop or "!" (a closing bracket or quote may follow).
#: Headings, titles ("Recurrent urinary tract infections (UTIs)") and list lead-ins ending in
#: ":" do not, and read as fragments when quoted as a claim.
_FINISHED = re.compile(r"[.!][\"'\u2019\u201d)\]]*$")
#: Bullets flattened into one line ("Abused drugs include - Amphetamines - Cocaine ...").
_FLAT_BULLETS = re.compile(r"(?:\s[-\u2022*]\s.*){2,}")
_BAD_START = re.compile(
    r"^(?:and|or|but|which|that|this|these|those|they|it|he|she|we|our|"
    r"table|figure|fig\.|see )\b",
    re.I,
)


@dataclass
class Candidate:
    """One source sentence that could become a claim."""

    text: str
    original: str
    evidence: Evidence
    start: int  # offsets within the passage text
    end: int
    relevance: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    merged: list[Candidate] = field(default_factory=list)

    @property
    def level(self) -> int:
        return EVIDENCE_LEVEL[SourceKind(self.evidence.source.kind)]

    @property
    def section(self) -> str:
        return (self.evidence.passage.section or "").upper()


def _subsequence(letters: str, text: str) -> bool:
    it = iter(text)
    return all(ch in it for ch in letters)


def definitions(text: str) -> dict[str, str]:
    """Abbreviations a text defines: "sacroiliac joint (SIJ)" -> {"SIJ": "sacroiliac joint"}.

    A simplified Schwartz-Hearst match: the shortest run of preceding words that starts with
    the abbreviation's first letter and contains all its letters in order.
    """
    out: dict[str, str] = {}
    for m in _DEFINITION.finditer(text):
        abbr = m.group(2)
        letters = "".join(c for c in abbr.lower() if c.isalnum())
        words = m.group(1).split()
        if not letters or abbr in out:
            continue
        for n in range(1, min(len(words), len(letters) + 2) + 1):
            tail = " ".join(words[-n:])
            if tail[:1].lower() == letters[0] and _subsequence(letters, tail.lower()):
                if len(tail) > len(abbr):
                    out[abbr] = tail
                break
    return out


def normalise(sentence: str, defined: dict[str, str]) -> str:
    """Drop a leading connective; expand the first use of an abbreviation the source defines."""
    s = _LEADING.sub("", sentence, count=1)
    for abbr, long_form in defined.items():
        if long_form.lower() in s.lower() or f"({abbr})" in s:
            continue
        m = re.search(rf"\b{re.escape(abbr)}\b", s)
        if m:
            s = s[: m.start()] + f"{long_form} ({abbr})" + s[m.end() :]
            break
    first = s.split(" ", 1)[0]
    if s and s[0].islower() and first[1:] == first[1:].lower():  # not "axSpA", "mRNA"
        s = s[0].upper() + s[1:]
    return s


def query_terms(words: Sequence[str]) -> set[str]:
    return {w for w in (t.lower() for t in words) if w not in STOPWORDS and len(w) > 2}


def _stem(w: str) -> str:
    for suf in ("ations", "ation", "ings", "ing", "ies", "es", "s", "ed", "ly"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def extract_candidates(
    evidence: Sequence[Evidence], terms: set[str], source_texts: dict[int, str]
) -> list[Candidate]:
    """Every usable sentence of the retrieved passages, scored for relevance to `terms`."""
    stems = {_stem(t) for t in terms}
    out: list[Candidate] = []
    for rank, ev in enumerate(evidence):
        text = ev.passage.text
        defined = definitions(source_texts.get(ev.source.id, text))
        for a, b in sentence_spans(text):
            original = text[a:b]
            if len(original) > _MAX_CHARS or len(original.split()) < _MIN_WORDS:
                continue
            if (
                _BAD_START.match(original)
                or not original[0].isupper()
                and not original[0].isdigit()
            ):
                continue
            if original.endswith("?") or original.count("(") != original.count(")"):
                continue
            if not _FINISHED.search(original.rstrip()) or _FLAT_BULLETS.search(original):
                continue
            words = {_stem(w) for w in tokens(original) if len(w) > 2}
            overlap = len(words & stems) / max(1, len(stems))
            cand = Candidate(
                text=normalise(original, defined), original=original, evidence=ev, start=a, end=b
            )
            cand.features = {
                "overlap": overlap,
                "passage": ev.scores.get("final", 0.0),
                "rank": float(rank),
            }
            out.append(cand)
    if out:
        top = max(c.features["passage"] for c in out) or 1.0
        for c in out:
            c.relevance = 0.55 * c.features["overlap"] + 0.45 * (c.features["passage"] / top)
    return out


def jaccard(a: str, b: str) -> float:
    sa = {w for w in tokens(a) if w not in STOPWORDS}
    sb = {w for w in tokens(b) if w not in STOPWORDS}
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0
