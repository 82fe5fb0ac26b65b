"""Reader modes: the same verified claims, written for a clinician, a patient or a student.

`render_for_audience(article, audience)` returns a new `Article`:

* **clinician** (default): unchanged text.
* **patient** (plain language, see `curbside.render.plain`): statistics brackets
  ("(P < 0.001)", "(OR 0.8, 95% CI ...)") move to a "(Figures: ...)" sentence after their
  claim; long sentences are cut at safe clause boundaries, each piece keeping the sentence's
  citations; then technical terms get
  their lay wording from ``synonyms.yaml`` (``"myocardial infarction (heart attack)"`` on first
  use, the lay term after, unless the technical term holds a number) and plain words from
  ``plain_words.yaml`` (``"administered"`` -> ``"given"``), taking out at most a quarter of
  a sentence's content words; every number, negation and hedge is kept. Claims citing a
  patient-information source come first within each section and those references are listed
  first (numbers unchanged, nothing removed); an abbreviation's definition "(CR)" that the
  article never uses again is dropped, and so is a short aside "(NSAIDs)" that only repeats
  what the article already said (never one with a number, negation or hedge); our own
  sentences (``ours``, each with its message key) are said from the patient catalogue
  (``knowledge/messages/patient.yaml``, see `curbside.messages`); a "When to seek care"
  section is built from the red flags (and premise findings' patterns), cited with their
  citations, or, when there is none, two general lines of ours (no facts, nothing cited).
  A lead frame (`compose.frames`) is said in the patient's words but its names are left as
  stored: no lay word renames an organisation ("American College of Physicians").
* **student**: a "Key terms" section with short definitions from ``glossary.yaml``.

No mode drops a red flag, a premise finding, a citation number or a number of the text.
`readability` holds the Flesch-Kincaid grade (pyphen syllables) of the article body's claims,
one unit per claim (`readability_units`): not the title, notices or reference list.
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from curbside.article import Article, ArticleSection, Claim
from curbside.compose.frames import is_frame
from curbside.knowledge_files import DateText, load_knowledge
from curbside.messages import message, say
from curbside.render.plain import (
    drop_repeated_asides,
    lay_text,
    split_sentence,
    split_statistics,
)
from curbside.text.readability import flesch_kincaid_grade as flesch_kincaid_grade

AUDIENCES = ("clinician", "patient", "student")

#: `split_long` is the sentence splitter of the patient mode (see `curbside.render.plain`).
split_long = split_sentence


def _split_claim(c: Claim) -> list[Claim]:
    main, figures = (c.text, None) if c.ours else split_statistics(c.text)
    pieces = split_sentence(main)
    if figures:
        pieces[-1] = f"{pieces[-1]} {figures}"
    if len(pieces) == 1:
        return [c.model_copy(update={"text": pieces[0]})] if figures else [c]
    return [c.model_copy(update={"text": p, "id": f"{c.id}.{i}" if c.id else ""})
            for i, p in enumerate(pieces, 1)]


# --------------------------------------------------------------------------------------------
# Glossary
# --------------------------------------------------------------------------------------------


class GlossaryTerm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


class GlossaryFile(BaseModel):
    """``knowledge/glossary.yaml``: term -> its definition and aliases."""

    model_config = ConfigDict(extra="forbid")

    version: int
    updated: DateText
    terms: dict[str, GlossaryTerm] = Field(min_length=1)


@cache
def glossary() -> dict[str, tuple[str, tuple[str, ...]]]:
    """term -> (definition, aliases) from ``knowledge/glossary.yaml`` (checked, cached)."""
    data = load_knowledge("glossary.yaml", GlossaryFile)
    return {term: (" ".join(body.definition.split()), tuple(body.aliases))
            for term, body in data.terms.items()}


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


def readability_units(article: Article) -> list[str]:
    """The text the Flesch-Kincaid grade is computed over: every claim of the article body
    (lead, section intros and claims, "When to seek care", bottom line), one unit per claim.

    Not the title, the question, notices, the reference list or the premise-finding and
    red-flag boxes (those are the same, word for word, in every mode).
    """
    return [c.text for c in article.all_claims() if c.text.strip()]


def readability(article: Article) -> float | None:
    units = readability_units(article)
    if not units:
        return None
    return round(flesch_kincaid_grade(units), 1)


def _seek_care_section(article: Article, seen: set[str]) -> ArticleSection | None:
    from curbside.safety.patterns import load_patterns  # safety imports nothing from render

    by_id = load_patterns().by_id()
    claims: list[Claim] = []
    done: set[str] = set()
    for rf in article.red_flags:
        p = by_id.get(rf.pattern)
        text = " ".join((p.lay_action if p and p.lay_action else rf.action).split())
        params = {"name": rf.name, "action": text}
        claims.append(Claim(text=lay_text(message("care.red_flag", "patient", **params), seen),
                            citations=list(rf.citations), ours=True, support=1.0,
                            id=f"care-{rf.pattern}", key="care.red_flag", params=params))
        done.add(rf.pattern)
    for pf in article.premise_findings:
        if not pf.pattern or pf.pattern in done or not pf.citations:
            continue
        p = by_id.get(pf.pattern)
        if p is None or not p.lay_action:
            continue
        params = {"action": " ".join(p.lay_action.split())}
        claims.append(Claim(text=lay_text(message("care.premise", "patient", **params), seen),
                            citations=list(pf.citations), ours=True, support=1.0,
                            id=f"care-{pf.pattern}", key="care.premise", params=params))
        done.add(pf.pattern)
    if not claims:
        # No red flag: a plain, general line of ours (no facts, nothing cited).
        claims = [Claim(text=message(k, "patient"), ours=True, support=1.0,
                        id=f"care-general-{i}", key=k)
                  for i, k in enumerate(GENERAL_CARE, 1)]
    return ArticleSection(heading="When to seek care", kind="when_to_seek_care", style="bullets",
                          intro=None, claims=claims)


#: "When to seek care" when no red flag was raised: general advice of ours, no facts
#: (message keys).
GENERAL_CARE = ("care.if_unsure", "care.if_worse")
_DEFINED_ABBR = re.compile(r"\s\(([A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*)\)")


def _drop_unused_abbreviations(article: Article) -> Article:
    """Drop an abbreviation's definition "(CR)" that the article never uses again."""
    texts = [c.text for c in article.all_claims()]
    joined = " ".join(texts)
    unused: set[str] = set()
    for abbr in set(_DEFINED_ABBR.findall(joined)):
        if len(abbr) > 8:
            continue
        uses = len(re.findall(r"(?<![\w-])" + re.escape(abbr) + r"(?![\w-])", joined))
        if uses == joined.count(f"({abbr})"):
            unused.add(abbr)
    if not unused:
        return article

    def fix(c: Claim) -> Claim:
        new = _DEFINED_ABBR.sub(lambda m: "" if m.group(1) in unused else m.group(0), c.text)
        return c if new == c.text else c.model_copy(update={"text": new})

    return article.model_copy(update={
        "lead": [fix(c) for c in article.lead],
        "sections": [s.model_copy(update={
            "intro": fix(s.intro) if s.intro else None, "claims": [fix(c) for c in s.claims]})
            for s in article.sections],
        "bottom_line": [fix(c) for c in article.bottom_line],
    })


