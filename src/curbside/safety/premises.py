"""Premise audit: what a question assumes, checked against patterns and retrieved evidence.

1. `split_assumptions` turns the question into declarative assumptions: the main proposition
   (``"Is SI joint imbalance a common cause of low back pain and stiffness that improves with
   movement?"`` -> ``"SI joint imbalance is a common cause of low back pain and stiffness"``)
   and the presupposed parts: relative clauses (``"stiffness improves with movement"``) and the
   proposition of a why/how question (``"Why does X cause Y?"`` presupposes ``"X cause Y"``).
2. Pattern premises (``premise`` blocks of patterns.yaml) fire when a cue phrase of the
   assumption appears, the context phrases (if any) appear, and at least one of the required
   findings is stated without negation (``"improves with movement"`` beside a mechanical cause).
3. Evidence premises: what the question *presupposes* (never the yes/no proposition being
   asked), read from its form by `curbside.safety.presuppositions` (since-clauses, why-questions,
   "X is the only option", "X always/never Y", "how much X should I take to cure Y"...) and the
   presupposed relative clauses above, checked against the retrieved sentences: opposite
   polarity on the same content (``"X causes Y"`` vs ``"X does not cause Y"``), a quantifier's
   opposite, or an absolute word the evidence qualifies. Nothing when the evidence is silent;
   `silent_premises` names those presuppositions instead (the article says no source found
   states them, uncited: a statement about the search, not about medicine).

The audit returns `PremiseCandidate`s with external ids (pattern premises) or the evidence
passage (evidence premises); `curbside.safety.blocks` turns them into cited `PremiseFinding`s.
It is tuned not to over-flag: see ``benchmarks/safety.py`` (false-flag rate on questions with
no false premise).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from curbside.domain import Evidence
from curbside.safety.patterns import Pattern, load_patterns
from curbside.safety.presuppositions import (
    Presupposition,
    check_presupposition,
    evidence_sentences,
    is_silent,
    load_presuppositions,
    presuppositions,
)
from curbside.text.stopwords import QUERY_STOPWORDS
from curbside.text.tokens import words
from curbside.understand.findings import Findings, extract_findings

_YES_NO_COPULA = re.compile(r"^\s*(is|are|was|were)\s+(.+)$", re.I | re.S)
_YES_NO_AUX = re.compile(
    r"^\s*(does|do|did|can|could|should|will|would|may|might|has|have|had)\s+(.+)$", re.I | re.S
)
_WH = re.compile(r"^\s*(why|how)\s+(does|do|did|is|are|can|could|would|will)\s+(.+)$", re.I | re.S)
_PREDICATE_START = frozenset(
    ["a", "an", "the", "common", "commonly", "more", "less", "often", "usually", "always", "never",
     "associated", "caused", "effective", "safe", "better", "worse", "necessary", "related", "due",
     "responsible", "linked", "used", "recommended", "needed", "helpful", "good", "bad", "true",
     "likely", "unlikely", "possible", "typical", "normal", "indicated", "involved", "known",
     "required", "considered", "useful", "beneficial", "harmful", "dangerous", "contraindicated",
     "appropriate", "superior", "inferior", "equivalent", "similar", "different", "present",
     "absent", "elevated", "increased", "decreased", "reduced", "higher", "lower"]
)
_RELATIVE = re.compile(r"\s+(?:that|which|who)\s+", re.I)


@dataclass(frozen=True, slots=True)
class Assumption:
    """One thing the question states or presupposes, in its own words."""

    text: str
    presupposed: bool


@dataclass(slots=True)
class PremiseCandidate:
    """A premise finding before citation numbers are assigned."""

    assumption: str
    finding: str
    pattern_id: str | None = None
    external_ids: list[str] = field(default_factory=list)
    evidence: Evidence | None = None
    trigger: str = ""


def _declarative_copula(rest: str, verb: str) -> str:
    toks = rest.split()
    for i, tok in enumerate(toks):
        if i >= 1 and tok.lower().strip(",") in _PREDICATE_START:
            return " ".join([*toks[:i], verb.lower(), *toks[i:]])
    return rest


def declarative(question: str) -> tuple[str, bool]:
    """The question as a statement, and whether that statement is presupposed (why/how
    questions) rather than asked (yes/no questions)."""
    q = " ".join(question.split()).rstrip(" ?.!")
    m = _WH.match(q)
    if m:
        return m.group(3), True
    m = _YES_NO_COPULA.match(q)
    if m:
        return _declarative_copula(m.group(2), m.group(1)), False
    m = _YES_NO_AUX.match(q)
    if m:
        aux = m.group(1).lower()
        rest = m.group(2)
        if aux in ("can", "could", "should", "will", "would", "may", "might"):
            toks = rest.split()
            # "Can X cause Y" -> "X can cause Y": put the modal before the first verb-like word
            for i, tok in enumerate(toks):
                if i >= 1 and (tok.lower() in _VERBS or tok.lower().endswith(("ate", "ize",
                                                                              "ise"))):
                    return " ".join([*toks[:i], aux, *toks[i:]]), False
        return rest, False
    return q, False


_VERBS = frozenset(
    ["cause", "causes", "help", "helps", "improve", "improves", "reduce", "reduces", "increase",
     "increases", "prevent", "prevents", "lead", "leads", "be", "make", "makes", "treat", "treats",
     "affect", "affects", "interact", "interacts", "take", "replace"]
)


def split_assumptions(question: str) -> list[Assumption]:
    """The main proposition of each sentence and its presupposed relative clauses."""
    out: list[Assumption] = []
    for sent in re.split(r"(?<=[?.!])\s+", question.strip()):
        if not sent.strip():
            continue
        stmt, presupposed = declarative(sent)
        parts = _RELATIVE.split(stmt, maxsplit=1)
        if len(parts) == 2 and parts[0].split():
            head, rel = parts
            subj = [w for w in re.findall(r"[\w'-]+", head) if w.lower() not in QUERY_STOPWORDS]
            noun = subj[-1] if subj else ""
            out.append(Assumption(head.strip(), presupposed))
            if noun and len(rel.split()) >= 2:  # "... to which disease?" asks; no clause
                out.append(Assumption(f"{noun} {rel.strip()}", True))
        else:
            out.append(Assumption(stmt.strip(), presupposed))
    return out


# --------------------------------------------------------------------------------------------
# Pattern premises
# --------------------------------------------------------------------------------------------


def _phrase_rx(phrase: str) -> re.Pattern[str]:
    p = re.escape(phrase.strip()).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
    return re.compile(r"(?<![\w])" + p + r"s?(?![\w])", re.I)


def _first_hit(phrases: Sequence[str], text: str) -> re.Match[str] | None:
    best: re.Match[str] | None = None
    for ph in sorted(phrases, key=len, reverse=True):
        m = _phrase_rx(ph).search(text)
        if m and (best is None or m.start() < best.start()):
            best = m
    return best


def pattern_premises(question: str, findings: Findings | None = None,
                     patterns: Sequence[Pattern] | None = None) -> list[PremiseCandidate]:
    """Premise candidates from the patterns' premise blocks."""
    f = findings or extract_findings(question)
    present = f.present()
    pats = list(patterns) if patterns is not None else load_patterns().patterns
    out: list[PremiseCandidate] = []
    stmt = " ".join(a.text for a in _joined_assumptions(question))
    for p in pats:
        pr = p.premise
        if pr is None:
            continue
        cue = _first_hit(pr.cues, question)
        if cue is None:
            continue
        if pr.context_any and _first_hit(pr.context_any, question) is None:
            continue
        trig = [t for t in pr.requires_any if t in present]
        if pr.requires_any and not trig:
            continue
        out.append(PremiseCandidate(
            assumption=stmt or pr.assumption,
            finding=" ".join(pr.correction.split()),
            pattern_id=p.id,
            external_ids=list(p.citations),
            trigger="; ".join([cue.group(), *(f.evidence_for(t) or t for t in trig)]),
        ))
    return out


