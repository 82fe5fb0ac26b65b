"""The extractive composer: retrieved evidence -> a cited article made of source sentences.

Nothing is invented: every claim is a source sentence (lightly normalised, see `candidates`)
or a short connective phrase of ours, marked ``ours=True``, never cited, and said from the
message catalogue by its key (`curbside.messages`; `Claim.key`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from curbside.article import Article, ArticleSection, Claim, Consensus, Span
from curbside.compose.answer_kinds import ASK_KINDS
from curbside.compose.audience import audience_weight, sentence_grade
from curbside.compose.bottom_line import VERDICT_KEY as VERDICT_KEY
from curbside.compose.bottom_line import write_bottom_line
from curbside.compose.candidates import (
    Candidate,
    extract_candidates,
    jaccard,
    needs_context,
    query_terms,
    research_talk,
)
from curbside.compose.consensus import WEAK_MATCH, ConsensusResult, confident, consensus
from curbside.compose.plan import (
    FREQUENCY_WORDS,
    HEADINGS,
    NO_DEFINITION_KEY,
    NO_DOSE_GAP_KEY,
    NO_FREQUENCY_GAP_KEY,
    NO_FREQUENCY_KEY,
    asks_frequency,
    defines,
    matches,
    plan_for,
    title_case,
)
from curbside.compose.references import ReferenceList
from curbside.compose.sentence_roles import STUDY_KINDS
from curbside.config import AnswerSettings
from curbside.domain import Evidence, Passage, SourceKind
from curbside.messages import join_keys, message, own_claim
from curbside.text.sentences import split_sentences
from curbside.understand.drugs import find_drug_mentions
from curbside.understand.focus import Ask, Focus, analyze_focus
from curbside.understand.question import (
    asks_about_research,
    asks_for_verdict,
    definition_subject,
)

#: Below this retrieval confidence the article says the evidence is insufficient (without an
#: answer scorer): `AnswerSettings.min_confidence`, where its calibration is given.
DEFAULT_MIN_CONFIDENCE = AnswerSettings().min_confidence
WEAK_MATCH_CONFIDENCE = WEAK_MATCH
MERGE_SIMILARITY = 0.6
#: `AnswerSettings.min_relevance` (the default; a composer reads its own settings).
MIN_RELEVANCE = AnswerSettings().min_relevance

#: The lead of an article composed from too little evidence.
INSUFFICIENT_KEY = "lead.insufficient"


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
    #: Optional: which of the given sentences say how a study was run (a learned classifier,
    #: `compose.sentence_roles`); read for the scored candidates from study reports.
    study_design: Callable[[list[str]], list[bool]] | None = None
    #: Optional: the kinds of answer the given sentences give (a learned classifier,
    #: `compose.answer_kinds`); read for the scored candidates when the question's ask is one
    #: it decides (`answer_kinds.ASK_KINDS`), beside `fits_ask`'s hand pattern.
    answer_kinds: Callable[[list[str]], list[frozenset[str]] | None] | None = None
    #: Optional: all passages of the top-ranked source (from the store), so the consensus meter
    #: reads its conclusions or results even when those passages were not among the evidence.
    top_source_passages: Sequence[Passage] | None = None
    #: The drugs the question names, each as its names (as written, generic, brands). When
    #: given, claims come only from sources whose retrieved text or title names one of them:
    #: an answer about other drugs is no answer.
    drugs: Sequence[Sequence[str]] = ()
    #: The question's focus concepts and ask (`understand.focus`); computed when not given.
    focus: Focus | None = None


#: A sentence about how a study was run (enrolment, allocation, dosing schedule of the trial).
_DESIGN = re.compile(
    r"\b(were (randomi[sz]ed|randomly assigned|allocated|enrolled|recruited|included|assigned|"
    r"studied|examined|evaluated|reviewed|analy[sz]ed|interviewed|surveyed)|"
    r"(study|trial|survey|analysis|review) was (conducted|performed|carried out|undertaken)|"
    r"(was|were) (compared|measured|assessed|recorded|determined|calculated|collected)|"
    r"(double|single)[- ]blind|placebo[- ]controlled|cross-?over (design|study|trial)|"
    r"(a|an) (prospective|retrospective|randomi[sz]ed|open|observational|descriptive|"
    r"cross-sectional|multicent(er|re)) (study|trial)|\(n ?= ?\d+\)|"
    r"a total of \d[\d,]* (subjects|participants|patients|volunteers|individuals|women|men|"
    r"children|adults) (were|with|who|aged|from|underwent|completed|participated))",
    re.I,
)
#: Claims longer than this many words lose weight: a consult answers in short sentences.
LONG_CLAIM_WORDS = 30


#: The default answer settings (a composer built without settings uses them).
ANSWER = AnswerSettings()

#: Which sentences fit each ask (a section cue of `plan`, or a pattern here).
_DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|g|ml|mL|units?|iu|IU|tablets?|capsules?|puffs?|drops?)\b"
    r"|\b(?:once|twice|three times|four times) (?:a|per|daily|each) ?(?:day|daily|week)?\b"
    r"|\bevery \d+ (?:to \d+ )?(?:hours|days|weeks|months|years)\b|\bmaximum (?:daily )?dose\b",
    re.I,
)
_HARMS = re.compile(
    r"\b(side effects?|adverse (?:effects?|events?|reactions?)|may cause|can cause|"
    r"toxicit\w*|harms?|risk of)\b",
    re.I,
)
_ACTION = re.compile(
    r"\b(should|seek|call|see (?:a|your) (?:doctor|health care|healthcare)|contact|"
    r"emergency|urgent\w*|recommend\w*|advis\w+)\b",
    re.I,
)
#: A sentence saying how a condition shows: what its signs are ("Symptoms may include
#: headache", "Other features can include ...", "characterized by ...") or what people with it
#: have or feel. A sentence that only names symptoms ("Signs and symptoms vary greatly from
#: person to person", "Symptoms typically develop just before puberty") says when or how much,
#: not what, and does not fit.
_SYMPTOMS = re.compile(
    r"\b((signs?|symptoms?|features?|findings?|manifestations?)( \w+){0,3} (include|includes|"
    r"including|are|such as|consist)|characteri[sz]ed by|(may|can|often|usually|typically|"
    r"commonly) (have|notice|feel|experience|cause|include|lead to)|present(s|ing)? with)\b",
    re.I,
)
#: A sentence announcing a list names no symptom itself (GARD's "The Human Phenotype Ontology
#: provides the following list of signs and symptoms for X", the list being a table).
_LIST_POINTER = re.compile(r"\b(the )?following list\b|\blist(ed)? (below|above)\b", re.I)
_INTERACTION = re.compile(r"\b(interact\w*|together|combin\w+|concomitant\w*|with)\b", re.I)


#: Asks whose lead prefers a sentence giving that kind of answer (`AnswerSettings.ask_margin`):
#: "how do you treat X?" leads with a treatment or recommendation, "what should I do?" with
#: a recommended action, "what causes X?" with a cause, and so on (`fits_ask`). Frequency and
#: definition questions have their own rule; yes/no, interaction and other questions none.
FRAMED_ASKS = frozenset({
    Ask.TREATMENT, Ask.ACTION, Ask.CAUSE, Ask.DIAGNOSIS, Ask.PROGNOSIS, Ask.DOSE,
    Ask.SIDE_EFFECTS, Ask.SYMPTOMS,
})


def fits_ask(ask: Ask, text: str) -> bool:
    """Whether a sentence gives the kind of answer `ask` wants."""
    if ask == Ask.FREQUENCY:
        return matches("prevalence", text)
    if ask == Ask.DOSE:
        return bool(_DOSE.search(text))
    if ask == Ask.SIDE_EFFECTS:
        return bool(_HARMS.search(text))
    if ask == Ask.TREATMENT:
        return matches("treatment", text) or matches("recommendations", text)
    if ask == Ask.ACTION:
        return bool(_ACTION.search(text))
    if ask == Ask.INTERACTION:
        return bool(_INTERACTION.search(text))
    if ask == Ask.CAUSE:
        return matches("etiology", text)
    if ask == Ask.DIAGNOSIS:
        return matches("diagnosis", text)
    if ask == Ask.PROGNOSIS:
        return matches("prognosis", text)
    if ask == Ask.SYMPTOMS:
        return bool(_SYMPTOMS.search(text)) and not _LIST_POINTER.search(text)
    return False


def candidate_fits(c: Candidate, ask: Ask) -> bool:
    """Whether candidate `c` gives the kind of answer `ask` wants: the hand pattern
    (`fits_ask`), or the learned answer kind where the composer read it for this ask
    (``features["fits:<ask>"]``, see `ComposeInput.answer_kinds`). Either, not the model
    alone: on the dev split the first model alone changed 19 leads for better and worse
    ("Fuchs dystrophy is rare" over "affecting approximately 4 percent"), either changed 9,
    all for a lead giving the frequency or cause asked for (docs/benchmarks.md, stop 29)."""
    return bool(c.features.get(f"fits:{ask}")) or fits_ask(ask, c.text)


def on_focus(cands: list[Candidate], focus: Focus) -> list[Candidate]:
    """The candidates that mention one of the question's primary focus concepts (by concept,
    see `understand.focus`), each with its coverage in ``features["focus"]``. A sentence whose
    source title mentions a concept counts too, whatever its words: a page's sentences are
    about its topic, and its answer often names none of the question's words ("Sucking on
    lozenges ... may ease the pain" on a sore-throat page). Until stop 30 such a sentence also
    had to share a word with the question; dropping that raised the dev split's MedQuAD lead
    from the question's own answer 0.658 -> 0.668 (docs/benchmarks.md). Where the question
    names a subtype (`Focus.subtype`), a sentence naming only another one, or any sentence of a
    page about another one that does not name the question's, is off the focus. Without
    concepts: any shared word."""
    if not focus.concepts:
        out = [c for c in cands if c.features["overlap"] > 0]
        for c in out:
            c.features["focus"] = 0.0
        return out
    out = []
    titles: dict[int, tuple[bool, bool | None]] = {}
    for c in cands:
        sid = c.evidence.source.id
        if sid not in titles:
            title = c.evidence.source.title
            titles[sid] = (focus.on_focus(title), focus.subtype(title))
        on_title, title_subtype = titles[sid]
        # Another subtype ("Long QT syndrome 3" for "... 1") is another condition: a sentence
        # naming only it, or a page about it, is off the focus unless the sentence names the
        # question's own subtype.
        subtype = focus.subtype(c.text)
        if subtype is False or (subtype is None and title_subtype is False):
            continue
        mentioned = focus.mentions(c.text)
        if focus.on_focus(c.text, mentioned) or on_title:
            c.features["focus"] = focus.coverage(c.text, mentioned)
            out.append(c)
    return out


#: What the lead's ranking key reads of a candidate (`lead_features`), one weight each
#: (`lead_weights`): the key is their weighted sum, so the weights can be fitted
#: (`benchmarks/train_lead_weights.py`) and set as `AnswerSettings` values.
LEAD_FEATURES = (
    "answer", "source", "passage_share", "guideline", "review", "trial", "observational",
    "conclusion", "fits_ask", "focus", "design", "overlap",
)


def lead_features(c: Candidate, focus: Focus) -> tuple[float, ...]:
    """The candidate's `LEAD_FEATURES` (it must have an answer score)."""
    f = c.features
    levels = tuple(float(c.level == n) for n in (1, 2, 3, 4))
    return (
        f["answer"], max(0.0, f["source"]), f.get("passage_share", 0.0), *levels,
        float(any(k in c.section for k in ("CONCLUSION", "RECOMMENDATION", "KEY"))),
        float(candidate_fits(c, focus.ask)), f.get("focus", 0.0), float(_design(c)),
        f["overlap"],
    )


