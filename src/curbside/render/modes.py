"""Reader modes: the same verified claims, written for a clinician, a patient or a student.

`render_for_audience(article, audience)` returns a new `Article`:

* **clinician** (default): unchanged text.
* **patient**: technical terms get their lay wording from ``synonyms.yaml``
  (``"myocardial infarction (heart attack)"`` on first use, the lay term after, unless the
  technical term holds a number); long sentences are split at safe points (``;``, ``, and``,
  ``, but``, ``, which``...) with each piece keeping the sentence's citations; every number is
  kept; patient-information references are listed first (numbers unchanged, nothing removed);
  a "When to seek care" section is built from the red flags (and premise findings' patterns),
  cited with the red flags' citations.
* **student**: a "Key terms" section with short definitions from ``glossary.yaml``.

No mode drops a red flag, a premise finding, a citation number or a number of the text.
`readability` holds the Flesch-Kincaid grade of the rendered text (pyphen syllables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from curbside.article import Article, ArticleSection, Claim
from curbside.understand.vocabulary import synonym_entries

AUDIENCES = ("clinician", "patient", "student")
_LONG_WORDS = 22
_MIN_PIECE_WORDS = 5
_SPLIT_POINTS = [
    re.compile(r";\s+"),
    re.compile(r",\s+(?=(?:and|but|while|whereas|although|which|so)\s)", re.I),
]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LayForm:
    technical: str
    lay: str
    rx: re.Pattern[str]


@cache
def _lay_forms() -> tuple[_LayForm, ...]:
    forms: list[_LayForm] = []
    for entry in synonym_entries():
        if not entry.lay:
            continue
        lay = entry.lay[0]
        for tech in entry.technical:
            if len(tech) < 5 or tech.lower() == lay.lower():
                continue
            rx = re.compile(r"(?<![\w-])" + re.escape(tech) + r"(?:s|es)?(?![\w-])", re.I)
            forms.append(_LayForm(tech, lay, rx))
    forms.sort(key=lambda f: len(f.technical), reverse=True)
    return tuple(forms)


def _lay_text(text: str, seen: set[str]) -> str:
    """Technical terms explained on first use ("X (lay)"), replaced by the lay term after."""
    taken: list[tuple[int, int, str]] = []
    for form in _lay_forms():
        for m in form.rx.finditer(text):
            if any(m.start() < e and m.end() > s for s, e, _ in taken):
                continue
            before = text[:m.start()].rstrip()
            after = text[m.end():].lstrip()
            if before.endswith("(") or after.lower().startswith("(" + form.lay.lower()):
                continue
            key = form.lay.lower()
            if key not in seen:
                seen.add(key)
                new = f"{m.group()} ({form.lay})"
            elif _NUMBER.search(m.group()):
                new = m.group()
            else:
                new = form.lay
            taken.append((m.start(), m.end(), new))
    for s, e, new in sorted(taken, reverse=True):
        text = text[:s] + new + text[e:]
    return text


# --------------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------------


def _cap(s: str) -> str:
    s = s.strip()
    return s[:1].upper() + s[1:] if s else s


def split_long(text: str) -> list[str]:
    """Pieces of a long sentence split at safe points; short sentences come back whole."""
    if len(text.split()) <= _LONG_WORDS:
        return [text]
    for rx in _SPLIT_POINTS:
        cuts = [m for m in rx.finditer(text)]
        if not cuts:
            continue
        pieces: list[str] = []
        last = 0
        for m in cuts:
            left = text[last:m.start()]
            right = text[m.end():]
            if len(left.split()) >= _MIN_PIECE_WORDS and len(right.split()) >= _MIN_PIECE_WORDS:
                pieces.append(left)
                last = m.end()
        pieces.append(text[last:])
        if len(pieces) > 1:
            out: list[str] = []
            for p in pieces:
                p = p.strip()
                if not p.endswith((".", "!", "?")):
                    p += "."
                out.append(_cap(p))
            return [q for p in out for q in split_long(p)]
    return [text]


def _split_claim(c: Claim) -> list[Claim]:
    pieces = split_long(c.text)
    if len(pieces) == 1:
        return [c]
    return [c.model_copy(update={"text": p, "id": f"{c.id}.{i}" if c.id else ""})
            for i, p in enumerate(pieces, 1)]


# --------------------------------------------------------------------------------------------
# Glossary
# --------------------------------------------------------------------------------------------


@cache
def glossary() -> dict[str, tuple[str, tuple[str, ...]]]:
    """term -> (definition, aliases) from ``knowledge/glossary.yaml`` (cached)."""
    text = (resources.files("curbside") / "knowledge" / "glossary.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, dict):
        raise ValueError("glossary.yaml: missing 'terms' mapping")
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for term, body in terms.items():
        if not isinstance(body, dict) or not isinstance(body.get("definition"), str):
            raise ValueError(f"glossary.yaml: term '{term}': needs a definition")
        aliases = tuple(str(a) for a in body.get("aliases") or [])
        out[str(term)] = (" ".join(body["definition"].split()), aliases)
    return out


def glossary_terms_in(text: str, limit: int = 8) -> list[tuple[str, str]]:
    """(term, definition) for glossary terms found in `text`, in order of first appearance."""
    hits: list[tuple[int, str, str]] = []
    for term, (definition, aliases) in glossary().items():
        best: int | None = None
        for form in (term, *aliases):
            flags = 0 if form.isupper() or any(ch.isdigit() for ch in form) else re.I
            m = re.search(r"(?<![\w-])" + re.escape(form) + r"(?![\w-])", text, flags)
            if m and (best is None or m.start() < best):
                best = m.start()
        if best is not None:
            hits.append((best, term, definition))
    hits.sort()
    return [(t, d) for _, t, d in hits[:limit]]


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def article_text(article: Article) -> str:
    return " ".join(c.text for c in article.all_claims() if c.text)


_SENT_END = re.compile(r"[.!?]+(?:\s|$)")
_WORDS = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*|\d+(?:[.,]\d+)*")


@cache
def _pyphen() -> object | None:
    try:
        from pyphen import Pyphen

        dic: object = Pyphen(lang="en_US")
        return dic
    except Exception:  # pragma: no cover - pyphen is a dependency
        return None


def _syllables(word: str) -> int:
    dic = _pyphen()
    if dic is not None:
        return len(dic.positions(word.lower())) + 1  # type: ignore[attr-defined]
    return max(1, len(re.findall(r"[aeiouy]+", word.lower())))


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade with pyphen syllable counts.

    Not textstat: it fetches NLTK's cmudict from the network on first use, and Curbside never
    downloads anything at run time.
    """
    toks = _WORDS.findall(text)
    if not toks:
        return 0.0
    sentences = max(1, len(_SENT_END.findall(text)))
    syll = sum(_syllables(w) for w in toks)
    return 0.39 * len(toks) / sentences + 11.8 * syll / len(toks) - 15.59