def _joined_assumptions(question: str) -> list[Assumption]:
    """One statement per sentence, relative clause kept (the assumption in the question's words)."""
    out: list[Assumption] = []
    for sent in re.split(r"(?<=[?.!])\s+", question.strip()):
        if sent.strip():
            stmt, pre = declarative(sent)
            out.append(Assumption(stmt.strip(), pre))
    return out[:2]


# --------------------------------------------------------------------------------------------
# Evidence premises
# --------------------------------------------------------------------------------------------


def question_presuppositions(question: str) -> list[Presupposition]:
    """What the question takes for granted: the forms of ``knowledge/presuppositions.yaml``
    (since-clauses, why-questions, "only", "always", "how much X to cure Y"...) and the
    presupposed relative clauses of `split_assumptions`, each once."""
    out = presuppositions(question)
    seen = {_same_words(p.text) for p in out}
    personal = load_presuppositions().personal
    for a in split_assumptions(question):
        # "..., which one should I take": a question about the asker, not a relative clause
        key = _same_words(a.text)
        if a.presupposed and key not in seen and not personal & set(words(a.text)):
            seen.add(key)
            out.append(Presupposition(text=a.text, form="relative_clause"))
    return out


def _same_words(text: str) -> tuple[str, ...]:
    """The words of `text`, lower case, less a final "s": "sugar makes kids hyperactive" (a
    form's text, in the third person after "does") and "sugar make kids hyperactive" (the
    same proposition read by `split_assumptions`) are one presupposition."""
    return tuple(w[:-1] if w.endswith("s") else w for w in words(text.lower()))