def lead_weights(a: AnswerSettings) -> tuple[float, ...]:
    """One weight per `LEAD_FEATURES` entry, from the settings (the answer score's is 1: the
    margins and `min_answer` are read in its units)."""
    levels = (*a.level_bonus, 0.0, 0.0, 0.0, 0.0)[:4]
    return (
        1.0, a.source_weight, a.passage_weight, *levels, a.conclusion_bonus, a.fit_bonus,
        a.coverage_weight, -a.design_penalty, a.overlap_weight,
    )


def lead_score(c: Candidate, focus: Focus, settings: AnswerSettings | None = None) -> float:
    """The ranking key of a candidate once it has an answer score (see `AnswerSettings`)."""
    w = lead_weights(settings if settings is not None else ANSWER)
    return sum(x * y for x, y in zip(lead_features(c, focus), w, strict=True))


def _score(c: Candidate) -> float:
    bonus = {1: 0.35, 2: 0.25, 3: 0.15, 4: 0.08}.get(c.level, 0.0)
    if any(k in c.section for k in ("CONCLUSION", "RECOMMENDATION", "KEY")):
        bonus += 0.15
    factor = 1.0
    if _design(c):
        factor *= 0.8  # how a study was run, not what it found
    n_words = len(c.text.split())
    if n_words > LONG_CLAIM_WORDS:
        factor *= max(0.7, 1.0 - 0.01 * (n_words - LONG_CLAIM_WORDS))
    return c.relevance * (1.0 + bonus) * factor


