"""Consensus meter for yes/no questions: the stance of the top conclusion sentences.

Stance is read from cues: negation and "no significant difference" count against; findings of
an effect or association, and recommendations, count for. Hedged or cue-less sentences are
neutral. The verdict needs a clear majority; otherwise it is "mixed" or "insufficient".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_NEG = re.compile(
    r"\b(no (significant|statistically significant|clear|consistent|convincing|strong|"
    r"meaningful|clinically (important|relevant|significant)|detectable|major|evidence|"
    r"difference|differences|association|relationship|correlation|effect|benefit|increase|"
    r"reduction|improvement|role|impact|advantage|change)|not (significantly |statistically "
    r"significantly |independently |clearly )?(associated|related|correlated|effective|"
    r"superior|different|improve|improved|reduce|reduced|increase|increased|predict|predictive|"
    r"recommended|supported|beneficial|useful|affect|affected|influence|a risk factor|"
    r"necessary|required|justified|linked|change|changed|alter|altered)|did not|does not|do not|"
    r"was not|were not|is not|are not|cannot|could not|failed to|neither|nor|none of|"
    r"unrelated|ineffective|no longer|not be|lack of (effect|association|benefit|evidence)|"
    r"similar (rates|outcomes|results|efficacy)|comparable|equivalent|non-?significant|"
    r"insufficient evidence|against (the )?(routine )?use)\b",
    re.I,
)
_POS = re.compile(
    r"\b(significant(ly)?|associated with|is associated|are associated|increase[sd]?|"
    r"decrease[sd]?|reduce[sd]?|improve[sd]?|effective|efficacious|beneficial|benefit|superior|"
    r"predict(s|ed|ive)?|correlat(ed|es)|recommend(s|ed)?|should be|is indicated|"
    r"are indicated|risk factor|higher|lower|greater|better|worse|useful|valuable|may be used|"
    r"can be used|plays? a role|contribut(es|ed)|is a (common|major|important)|caus(es|ed))\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(may|might|could|possibly|unclear|uncertain|further (research|studies|"
    r"trials)|more research|remains? to be|limited evidence|inconclusive|"
    r"controversial|mixed)\b",
    re.I,
)
_Q_NEG = re.compile(r"\b(not|no|never|without)\b", re.I)


@dataclass(frozen=True)
class Stance:
    label: str  # supports | contradicts | neutral
    strength: float


def sentence_stance(sentence: str) -> Stance:
    """Stance of one sentence toward an affirmative reading of the question."""
    neg = len(_NEG.findall(sentence))
    # Positive cues inside a negated phrase ("no significant benefit") don't count for.
    pos = len(_POS.findall(_NEG.sub(" ", sentence)))
    hedge = len(_HEDGE.findall(sentence))
    if neg and neg >= pos:
        return Stance("contradicts", min(1.0, 0.6 + 0.2 * neg - 0.1 * hedge))
    if pos > neg:
        strength = 0.5 + 0.15 * (pos - neg) - 0.2 * hedge
        return (
            Stance("supports", max(0.1, min(1.0, strength)))
            if strength > 0.25
            else Stance("neutral", 0.0)
        )
    return Stance("neutral", 0.0)


@dataclass
class ConsensusResult:
    verdict: str
    supports: int
    contradicts: int
    neutral: int
    score: float


def consensus(
    question: str, sentences: Sequence[str], *, min_counted: int = 1, margin: float = 0.2
) -> ConsensusResult:
    """Verdict over the given (top conclusion) sentences, weighted by rank."""
    flip = bool(_Q_NEG.search(question))
    sup = con = neu = 0
    score = 0.0
    for rank, s in enumerate(sentences):
        st = sentence_stance(s)
        label = st.label
        if flip and label != "neutral":
            label = "contradicts" if label == "supports" else "supports"
        w = 1.0 / (1 + 0.5 * rank)
        if label == "supports":
            sup += 1
            score += w * st.strength
        elif label == "contradicts":
            con += 1
            score -= w * st.strength
        else:
            neu += 1
    counted = sup + con
    if counted < min_counted:
        verdict = "insufficient"
    elif score > margin and sup > con:
        verdict = "supports"
    elif score < -margin and con > sup:
        verdict = "contradicts"
    elif sup and con:
        verdict = "mixed"
    else:
        verdict = "supports" if score > 0 else ("contradicts" if score < 0 else "mixed")
    return ConsensusResult(verdict, sup, con, neu, score)
