"""Consensus meter for yes/no questions: the stance of the top conclusion sentences.

Stance per sentence is read from cues: negation and "no significant difference" count against;
findings of an effect or association, and recommendations, count for. Hedged or cue-less
sentences are neutral. These counts are what the article shows (supports / contradicts /
neutral).

The verdict comes from a tiny learned stance model when its weights are shipped
(``stance_weights.json`` beside this module): a 3-class logistic regression (yes / no / maybe)
over the rank-weighted bag of words of the sentences (with negation scope marked) and the cue
counts. Its weights were fitted on the 500 PubMedQA PQA-L questions that are not in the test set
(``python benchmarks/answers.py --train-stance``). Without the weights file, or with
``use_model=False``, the verdict is the cue vote: a clear weighted majority, otherwise "mixed".
Either way, sentences with no cue at all give "insufficient" unless the model is confident.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
#: A negated question ("Is X not associated with Y?") flips the reading. "no" and "without"
#: are left out: "Can X be done without Y?" asks for an affirmative.
_Q_NEG = re.compile(r"\b(not|never)\b|n't\b", re.I)


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
    #: Learned probabilities of yes / no / maybe (empty when the cue vote decided).
    probabilities: dict[str, float] | None = None


# ------------------------------------------------------------------------- learned stance
WEIGHTS_FILE = Path(__file__).with_name("stance_weights.json")
CLASSES = ("yes", "no", "maybe")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9\-]+|n't|[,;:.]")
_NEGATOR = frozenset(
    ("not", "no", "without", "neither", "nor", "failed", "fail", "n't", "lack", "lacks")
    + ("lacked", "absence", "cannot", "never")
)
_SCOPE_END = frozenset(",;:.")
_SCOPE = 3


def rank_weight(rank: int) -> float:
    return 1.0 / (1 + 0.5 * rank)


def sentence_features(sentence: str) -> dict[str, float]:
    """Sparse features of one sentence: words (``NOT_`` inside a negation's scope) and cues."""
    feats: dict[str, float] = {}
    scope = 0
    for m in _TOKEN.finditer(sentence):
        w = m.group(0).lower()
        if w in _SCOPE_END:
            scope = 0
            continue
        if w in _NEGATOR:
            scope = _SCOPE
            feats["w:" + w] = 1.0
            continue
        key = ("NOT_" if scope else "") + w
        scope = max(0, scope - 1)
        feats["w:" + key] = 1.0
    st = sentence_stance(sentence)
    feats["cue:neg"] = min(3.0, float(len(_NEG.findall(sentence))))
    feats["cue:pos"] = min(3.0, float(len(_POS.findall(_NEG.sub(" ", sentence)))))
    feats["cue:hedge"] = min(3.0, float(len(_HEDGE.findall(sentence))))
    feats["stance:" + st.label] = 1.0
    return feats


def text_features(sentences: Sequence[str]) -> dict[str, float]:
    """Rank-weighted mean of the sentence features (the first sentence weighs most)."""
    out: dict[str, float] = {}
    total = 0.0
    for rank, s in enumerate(sentences):
        w = rank_weight(rank)
        total += w
        for k, v in sentence_features(s).items():
            out[k] = out.get(k, 0.0) + w * v
    return {k: v / total for k, v in out.items()} if total else {}


@dataclass(frozen=True)
class StanceModel:
    """Multinomial logistic regression over `text_features` (yes / no / maybe)."""

    bias: tuple[float, float, float]
    weights: Mapping[str, tuple[float, float, float]]
    #: With no cue-bearing sentence, a verdict needs at least this probability.
    min_prob_without_cues: float = 0.6

    def probabilities(self, sentences: Sequence[str]) -> dict[str, float]:
        z = list(self.bias)
        for k, v in text_features(sentences).items():
            w = self.weights.get(k)
            if w is not None:
                for j in range(3):
                    z[j] += w[j] * v
        top = max(z)
        e = [math.exp(x - top) for x in z]
        s = sum(e)
        return {c: e[j] / s for j, c in enumerate(CLASSES)}

    @classmethod
    def from_json(cls, obj: Mapping[str, object]) -> StanceModel:
        bias = obj["bias"]
        weights = obj["weights"]
        assert isinstance(bias, list) and isinstance(weights, dict)
        return cls(
            bias=(float(bias[0]), float(bias[1]), float(bias[2])),
            weights={str(k): (float(v[0]), float(v[1]), float(v[2])) for k, v in weights.items()},
            min_prob_without_cues=float(obj.get("min_prob_without_cues", 0.6)),  # type: ignore[arg-type]
        )


@functools.lru_cache(maxsize=1)
def default_model() -> StanceModel | None:
    """The shipped stance model, or None when its weights file is absent or unreadable."""
    try:
        return StanceModel.from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, AssertionError, IndexError, TypeError):
        return None


def consensus(
    question: str,
    sentences: Sequence[str],
    *,
    min_counted: int = 1,
    margin: float = 0.2,
    use_model: bool = True,
    model: StanceModel | None = None,
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
        w = rank_weight(rank)
        if label == "supports":
            sup += 1
            score += w * st.strength
        elif label == "contradicts":
            con += 1
            score -= w * st.strength
        else:
            neu += 1
    counted = sup + con
    m = (model or default_model()) if use_model else None
    if m is not None and sentences:
        probs = m.probabilities(sentences)
        if flip:
            probs = {"yes": probs["no"], "no": probs["yes"], "maybe": probs["maybe"]}
        best = max(CLASSES, key=lambda c: probs[c])
        if counted < min_counted and probs[best] < m.min_prob_without_cues:
            verdict = "insufficient"
        else:
            verdict = {"yes": "supports", "no": "contradicts", "maybe": "mixed"}[best]
        return ConsensusResult(verdict, sup, con, neu, probs["yes"] - probs["no"], probs)
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