@dataclass
class CandidatePool:
    """What `ExtractiveComposer.candidates` found for one question."""

    focus: Focus
    candidates: list[Candidate]
    #: Whether the answer scorer scored them (``features["answer"]``, ``["lead"]``).
    scored: bool
    #: What the evidence lacks, said first (ours): message keys.
    gaps: tuple[str, ...]
    #: The evidence the consensus meter may read (sources naming the question's drugs).
    basis_evidence: Sequence[Evidence]
    #: False when the question names several drugs and no source names them together.
    together: bool


class ExtractiveComposer:
    def __init__(
        self,
        settings: AnswerSettings | None = None,
        *,
        min_confidence: float | None = None,
        max_per_section: int | None = None,
        max_per_source: int | None = None,
    ) -> None:
        """`settings`: the answer settings (`Settings.answers`; default `ANSWER`, read when
        composing); the keywords override single values of it."""
        self._settings = settings
        a = settings if settings is not None else ANSWER
        self.min_confidence = a.min_confidence if min_confidence is None else min_confidence
        self.max_per_section = a.max_per_section if max_per_section is None else max_per_section
        self.max_per_source = a.max_per_source if max_per_source is None else max_per_source

    @property
    def answer(self) -> AnswerSettings:
        """The answer settings this composer uses."""
        return self._settings if self._settings is not None else ANSWER

    def compose(self, inp: ComposeInput) -> tuple[Article, ReferenceList]:  # noqa: C901
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
        found = self.candidates(inp)
        focus, cands, scored = found.focus, found.candidates, found.scored
        gaps = list(found.gaps)
        basis_evidence, together = found.basis_evidence, found.together
        if not cands or not self._answers(inp, cands, scored):
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

        # Lead: the best answer sentence (see `_lead_order`): the strongest evidence level
        # that has an answer nearly as good as the best one, a sentence fitted to what is
        # asked first. Study aims and bare titles are never candidates.
        strong = [c for c in cands if _strong(c)] or cands
        research_ok = asks_about_research(inp.question)
        lead_order = self._lead_order(focus, cands, scored, research_ok=research_ok)
        if scored:  # a patient's lead: a plainer sentence that answers about as well
            lead_order = self._plainer_first(
                inp.audience, lead_order, self.answer.patient_lead_margin, ask=focus.ask
            )
        # "What is X?": a sentence that defines X leads; without one, the article says so.
        subject = definition_subject(inp.question) if inp.question_type == "definition" else None
        defining = [c for c in lead_order if subject and defines(subject, c.text)]
        if defining:
            lead_order = defining + [c for c in lead_order if c not in defining]
        for c in lead_order[:1]:
            cl = take(c)
            if cl:
                article.lead.append(cl)
        # Fold near-duplicates of the lead into its citations.
        for c in cands:
            if same_claim(c.text, article.lead[0].text):
                take(c)

        plan = plan_for(inp.question, inp.question_type)
        if subject is not None and not defining:
            gaps.insert(0, NO_DEFINITION_KEY)
        # "How much X?": no sentence found gives an amount; the lead says so before its own.
        if focus.ask == Ask.DOSE and not any(candidate_fits(c, Ask.DOSE) for c in cands):
            gaps.append(NO_DOSE_GAP_KEY)
        used = {id(c) for c, _ in chosen}
        for kind in plan:
            pool = [c for c in cands if id(c) not in used]
            if kind != "key_evidence":
                pool = [c for c in pool if matches(kind, c.text)]
            if kind == "recommendations":
                pool = [c for c in pool if c.level == 1 or "RECOMMENDATION" in c.section]
            if kind in ("recommendations", "treatment"):
                pool.sort(key=lambda c: (c.level, -c.features.get("lead", _score(c))))
            section = ArticleSection(heading=HEADINGS[kind], kind=kind)
            per_source: dict[int, int] = {}
            for c in pool:
                if len(section.claims) >= self.max_per_section:
                    break
                if not self._plain_enough(inp.audience, c.text):
                    continue  # a patient's section: a plainer sentence takes its place
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
                    section.intro = own_claim("intro.guidelines")
                elif kind == "key_evidence" and n_sources > 1:
                    section.intro = own_claim("intro.evidence_from", n=n_sources)
                article.sections.append(section)
            elif (
                kind == "prevalence"
                and asks_frequency(inp.question)
                and not any(candidate_fits(c, Ask.FREQUENCY) for c, _ in chosen)
            ):
                section.intro = own_claim(NO_FREQUENCY_KEY)
                article.sections.append(section)
                gaps.append(NO_FREQUENCY_GAP_KEY)  # the lead says it too, before its sentence

        if gaps:  # what the evidence lacks is said first, before anything near it
            article.lead.insert(0, own_claim(join_keys(gaps)))

        # Consensus for yes/no questions: stance of the top-ranked source's conclusions. A
        # verdict line leads the bottom line (`write_bottom_line`) only when the stance model
        # is confident (`consensus.confident`); otherwise the meter says "insufficient", keeps
        # the model's reading as its leaning, and the bottom line is the best answer sentence
        # alone.
        if is_yes_no(inp.question, inp.question_type):
            basis, kind = consensus_basis_of(basis_evidence, inp.top_source_passages)
            result = consensus(inp.question, basis, basis_kind=kind, confidence=inp.confidence)
            # No verdict, and no leaning, where no source speaks to the combination the
            # question asks about, or where the basis is a kind of source the verdict
            # threshold was never calibrated on (`UNCALIBRATED_SOURCES`).
            uncalibrated = bool(basis_evidence) and (
                basis_evidence[0].source.kind in UNCALIBRATED_SOURCES
            )
            if not together or uncalibrated:
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
        # Bottom line: the strongest conclusion or recommendation sentence.
        if scored:  # the best answer among them; one that answers too poorly never closes
            strong = sorted(
                (c for c in strong if c.features["answer"] >= self.answer.min_answer),
                key=lambda c: c.features["lead"],
                reverse=True,
            )
            # Not the lead again: the same sentence from another source is folded into the
            # lead's citations and would leave the bottom line empty.
            lead = chosen[0][0]
            rest = self._fitting_first(focus, [
                c for c in strong if not _same(c, lead) and not same_claim(c.text, lead.text)
            ])
            strong = self._plainer_first(inp.audience, rest, self.answer.patient_bottom_margin)
        # How a study was run, or a sentence that needs the one before it, is nothing a reader
        # can act on: it never closes an article (the lead closes it again when nothing else
        # can).
        best = next(
            (c for c in strong
             if not _same(c, chosen[0][0]) and not _set_aside(c, research_ok)), None
        ) or chosen[0][0]
        if defining:  # "What is X?": the definition is the bottom line too
            best = chosen[0][0]
        claim = next((cl for c, cl in chosen if c is best), None)
        if claim is None:
            claim = take(best)
        # The verdict line (when the meter shows a verdict), then the answer sentence; the
        # premise findings come later (`bottom_line.settle_bottom_line`).
        answer = [claim.model_copy(deep=True)] if claim is not None else []
        article.consensus, article.bottom_line = write_bottom_line(article.consensus, answer)
        article.references = refs.references()
        article.evidence_levels = {}
        for r in article.references:
            article.evidence_levels[r.kind] = article.evidence_levels.get(r.kind, 0) + 1
        if inp.confidence < WEAK_MATCH_CONFIDENCE:
            article.notices.append(message("notice.weak_match"))
        return article, refs

    def candidates(self, inp: ComposeInput) -> CandidatePool:
        """The source sentences that may answer: cut from the evidence, on the question's
        focus, from sources naming the question's drugs, scored and in ranking order."""
        terms = query_terms(inp.terms) - FREQUENCY_WORDS
        focus = inp.focus or analyze_focus(inp.question)
        extracted = [
            c
            for c in extract_candidates(inp.evidence, terms, inp.source_texts)
            if c.relevance >= self.answer.min_relevance
        ]
        cands = on_focus(extracted, focus)
        gaps: list[str] = []
        basis_evidence: Sequence[Evidence] = inp.evidence
        together = True
        if inp.drugs:
            need = 1 if inp.similarity or inp.confidence >= WEAK_MATCH_CONFIDENCE else 2
            cands, allowed, together = _naming_the_drugs(cands, inp.evidence, inp.drugs, need)
            # The consensus meter reads the top-ranked source the claims may come from.
            basis_evidence = [e for e in inp.evidence if e.source.id in allowed]
            if not together:
                gaps.append(NOT_TOGETHER_KEY)
        cands.sort(key=_score, reverse=True)
        scored = self._answer_scores(inp, focus, cands)
        if scored:
            cands.sort(key=lambda c: c.features["lead"], reverse=True)
        return CandidatePool(focus, cands, scored, tuple(gaps), basis_evidence, together)

    def _plain_enough(self, audience: str, text: str) -> bool:
        """Whether a section may use the sentence `text` for `audience`: always, except for
        the patient a sentence above `AnswerSettings.patient_max_grade`."""
        cap = self.answer.patient_max_grade
        if audience != "patient" or cap <= 0:
            return True
        grade = sentence_grade(text)
        return grade is None or grade <= cap

    def _plainer_first(
        self, audience: str, ordered: list[Candidate], margin: float, *, ask: Ask | None = None
    ) -> list[Candidate]:
        """`ordered` (best first by the ``lead`` key), with the patient's first choice moved to
        the front: the best candidate within `margin` of the first one's ``lead`` score whose
        grade is within `AnswerSettings.patient_max_grade`, when the first one's is not; it
        must answer (``answer`` >= `AnswerSettings.min_answer`) and, with `ask` (the lead),
        come from the same evidence level and fit the ask as the first one does (the lead's
        order by level and by what is asked is kept). Unchanged for other audiences, with
        margin 0, or when no such sentence exists."""
        if audience != "patient" or margin <= 0 or not ordered:
            return ordered
        first = ordered[0]
        if self._plain_enough(audience, first.text):
            return ordered
        floor = first.features["lead"] - margin
        for c in ordered[1:]:
            if c.features["lead"] < floor:
                break
            if c.features["answer"] < self.answer.min_answer:
                continue
            if ask is not None and (
                c.level != first.level or candidate_fits(c, ask) != candidate_fits(first, ask)
            ):
                continue
            if self._plain_enough(audience, c.text):
                return [c, *(x for x in ordered if x is not c)]
        return ordered

    def best_answer_score(self, inp: ComposeInput) -> float | None:
        """The best answer score among the candidates (None without a model or candidates):
        what `AnswerSettings.min_answer` is compared with."""
        pool = self.candidates(inp)
        if not pool.scored or not pool.candidates:
            return None
        return max(c.features["answer"] for c in pool.candidates)

    def _answer_scores(self, inp: ComposeInput, focus: Focus, cands: list[Candidate]) -> bool:
        """Score how well each candidate answers the question; False without a model.

        ``answer``: the dense (or learned, `answer_scorer`) similarity of the question to the
        sentence; ``source``: to the sentence's source title; ``lead``: the ranking key of the
        lead, bottom line and sections (`lead_score`, times the reader's `audience_weight`:
        for patients, plain-language sources and sentences win near-ties). Only the first
        `AnswerSettings.max_scored` candidates (by focus coverage, then the retrieval-based
        score) are embedded; the rest rank below.
        """
        if inp.similarity is None or not cands:
            return False
        order = sorted(
            cands, key=lambda c: (-c.features.get("focus", 0.0), -_score(c))
        )[: self.answer.max_scored]
        titles = list(dict.fromkeys(c.evidence.source.title for c in order))
        sims = inp.similarity(inp.question, [c.text for c in order] + titles)
        by_title = dict(zip(titles, sims[len(order) :], strict=True))
        for c, sim in zip(order, sims[: len(order)], strict=True):
            c.features["answer"] = float(sim)
            c.features["source"] = float(by_title[c.evidence.source.title])
        if inp.study_design is not None:
            studies = [c for c in order if c.evidence.source.kind in STUDY_KINDS]
            flags = inp.study_design([c.text for c in studies])
            for c, flag in zip(studies, flags, strict=True):
                c.features["methods"] = float(flag)
        want = ASK_KINDS.get(focus.ask)
        kinds = inp.answer_kinds([c.text for c in order]) if (
            inp.answer_kinds is not None and want is not None) else None
        if kinds is not None:
            for c, got in zip(order, kinds, strict=True):
                c.features[f"fits:{focus.ask}"] = float(want in got)
        top = max(c.features["passage"] for c in cands) or 1.0
        for c in cands:
            c.features.setdefault("answer", -1.0)
            c.features.setdefault("source", -1.0)
            c.features["passage_share"] = c.features["passage"] / top
            c.features["lead_base"] = lead_score(c, focus, self.answer)
            c.features["lead"] = c.features["lead_base"] * audience_weight(
                inp.audience, c.text, str(c.evidence.source.kind)
            )
        return True

    def _answers(self, inp: ComposeInput, cands: list[Candidate], scored: bool) -> bool:
        """Whether the best candidate answers well enough to compose an article: the
        calibrated answer score when a model scored them (`AnswerSettings.min_answer`), otherwise
        the retrieval confidence (`min_confidence`)."""
        if scored:
            return max(c.features["answer"] for c in cands) >= self.answer.min_answer
        # Two relevant sentences at least; one is enough when the match is not weak (a
        # strongly matched source whose other sentences don't repeat the question's words).
        need = 1 if inp.confidence >= WEAK_MATCH_CONFIDENCE else 2
        return inp.confidence >= self.min_confidence and len(cands) >= need

    def _lead_order(
        self, focus: Focus, cands: list[Candidate], scored: bool, *, research_ok: bool = False
    ) -> list[Candidate]:
        """Candidates in the order the lead is chosen from.

        With answer scores: a sentence about how a study was run or one that does not answer
        on its own (`_set_aside`) comes after every other one, when another answers
        (`min_answer`); then the strongest evidence level (guideline, review, ...) whose best
        sentence scores within `AnswerSettings.level_margin` of the best sentence overall
        goes first; for a how-common question a sentence giving a frequency first; for a
        treatment, what-to-do, cause, diagnosis, prognosis, dose or side-effect question
        (`FRAMED_ASKS`) a sentence giving that answer (`fits_ask`), when one scores within
        `AnswerSettings.ask_margin` of the best. Without scores: the retrieval-based order of
        the strongest candidates, `_set_aside` sentences last.
        """
        if not scored:
            strong = [c for c in cands if _strong(c)] or cands
            ordered = sorted(strong, key=_score, reverse=True) + [
                c for c in cands if c not in strong]
            flags = [_set_aside(c, research_ok) for c in ordered]
            return [c for c, a in zip(ordered, flags, strict=True) if not a] + [
                c for c, a in zip(ordered, flags, strict=True) if a]
        ranked = sorted(cands, key=lambda c: c.features["lead"], reverse=True)
        # How a study was run, a sentence that needs the one before it or research under way
        # never leads while another sentence answers.
        flags = [_set_aside(c, research_ok) for c in ranked]
        methods = [c for c, a in zip(ranked, flags, strict=True) if a]
        others = [c for c, a in zip(ranked, flags, strict=True) if not a]
        if methods and any(c.features["answer"] >= self.answer.min_answer for c in others):
            ranked = others
        else:
            methods = []
        ranked = self._whole_focus_first(focus, ranked)
        pool = ranked
        if focus.ask == Ask.FREQUENCY:  # a figure leads whenever one answers
            pool = self._fitting(focus.ask, ranked, margin=None) or ranked
        elif focus.ask in FRAMED_ASKS and self.answer.ask_margin > 0:
            pool = (
                self._fitting(focus.ask, ranked, margin=self.answer.ask_margin)
                or self._fitting_in_passage(focus.ask, ranked)
                or ranked
            )
        top = pool[0].features["lead"]
        near = [c for c in pool if c.features["lead"] >= top - self.answer.level_margin]
        best_level = min(c.level for c in near)
        first = [c for c in near if c.level == best_level]
        return first + [c for c in ranked if c not in first] + methods

    def _fitting(
        self, ask: Ask, ranked: list[Candidate], *, margin: float | None
    ) -> list[Candidate]:
        """The candidates of `ranked` (best first by the ``lead`` key) that give the kind of
        answer `ask` wants (`candidate_fits`) and answer (`min_answer`), within `margin` of the
        first one's ``lead`` score (None: at any score)."""
        if not ranked:
            return []
        floor = -float("inf") if margin is None else ranked[0].features["lead"] - margin
        return [
            c for c in ranked
            if c.features["lead"] >= floor and candidate_fits(c, ask)
            and c.features["answer"] >= self.answer.min_answer
        ]

    def _fitting_in_passage(self, ask: Ask, ranked: list[Candidate]) -> list[Candidate]:
        """The candidates from the first one's passage that give the kind of answer `ask`
        wants and answer (`min_answer`), best first. Sentences of one passage share its
        retrieval score and source, so they differ only in how like the question they are;
        a topic sentence ("You can have a sore throat for many reasons.") is more like "What
        helps with a sore throat?" than the passage's answer ("Sucking on lozenges ... may
        ease the pain."), which names no topic word."""
        if not ranked:
            return []
        passage = ranked[0].evidence.passage.id
        same = [c for c in ranked if c.evidence.passage.id == passage]
        return self._fitting(ask, same, margin=None)

    def _fitting_first(self, focus: Focus, ranked: list[Candidate]) -> list[Candidate]:
        """`ranked` (best first by the ``lead`` key) with the sentences that give the kind of
        answer asked for first (`_fitting`, within `AnswerSettings.ask_margin`), for a question
        in `FRAMED_ASKS` or a how-common one: the bottom line answers what was asked as the
        lead does ("How long does the flu last?" closed with "Flu almost never causes an upset
        stomach")."""
        ask = focus.ask
        if (ask not in FRAMED_ASKS and ask != Ask.FREQUENCY) or self.answer.ask_margin <= 0:
            return ranked
        fitting = self._fitting(ask, ranked, margin=self.answer.ask_margin)
        return fitting + [c for c in ranked if c not in fitting]

    def _whole_focus_first(self, focus: Focus, ranked: list[Candidate]) -> list[Candidate]:
        """`ranked` with the sentences that mention every primary focus concept first, when
        the question has two or more and one of them answers (`min_answer`) within
        `AnswerSettings.concept_margin` of the best. The margin is read on the ranking key
        before the reader's weighting (``lead_base``): what a sentence is about does not depend
        on how plainly it is written, so the patient's lead names both sides too."""
        primary = set(focus.primary)
        if len(primary) < 2 or self.answer.concept_margin <= 0 or not ranked:
            return ranked
        floor = max(c.features["lead_base"] for c in ranked) - self.answer.concept_margin
        whole = [
            c for c in ranked
            if c.features["lead_base"] >= floor
            and c.features["answer"] >= self.answer.min_answer
            and primary <= set(focus.mentions(c.text))
        ]
        return whole + [c for c in ranked if c not in whole] if whole else ranked

    def _insufficient(self, article: Article) -> Article:
        article.insufficient = True
        article.lead = [own_claim(INSUFFICIENT_KEY)]
        article.notices.append(message("notice.no_answer"))
        if is_yes_no(article.question, article.question_type):
            article.consensus = Consensus(verdict="insufficient")
        article.consensus, article.bottom_line = write_bottom_line(
            article.consensus, [], insufficient=True
        )
        return article


