"""The extractive composer: retrieved evidence -> a cited article made of source sentences.

Nothing is invented: every claim is a source sentence (lightly normalised, see `candidates`)
or a short connective phrase of ours, marked ``ours=True`` and never cited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from curbside.article import Article, ArticleSection, Claim, Consensus, Span
from curbside.compose.audience import audience_weight
from curbside.compose.candidates import (
    Candidate,
    extract_candidates,
    jaccard,
    query_terms,
)
from curbside.compose.consensus import WEAK_MATCH, ConsensusResult, confident, consensus
from curbside.compose.plan import (
    FREQUENCY_WORDS,
    HEADINGS,
    NO_DEFINITION_TEXT,
    NO_FREQUENCY_TEXT,
    asks_frequency,
    defines,
    definition_subject,
    matches,
    plan_for,
    title_case,
)
from curbside.compose.references import ReferenceList
from curbside.domain import Evidence, Passage
from curbside.ingest.sentences import split_sentences
from curbside.understand.drugs import find_drug_mentions
from curbside.understand.question import asks_for_verdict

#: Below this retrieval confidence the article says the evidence is insufficient
#: Calibrated with benchmarks/calibrate_confidence.py (PubMedQA and BioASQ questions with and
#: without their evidence in the corpus, plus off-topic questions): 0.45 keeps 98% of answerable
#: questions and refuses every off-topic one (max 0.34) and about half of the near-miss ones.
#: The balanced-accuracy optimum there, 0.62, is used for the "weak match" notice instead: as a
#: hard threshold it refused long clinical questions the library does answer (0.52-0.59).
DEFAULT_MIN_CONFIDENCE = 0.45
WEAK_MATCH_CONFIDENCE = WEAK_MATCH
MERGE_SIMILARITY = 0.6
MIN_RELEVANCE = 0.12

VERDICT_TEXT = {
    "supports": "On balance, the evidence in this library supports this.",
    "contradicts": "On balance, the evidence in this library does not support this.",
    "mixed": "The evidence in this library is mixed on this question.",
    "insufficient": "The evidence in this library is insufficient to answer this with confidence.",
}
INSUFFICIENT_TEXT = (
    "The evidence in this library is insufficient to answer this question; "
    "no sufficiently relevant source was found."
)


@dataclass
class ComposeInput:
    question: str
    question_type: str
    terms: Sequence[str]
    evidence: Sequence[Evidence]
    confidence: float
    source_texts: dict[int, str]
    audience: str = "clinician"
    settings_fingerprint: str = ""
    #: Optional semantic similarity of the question to candidate sentences (dense model);
    #: used to pick the lead and bottom line among the strongest candidates.
    similarity: Callable[[str, list[str]], list[float]] | None = None
    #: Optional: all passages of the top-ranked source (from the store), so the consensus meter
    #: reads its conclusions or results even when those passages were not among the evidence.
    top_source_passages: Sequence[Passage] | None = None
    #: The drugs the question names, each as its names (as written, generic, brands). When
    #: given, claims come only from sources whose retrieved text or title names one of them:
    #: an answer about other drugs is no answer.
    drugs: Sequence[Sequence[str]] = ()


#: A sentence about how a study was run (enrolment, allocation, dosing schedule of the trial).
_DESIGN = re.compile(
    r"\b(were (randomi[sz]ed|randomly assigned|allocated|enrolled|recruited|included|assigned|"
    r"studied|examined|evaluated|reviewed|analy[sz]ed|interviewed|surveyed)|"
    r"(study|trial|survey|analysis|review) was (conducted|performed|carried out|undertaken)|"
    r"(double|single)[- ]blind|placebo[- ]controlled|cross-?over (design|study|trial)|"
    r"(a|an) (prospective|retrospective|randomi[sz]ed|open|observational|descriptive|"
    r"cross-sectional|multicent(er|re)) (study|trial)|\(n ?= ?\d+\))",
    re.I,
)
#: Claims longer than this many words lose weight: a consult answers in short sentences.
LONG_CLAIM_WORDS = 30


def _score(c: Candidate) -> float:
    bonus = {1: 0.35, 2: 0.25, 3: 0.15, 4: 0.08}.get(c.level, 0.0)
    if any(k in c.section for k in ("CONCLUSION", "RECOMMENDATION", "KEY")):
        bonus += 0.15
    factor = 1.0
    if "METHOD" in c.section or _DESIGN.search(c.text):
        factor *= 0.8  # how a study was run, not what it found
    n_words = len(c.text.split())
    if n_words > LONG_CLAIM_WORDS:
        factor *= max(0.7, 1.0 - 0.01 * (n_words - LONG_CLAIM_WORDS))
    return c.relevance * (1.0 + bonus) * factor


class ExtractiveComposer:
    def __init__(
        self,
        *,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        max_per_section: int = 5,
        max_per_source: int = 2,
    ) -> None:
        self.min_confidence = min_confidence
        self.max_per_section = max_per_section
        self.max_per_source = max_per_source

    def compose(self, inp: ComposeInput) -> tuple[Article, ReferenceList]:
        refs = ReferenceList()
        article = Article(
            question=inp.question,
            question_type=inp.question_type,
            title=title_case(inp.question),
            audience=inp.audience,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            settings_fingerprint=inp.settings_fingerprint,
            retrieval_confidence=inp.confidence,
        )
        terms = query_terms(inp.terms) - FREQUENCY_WORDS
        cands = [
            c
            for c in extract_candidates(inp.evidence, terms, inp.source_texts)
            if c.relevance >= MIN_RELEVANCE and c.features["overlap"] > 0
        ]
        # Two relevant sentences at least; one is enough when the match is not weak (a
        # strongly matched source whose other sentences don't repeat the question's words).
        need = 1 if inp.confidence >= WEAK_MATCH_CONFIDENCE else 2
        gaps: list[str] = []
        # The consensus meter reads the top-ranked source the claims may come from.
        basis_evidence = inp.evidence
        together = True
        if inp.drugs:
            cands, allowed, together = _naming_the_drugs(cands, inp.evidence, inp.drugs, need)
            basis_evidence = [e for e in inp.evidence if e.source.id in allowed]
            if not together:
                gaps.append(NOT_TOGETHER_TEXT)
        # TEMP wire (issue 15 item 3): the reader's plainness weight; 1.0 but for patients.
        cands.sort(key=lambda c: _score(c) * _reader_weight(inp, c), reverse=True)
        if inp.confidence < self.min_confidence or len(cands) < need:
            return self._insufficient(article), refs

        chosen: list[tuple[Candidate, Claim]] = []

        def take(c: Candidate) -> Claim | None:
            for prev, claim in chosen:
                if prev is c or same_claim(prev.text, c.text):
                    if prev is not c and c.evidence.source.id != prev.evidence.source.id:
                        n = refs.cite(
                            c.evidence.source, c.evidence.passage.id, c.evidence.passage.text
                        )
                        if n not in claim.citations:
                            claim.citations.append(n)
                            claim.spans.append(_span(c))
                    return None
            n = refs.cite(c.evidence.source, c.evidence.passage.id, c.evidence.passage.text)
            claim = Claim(text=c.text, citations=[n], spans=[_span(c)], id=_claim_id(c))
            chosen.append((c, claim))
            return claim

        # Lead: the strongest evidence first (guidelines, reviews, conclusions). Study aims and
        # bare titles are never candidates (`candidates.not_a_finding`).
        strong = [
            c
            for c in cands
            if c.level <= 2 or "CONCLUSION" in c.section or "RECOMMENDATION" in c.section
        ] or cands
        strong = self._semantic_order(inp, strong[:8]) + strong[8:]
        # "What is X?": a sentence that defines X leads; without one, the article says so.
        subject = definition_subject(inp.question) if inp.question_type == "definition" else None
        defining = [c for c in cands if subject and defines(subject, c.text)]
        if defining:
            strong = self._semantic_order(inp, defining[:8]) + [
                c for c in strong if c not in defining
            ]
        for c in strong[:1]:
            cl = take(c)
            if cl:
                article.lead.append(cl)
        # Fold near-duplicates of the lead into its citations.
        for c in cands:
            if same_claim(c.text, article.lead[0].text):
                take(c)

        plan = plan_for(inp.question, inp.question_type)
        if subject is not None and not defining:
            gaps.insert(0, NO_DEFINITION_TEXT)
        used = {id(c) for c, _ in chosen}
        for kind in plan:
            pool = [c for c in cands if id(c) not in used]
            if kind != "key_evidence":
                pool = [c for c in pool if matches(kind, c.text)]
            if kind == "recommendations":
                pool = [c for c in pool if c.level == 1 or "RECOMMENDATION" in c.section]
            if kind in ("recommendations", "treatment"):
                pool.sort(key=lambda c: (c.level, -_score(c)))
            section = ArticleSection(heading=HEADINGS[kind], kind=kind)
            per_source: dict[int, int] = {}
            for c in pool:
                if len(section.claims) >= self.max_per_section:
                    break
                sid = c.evidence.source.id
                if per_source.get(sid, 0) >= self.max_per_source:
                    continue  # one long guideline must not fill a whole section
                per_source[sid] = per_source.get(sid, 0) + 1
                cl = take(c)
                used.add(id(c))
                if cl:
                    section.claims.append(cl)
            if section.claims:
                n_sources = len({s for cl in section.claims for s in cl.citations})
                if kind == "recommendations":
                    section.intro = Claim(text="Guidelines recommend:", ours=True)
                elif kind == "key_evidence" and n_sources > 1:
                    section.intro = Claim(text=f"Evidence from {n_sources} sources:", ours=True)
                article.sections.append(section)
            elif (
                kind == "prevalence"
                and asks_frequency(inp.question)
                and not any(matches("prevalence", c.text) for c, _ in chosen)
            ):
                section.intro = Claim(text=NO_FREQUENCY_TEXT, ours=True)
                article.sections.append(section)

        if gaps:  # what the evidence lacks is said first, before anything near it
            article.lead.insert(0, Claim(text=" ".join(gaps), ours=True))

        # Consensus for yes/no questions: stance of the top-ranked source's conclusions. A
        # verdict sentence leads the bottom line only when the stance model is confident
        # (`consensus.confident`); otherwise the meter says "insufficient", keeps the model's
        # reading as its leaning, and the bottom line is the best answer sentence alone.
        if is_yes_no(inp.question, inp.question_type):
            basis, kind = consensus_basis_of(basis_evidence, inp.top_source_passages)
            result = consensus(inp.question, basis, basis_kind=kind, confidence=inp.confidence)
            if not together:  # no source speaks to the combination the question asks about
                result = ConsensusResult(
                    "insufficient", result.supports, result.contradicts, result.neutral, 0.0
                )
            leaning = None
            if result.verdict != "insufficient" and not confident(result):
                leaning, result.verdict = result.verdict, "insufficient"
            article.consensus = Consensus(
                verdict=result.verdict,
                supports=result.supports,
                contradicts=result.contradicts,
                neutral=result.neutral,
                basis=basis,
                probabilities=(
                    {k: round(v, 3) for k, v in result.probabilities.items()}
                    if result.probabilities and (result.verdict != "insufficient" or leaning)
                    else None
                ),
                leaning=leaning,
            )
            if result.verdict != "insufficient":
                article.bottom_line.append(Claim(text=VERDICT_TEXT[result.verdict], ours=True))
        # Bottom line: the strongest conclusion or recommendation sentence.
        best = next((c for c in strong if not _same(c, chosen[0][0])), None) or chosen[0][0]
        if defining:  # "What is X?": the definition is the bottom line too
            best = chosen[0][0]
        claim = next((cl for c, cl in chosen if c is best), None)
        if claim is None:
            claim = take(best)
        if claim is not None:
            article.bottom_line.append(claim.model_copy(deep=True))
        article.references = refs.references()
        article.evidence_levels = {}
        for r in article.references:
            article.evidence_levels[r.kind] = article.evidence_levels.get(r.kind, 0) + 1
        if inp.confidence < WEAK_MATCH_CONFIDENCE:
            article.notices.append(
                "The match between this question and the library is weak; read the sources."
            )
        return article, refs

    @staticmethod
    def _semantic_order(inp: ComposeInput, pool: list[Candidate]) -> list[Candidate]:
        """Re-order the strongest candidates by how directly they answer the question."""
        if inp.similarity is None or len(pool) < 2:
            return pool
        sims = inp.similarity(inp.question, [c.text for c in pool])
        for c, sim in zip(pool, sims, strict=True):
            c.features["question_similarity"] = sim
        return sorted(
            pool,
            key=lambda c: (0.6 * c.features["question_similarity"] + 0.4 * _score(c))
            * _reader_weight(inp, c),
            reverse=True,
        )

    def _insufficient(self, article: Article) -> Article:
        article.insufficient = True
        article.lead = [Claim(text=INSUFFICIENT_TEXT, ours=True)]
        article.bottom_line = [Claim(text=VERDICT_TEXT["insufficient"], ours=True)]
        article.notices.append(
            "No answer was composed because the library holds too little relevant evidence. "
            "Add sources (curbside ingest) or rephrase the question."
        )
        if is_yes_no(article.question, article.question_type):
            article.consensus = Consensus(verdict="insufficient")
        return article


def is_yes_no(question: str, question_type: str = "") -> bool:
    """Whether a yes/no verdict answers `question`: the classifier's one decision
    (`understand.question.asks_for_verdict`). `question_type` is not consulted: "Can I take X
    with Y?" is yes/no in form but gets no verdict, and a research-title question ("Spinal
    subdural hematoma: a sequela of a ruptured aneurysm?") gets one whatever its topic type."""
    del question_type
    return asks_for_verdict(question)