def _patient_info_first(article: Article, claims: list[Claim]) -> list[Claim]:
    """Claims citing a patient-information source first (stable otherwise)."""
    info = {r.n for r in article.references if r.type == "Patient information"}
    if not info:
        return claims
    return sorted(claims, key=lambda c: not (set(c.citations) & info))


def _patient(article: Article) -> Article:
    seen: set[str] = set()
    said: list[str] = []  # the text given so far, in reading order

    def conv(claims: list[Claim]) -> list[Claim]:
        out: list[Claim] = []
        for c in claims:
            if c.ours and c.key is not None:  # ours: the same message, in the patient's words
                c = c.model_copy(update={"text": say(c.key, "patient", c.params)})
            elif not c.ours:
                text = drop_repeated_asides(c.text, " ".join(said)).strip()
                if text != c.text:
                    c = c.model_copy(update={"text": text})
            said.append(c.text)
            if is_frame(c):  # it names organisations as stored: no lay word renames them
                out.append(c)
                continue
            # Split first, then lay wording piece by piece (each piece keeps most of its words).
            out += [p.model_copy(update={"text": lay_text(p.text, seen)})
                    for p in _split_claim(c)]
        return out

    lead = conv(article.lead)
    sections: list[ArticleSection] = []
    for s in article.sections:
        intro = conv([s.intro])[0] if s.intro else None
        claims = conv(_patient_info_first(article, s.claims))
        sections.append(s.model_copy(update={"intro": intro, "claims": claims}))
    care = _seek_care_section(article, seen)
    if care is not None:
        sections.insert(0, care)
    bottom = conv(article.bottom_line)
    refs = sorted(article.references, key=lambda r: (r.type != "Patient information", r.n))
    out = article.model_copy(update={
        "lead": lead, "sections": sections, "bottom_line": bottom, "references": refs,
        "audience": "patient",
    })
    return _drop_unused_abbreviations(out)


def _student(article: Article) -> Article:
    terms = glossary_terms_in(article_text(article) + " " + article.question)
    sections = list(article.sections)
    if terms:
        sections.append(ArticleSection(
            heading="Key terms", kind="glossary", style="bullets", intro=None,
            claims=[Claim(text=message("glossary.term", "student", term=t, definition=d),
                          ours=True, support=1.0, id=f"term-{i}", key="glossary.term",
                          params={"term": t, "definition": d})
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