def is_yes_no(question: str, question_type: str = "") -> bool:
    """Whether a yes/no verdict answers `question`: the classifier's one decision
    (`understand.question.asks_for_verdict`). `question_type` is not consulted: "Can I take X
    with Y?" is yes/no in form but gets no verdict, and a research-title question ("Spinal
    subdural hematoma: a sequela of a ruptured aneurysm?") gets one whatever its topic type."""
    del question_type
    return asks_for_verdict(question)


_CONCL_SECTIONS = ("CONCLU", "RECOMM", "INTERPRETATION", "IMPLICATION")
#: Kinds of top source whose text the stance model's verdict threshold was never calibrated on
#: (`consensus.MIN_VERDICT_PROBABILITY`: PubMedQA abstracts). On patient information pages it
#: read topic, not stance: of 15 consumer yes/no questions over the dev corpus, the 5 verdicts
#: all read such a page, and two were wrong ("Can you get the flu from the flu shot?" said yes
#: at 0.76 from a flu summary that never says so; "Is it true that you should starve a
#: fever?" yes from a Q fever page's "the reverse is true in chronic infection").
UNCALIBRATED_SOURCES = frozenset({SourceKind.PATIENT_INFO})
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
NOT_TOGETHER_KEY = "gap.not_together"


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


def _design(c: Candidate) -> bool:
    """A sentence about how a study was run: a methods section, `_DESIGN`'s wording, or the
    learned classifier's reading (``features["methods"]``, `compose.sentence_roles`)."""
    return (
        "METHOD" in c.section or c.features.get("methods", 0.0) > 0
        or bool(_DESIGN.search(c.text))
    )


def _set_aside(c: Candidate, research_ok: bool = False) -> bool:
    """A sentence that does not answer on its own: how a study was run (`_design`), one that
    refers back to another sentence or only calls for more research
    (`candidates.needs_context`), or, unless the question asks about research
    (`research_ok`), one about research under way (`candidates.research_talk`). It leads or
    closes an article only when nothing else can."""
    return _design(c) or needs_context(c.text) or (not research_ok and research_talk(c.text))


def _strong(c: Candidate) -> bool:
    """Strongest evidence: a guideline or systematic review, or a conclusion or
    recommendation section."""
    return c.level <= 2 or "CONCLUSION" in c.section or "RECOMMENDATION" in c.section


def _same(a: Candidate, b: Candidate) -> bool:
    return a is b or a.evidence.source.id == b.evidence.source.id


def _span(c: Candidate) -> Span:
    p = c.evidence.passage
    return Span(passage_id=p.id, passage_uid=p.uid, start=c.start, end=c.end)


def _claim_id(c: Candidate) -> str:
    key = f"{c.evidence.passage.uid}:{c.start}:{c.end}"
    return "c" + hashlib.sha1(key.encode()).hexdigest()[:10]