_CONCL_SECTIONS = ("CONCLU", "RECOMM", "INTERPRETATION", "IMPLICATION")
_RESULT_SECTIONS = ("RESULT", "FINDING", "OUTCOME")


def consensus_basis_of(
    evidence: Sequence[Evidence], source_passages: Sequence[Passage] | None = None, n: int = 6
) -> tuple[list[str], str]:
    """(sentences, kind) the consensus meter reads: the top-ranked source's conclusion or
    recommendation passages in order (kind "conclusions"), else its results passages, last
    sentence first ("results"), else its best-ranked retrieved passage ("other").

    `source_passages` are all passages of the top source (the service reads them from the
    store); without them only the retrieved passages of that source are read. Measured on the
    500 PubMedQA calibration questions (see the README): mixing in the top sentences of other
    sources added their unrelated conclusions, and the retrieved passages of the top source
    often lacked its results (the retriever keeps two passages per source).
    """
    if not evidence:
        return [], "other"
    top = evidence[0].source.id
    mine = [p for p in source_passages or () if p.source_id == top] or [
        e.passage for e in evidence if e.source.id == top
    ]
    mine = sorted({p.id: p for p in mine}.values(), key=lambda p: (p.ord, p.id))

    def of(keys: tuple[str, ...]) -> list[Passage]:
        return [p for p in mine if any(k in (p.section or "").upper() for k in keys)]

    if concl := of(_CONCL_SECTIONS):
        sents, kind = [s for p in concl for s in split_sentences(p.text)], "conclusions"
    elif res := of(_RESULT_SECTIONS):
        sents, kind = [s for p in res for s in split_sentences(p.text)][::-1], "results"
    else:
        best = evidence[0].passage  # the most relevant passage of the top source
        sents, kind = split_sentences(best.text), "other"
    sents = [s.strip() for s in sents if len(s.split()) >= 3]
    return list(dict.fromkeys(sents))[:n], kind