@dataclass(slots=True)
class EvidenceAudit:
    """What the retrieved evidence says of the question's presuppositions, read in one pass:
    the contradicted ones (`premises`) and those it is silent on (`silent`)."""

    premises: list[PremiseCandidate] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)


def evidence_audit(question: str, evidence: Sequence[Evidence], *,
                   max_findings: int = 2) -> EvidenceAudit:
    """Each presupposition of the question (never the yes/no proposition being asked) checked
    against the retrieved sentences once: a sentence contradicting it on the same concepts
    (opposite polarity, a quantifier's opposite, or an absolute word the evidence qualifies)
    makes a premise candidate, at most `max_findings`; one that no sentence even names
    (`presuppositions.is_silent`: "Why do vaccines cause autism?" over a library with
    nothing on both) is silent. Nothing without evidence."""
    out = EvidenceAudit()
    pres = question_presuppositions(question)
    if not pres or not evidence:
        return out
    sents = evidence_sentences(evidence)
    used: set[str] = set()
    for p in pres:
        c = check_presupposition(p, sents)
        if c is None:
            if is_silent(p, sents):
                out.silent.append(p.text)
            continue
        if c.sentence in used or len(out.premises) >= max_findings:
            continue
        used.add(c.sentence)
        out.premises.append(PremiseCandidate(
            assumption=p.text, finding=c.sentence, evidence=c.evidence,
            trigger=f"evidence:{c.kind}:{p.form}"))
    return out


def evidence_premises(question: str, evidence: Sequence[Evidence], *,
                      max_findings: int = 2) -> list[PremiseCandidate]:
    """The contradicted presuppositions of `evidence_audit`."""
    return evidence_audit(question, evidence, max_findings=max_findings).premises


def silent_premises(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """The presuppositions `evidence_audit` finds the evidence silent on."""
    return evidence_audit(question, evidence).silent


def audit_premises(question: str, evidence: Sequence[Evidence] = (),
                   findings: Findings | None = None,
                   patterns: Sequence[Pattern] | None = None) -> list[PremiseCandidate]:
    """Pattern premises first, then evidence premises (one per assumption)."""
    out = pattern_premises(question, findings, patterns)
    if evidence:
        out += evidence_premises(question, evidence)
    return out


def premise_sentence(assumption: str, finding: str, citations: Sequence[int] = ()) -> str:
    """``"Your question assumes X; the evidence indicates Y [1, 2]."``"""
    cites = f" [{', '.join(str(n) for n in citations)}]" if citations else ""
    return f"Your question assumes {assumption.rstrip('.')}; the evidence indicates " \
           f"{finding[0].lower() + finding[1:] if finding else finding}".rstrip(".") + cites + "."