def readability(article: Article) -> float | None:
    text = article_text(article)
    if not text.strip():
        return None
    return round(flesch_kincaid_grade(text), 1)


def _seek_care_section(article: Article, seen: set[str]) -> ArticleSection | None:
    from curbside.safety.patterns import load_patterns  # safety imports nothing from render

    by_id = load_patterns().by_id()
    claims: list[Claim] = []
    done: set[str] = set()
    for rf in article.red_flags:
        p = by_id.get(rf.pattern)
        text = " ".join((p.lay_action if p and p.lay_action else rf.action).split())
        claims.append(Claim(text=_lay_text(f"{rf.name}: {text}", seen),
                            citations=list(rf.citations), ours=True, support=1.0,
                            id=f"care-{rf.pattern}"))
        done.add(rf.pattern)
    for pf in article.premise_findings:
        if not pf.pattern or pf.pattern in done or not pf.citations:
            continue
        p = by_id.get(pf.pattern)
        if p is None or not p.lay_action:
            continue
        claims.append(Claim(text=_lay_text(" ".join(p.lay_action.split()), seen),
                            citations=list(pf.citations), ours=True, support=1.0,
                            id=f"care-{pf.pattern}"))
        done.add(pf.pattern)
    if not claims:
        return None
    return ArticleSection(heading="When to seek care", kind="when_to_seek_care", style="bullets",
                          intro=None, claims=claims)


def _patient(article: Article) -> Article:
    seen: set[str] = set()

    def conv(claims: list[Claim]) -> list[Claim]:
        out: list[Claim] = []
        for c in claims:
            lay = c.model_copy(update={"text": _lay_text(c.text, seen)})
            out += _split_claim(lay)
        return out

    lead = conv(article.lead)
    sections: list[ArticleSection] = []
    for s in article.sections:
        intro = (s.intro.model_copy(update={"text": _lay_text(s.intro.text, seen)})
                 if s.intro else None)
        sections.append(s.model_copy(update={"intro": intro, "claims": conv(s.claims)}))
    care = _seek_care_section(article, seen)
    if care is not None:
        sections.insert(0, care)
    bottom = conv(article.bottom_line)
    refs = sorted(article.references, key=lambda r: (r.type != "Patient information", r.n))
    return article.model_copy(update={
        "lead": lead, "sections": sections, "bottom_line": bottom, "references": refs,
        "audience": "patient",
    })


def _student(article: Article) -> Article:
    terms = glossary_terms_in(article_text(article) + " " + article.question)
    sections = list(article.sections)
    if terms:
        sections.append(ArticleSection(
            heading="Key terms", kind="glossary", style="bullets", intro=None,
            claims=[Claim(text=f"{t}: {d}", ours=True, support=1.0, id=f"term-{i}")
                    for i, (t, d) in enumerate(terms, 1)],
        ))
    return article.model_copy(update={"sections": sections, "audience": "student"})


def render_for_audience(article: Article, audience: str = "clinician") -> Article:
    """`article` rendered for `audience` (clinician, patient or student); see module doc."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience: must be one of {', '.join(AUDIENCES)}")
    if audience == "patient":
        out = _patient(article)
    elif audience == "student":
        out = _student(article)
    else:
        out = article.model_copy(update={"audience": "clinician"})
    return out.model_copy(update={"readability": readability(out)})