_NUMBERS = re.compile(r"\d+(?:[.,]\d+)*")


def same_claim(a: str, b: str) -> bool:
    """Two sentences say the same thing (one claim, both citations): most of their words
    shared, the same numbers, and the same drugs ("Naproxen relieves pain ..." and
    "Acetaminophen relieves pain ..." are two claims)."""
    if jaccard(a, b) < MERGE_SIMILARITY:
        return False
    if sorted(_NUMBERS.findall(a)) != sorted(_NUMBERS.findall(b)):
        return False
    return {d.generic for d in find_drug_mentions(a)} == {
        d.generic for d in find_drug_mentions(b)}


#: Said (as ours) when a question names two or more drugs (or a drug and alcohol) and no
#: source found names them all: each is covered, their combination is not.
NOT_TOGETHER_TEXT = (
    "None of the sources found discusses these together; what they say about each is below."
)


def _naming_the_drugs(
    cands: list[Candidate],
    evidence: Sequence[Evidence],
    drugs: Sequence[Sequence[str]],
    need: int,
) -> tuple[list[Candidate], set[int], bool]:
    """(candidates from sources naming the question's drugs, those sources' ids, whether they
    name them all). A source names a drug when its title or one of its retrieved passages does
    (its other sentences may use an abbreviation). Sources naming every drug are preferred;
    when they give fewer than `need` candidates, sources naming any one drug are used and the
    third value is False."""
    text: dict[int, str] = {}
    for e in evidence:
        text.setdefault(e.source.id, e.source.title)
        if e.passage.text not in text[e.source.id]:
            text[e.source.id] += " " + e.passage.text
    named = {sid: [d for d in drugs if names_a_drug(t, [d])] for sid, t in text.items()}
    some = {sid for sid, found in named.items() if found}
    any_drug = [c for c in cands if c.evidence.source.id in some]
    if len(drugs) < 2:
        return any_drug, some, True
    every = {sid for sid in some if len(named[sid]) == len(drugs)}
    both = [c for c in any_drug if c.evidence.source.id in every]
    if len(both) >= need:
        return both, every, True
    return any_drug, some, not any_drug


def names_a_drug(text: str, drugs: Sequence[Sequence[str]]) -> bool:
    """Whether `text` names one of the drugs (any of each drug's names, whole words)."""
    low = text.lower()
    for names in drugs:
        for name in names:
            n = name.lower().strip()
            if len(n) >= 3 and n in low and re.search(
                r"(?<!\w)" + re.escape(n) + r"(?:s|es)?(?!\w)", low
            ):
                return True
    return False


def _reader_weight(inp: ComposeInput, c: Candidate) -> float:
    return audience_weight(inp.audience, c.text, str(c.evidence.source.kind))


def _same(a: Candidate, b: Candidate) -> bool:
    return a is b or a.evidence.source.id == b.evidence.source.id


def _span(c: Candidate) -> Span:
    p = c.evidence.passage
    return Span(passage_id=p.id, passage_uid=p.uid, start=c.start, end=c.end)


def _claim_id(c: Candidate) -> str:
    key = f"{c.evidence.passage.uid}:{c.start}:{c.end}"
    return "c" + hashlib.sha1(key.encode()).hexdigest()[:10]
