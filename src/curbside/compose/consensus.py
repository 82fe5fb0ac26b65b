"""Consensus meter for yes/no questions: the stance of the top conclusion sentences.

Stance per sentence is read from cues: negation and "no significant difference" count against;
findings of an effect or association, and recommendations, count for. Hedged or cue-less
sentences are neutral. These counts are what the article shows (supports / contradicts /
neutral).

The verdict comes from a small learned stance model when its weights are shipped
(``stance_weights.json`` beside this module): a 3-class logistic regression (yes / no / maybe)
over `pair_features` of the (question, basis sentences) pair: the rank-weighted bag of words
with negation scope marked, finer cue counts of the first sentence ("no significant
difference", shortfall verdicts such as "inadequate", hedges and calls for further research,
effect findings), which question words the basis repeats plainly or negated, the same cues for
the focus sentence (the one sharing most words with the question) with negation scoped to its
clause, broad negation counts, significant / non-significant p-values, and whether the basis is
a conclusion or results sentences. Contractions ("doesn't") are written out first. Its
weights were fitted only on the 500 PubMedQA PQA-L questions that are not in the test set, on
the bases the answer pipeline itself produced for them (``python benchmarks/answers.py
--train-stance``). Without the weights file, or with ``use_model=False``, the verdict is the
cue vote: a clear weighted majority, otherwise "mixed". "Insufficient" is kept for no basis,
for a weak retrieval match with an unsure model, and (cue vote) for sentences with no cue at
all.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from curbside.text.content import stance_content_words
from curbside.text.cues import (
    BROAD_NEGATION,
    CLAUSE_NEGATOR,
    HEDGE,
    NEGATED_FINDING,
    QUESTION_NEGATION,
    STANCE_NEGATORS,
    expand_contractions,
)

_POS = re.compile(
    r"\b(significant(ly)?|associated with|is associated|are associated|increase[sd]?|"
    r"decrease[sd]?|reduce[sd]?|improve[sd]?|effective|efficacious|beneficial|benefit|superior|"
    r"predict(s|ed|ive)?|correlat(ed|es)|recommend(s|ed)?|should be|is indicated|"
    r"are indicated|risk factor|higher|lower|greater|better|worse|useful|valuable|may be used|"
    r"can be used|plays? a role|contribut(es|ed)|is a (common|major|important)|caus(es|ed))\b",
    re.I,
)


@dataclass(frozen=True)
class Stance:
    label: str  # supports | contradicts | neutral
    strength: float


def sentence_stance(sentence: str) -> Stance:
    """Stance of one sentence toward an affirmative reading of the question."""
    neg = len(NEGATED_FINDING.findall(sentence))
    # Positive cues inside a negated phrase ("no significant benefit") don't count for.
    pos = len(_POS.findall(NEGATED_FINDING.sub(" ", sentence)))
    hedge = len(HEDGE.findall(sentence))
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
        if w in STANCE_NEGATORS:
            scope = _SCOPE
            feats["w:" + w] = 1.0
            continue
        key = ("NOT_" if scope else "") + w
        scope = max(0, scope - 1)
        feats["w:" + key] = 1.0
    st = sentence_stance(sentence)
    feats["cue:neg"] = min(3.0, float(len(NEGATED_FINDING.findall(sentence))))
    feats["cue:pos"] = min(3.0, float(len(_POS.findall(NEGATED_FINDING.sub(" ", sentence)))))
    feats["cue:hedge"] = min(3.0, float(len(HEDGE.findall(sentence))))
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


#: Finer cues of the pair features. "No difference" findings, verdicts that something falls
#: short, hedges and calls for more research, and effect findings.
_NO_DIFF = re.compile(
    r"\b(no (statistically )?significant|not (statistically )?significant(ly)?|"
    r"(did|does|do) not (significantly )?(differ|improve|reduce|increase|change|affect|"
    r"influence|predict|alter|correlate)|no (difference|differences|correlation|association|"
    r"relationship|effect|benefit|advantage|impact)|similar|comparable|equivalent|"
    r"independent of|regardless of|unaffected|unchanged)\b",
    re.I,
)
_SHORTFALL = re.compile(
    r"\b(inadequate|insufficient|poor(ly)?|unreliable|inaccurate|unnecessary|not necessary|"
    r"not (be )?(recommended|justified|warranted|indicated|needed|required|useful|reliable|"
    r"accurate|adequate|sufficient|safe|feasible|effective)|cannot|unable|fail(s|ed)? to|"
    r"lack(s|ed|ing)? of|no evidence|does not support|do not support|did not support|"
    r"not support|no role|no need|low (sensitivity|specificity|accuracy)|limited (value|role|"
    r"use|utility)|overestimat\w*|underestimat\w*|misleading|should not|need not|rarely)\b",
    re.I,
)
_TENTATIVE = re.compile(
    r"\b(may|might|could|seems?|appears?|suggests?|possibl[ey]|potential(ly)?|likely|"
    r"unclear|uncertain|not clear|remains? (unclear|unknown|to be|controversial)|"
    r"further (research|studies|study|investigation|trials|evaluation|work)|larger|"
    r"(is|are) (needed|warranted|required)|warrant(s|ed)?|prospective|preliminary|"
    r"inconclusive|controversial|conflicting|mixed|some|selected|in some|depend(s|ing)? on|"
    r"only (in|when|if|for)|but not|however|although|whereas)\b",
    re.I,
)
_EFFECT = re.compile(
    r"\b(significant(ly)?|independent(ly)?|strong(ly)?|associated with|predict(s|ed|or|ors|ive)?|"
    r"risk factor|longer survival|(improved|better|longer|prolonged) (survival|outcomes?)|"
    r"reduc(ed|es|tion)|increas(ed|es)|improv(ed|es|ement)|higher|lower|greater|better|"
    r"superior|effective|efficacious|safe(ly)?|feasible|reliable|accurate|valid|useful|"
    r"valuable|beneficial|benefit|recommend(ed|s)?|should be|is indicated|confirm(s|ed)?|"
    r"demonstrat(es|ed)|show(s|ed|n)|essential|important|common|frequent)\b",
    re.I,
)
def _cue_counts(prefix: str, sentence: str) -> dict[str, float]:
    neg_free = NEGATED_FINDING.sub(" ", sentence)
    return {
        prefix + "nodiff": min(2.0, float(len(_NO_DIFF.findall(sentence)))),
        prefix + "short": min(2.0, float(len(_SHORTFALL.findall(sentence)))),
        prefix + "tent": min(3.0, float(len(_TENTATIVE.findall(sentence)))),
        prefix + "effect": min(3.0, float(len(_EFFECT.findall(neg_free)))),
        prefix + "neg": min(2.0, float(len(NEGATED_FINDING.findall(sentence)))),
    }


#: Clause boundaries for the scope of a negation.
_CLAUSE = re.compile(r"[,;:]|\b(but|whereas|although|while|however|which|who)\b", re.I)
#: Reported p-values: "p < 0.05", "P=.002", "p ≥ 0.05".
_P_VALUE = re.compile(r"\bp\s*(<=|>=|<|>|=|≤|≥)\s*(0?\.\d+)", re.I)


def focus_sentence(question: str, sentences: Sequence[str]) -> int:
    """Index of the sentence sharing most content words with the question (first on ties)."""
    q = stance_content_words(question)
    best, best_n = 0, -1
    for i, s in enumerate(sentences):
        n = len(q & stance_content_words(s))
        if n > best_n:
            best, best_n = i, n
    return best


def clause_negation(question: str, sentence: str) -> tuple[float, float]:
    """(share of the question's content words after a negator in the same clause, share that
    the sentence states plainly elsewhere)."""
    q = stance_content_words(question)
    if not q:
        return 0.0, 0.0
    negated: set[str] = set()
    plain: set[str] = set()
    for clause in _CLAUSE.split(sentence):
        if not clause:
            continue
        words = stance_content_words(clause)
        m = CLAUSE_NEGATOR.search(clause)
        after = stance_content_words(clause[m.end() :]) if m else set()
        negated |= q & after
        plain |= q & (words - after)
    return len(negated) / len(q), len(plain - negated) / len(q)


def p_value_counts(text: str) -> tuple[int, int]:
    """(significant, non-significant) p-values reported in the text, at the 0.05 level."""
    sig = ns = 0
    for op, val in _P_VALUE.findall(text):
        v = float(val)
        if op in ("<", "<=", "≤"):
            sig += v <= 0.05
        elif op == "=":
            sig += v < 0.05
            ns += v >= 0.05
        else:
            ns += v >= 0.05
    return sig, ns


def pair_features(
    question: str, sentences: Sequence[str], basis_kind: str = "conclusions"
) -> dict[str, float]:
    """Features of a (question, basis sentences) pair for the stance model.

    The rank-weighted words and cues of `text_features` (contractions written out first), plus:
    finer cue counts of the first sentence and of the rest; which of the question's words the
    first sentences repeat, inside or outside a negation's scope, or negated by a prefix
    ("reliable" → "unreliable"); the same for the focus sentence (the one sharing most words
    with the question), with negation scoped to its clause; broad negation counts of the first
    and focus sentences; significant and non-significant p-values; the question's own shape
    ("or", comparison words); and the kind of basis (conclusions or results), since results
    sentences state findings rather than verdicts.
    """
    sentences = [expand_contractions(s) for s in sentences]
    feats = text_features(sentences)
    if not sentences:
        return feats
    focus = focus_sentence(question, sentences)
    feats.update(_cue_counts("f:", sentences[focus]))
    feats["f:first"] = float(focus == 0)
    for prefix, s in (("f:", sentences[focus]), ("s1:", sentences[0])):
        feats[prefix + "broad"] = min(3.0, float(len(BROAD_NEGATION.findall(s))))
        feats[prefix + "cneg"], feats[prefix + "cplain"] = clause_negation(question, s)
    sig, ns = p_value_counts(" ".join(sentences))
    feats["p:psig"], feats["p:pns"] = min(3.0, float(sig)), min(3.0, float(ns))
    feats.update(_cue_counts("s1:", sentences[0]))
    rest = " ".join(sentences[1:3])
    if rest:
        for k, v in _cue_counts("s2:", rest).items():
            feats[k] = 0.5 * v
    q_words = stance_content_words(question)
    head = " ".join(sentences[:2])
    plain: set[str] = set()
    negated: set[str] = set()
    for k in sentence_features(head):
        if k.startswith("w:NOT_"):
            negated.add(k[6:])
        elif k.startswith("w:"):
            plain.add(k[2:])
    if q_words:
        feats["q:repeat"] = len(q_words & plain) / len(q_words)
        feats["q:repeat_negated"] = min(2.0, float(len(q_words & negated)))
        feats["q:prefix_negated"] = min(
            2.0,
            float(
                sum(
                    1
                    for w in q_words
                    for pre in ("in", "un", "non", "im", "ir", "dis")
                    if pre + w in plain or pre + "-" + w in plain
                )
            ),
        )
    ql = question.lower()
    feats["q:or"] = float(" or " in ql)
    feats["q:compare"] = float(
        bool(re.search(r"\b(than|versus|vs|compared|better|superior|more|less|same|similar)\b", ql))
    )
    feats["kind:" + basis_kind] = 1.0
    feats["n_sents"] = min(6.0, float(len(sentences))) / 6.0
    return feats


@dataclass(frozen=True)
class StanceModel:
    """Multinomial logistic regression over `pair_features` (yes / no / maybe)."""

    bias: tuple[float, float, float]
    weights: Mapping[str, tuple[float, float, float]]
    #: With no cue-bearing sentence, a verdict needs at least this probability.
    min_prob_without_cues: float = 0.0
    #: Below the weak-match retrieval confidence, a verdict needs at least this probability.
    min_prob_weak_match: float = 0.5

    def probabilities(
        self, question: str, sentences: Sequence[str], basis_kind: str = "conclusions"
    ) -> dict[str, float]:
        z = list(self.bias)
        for k, v in pair_features(question, sentences, basis_kind).items():
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
            min_prob_without_cues=float(obj.get("min_prob_without_cues", 0.0)),  # type: ignore[arg-type]
            min_prob_weak_match=float(obj.get("min_prob_weak_match", 0.5)),  # type: ignore[arg-type]
        )


@functools.lru_cache(maxsize=1)
def default_model() -> StanceModel | None:
    """The shipped stance model, or None when its weights file is absent or unreadable."""
    try:
        return StanceModel.from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, AssertionError, IndexError, TypeError):
        return None


#: Retrieval confidence below which a match counts as weak (the composer's notice threshold).
WEAK_MATCH = 0.62

#: A verdict (supports / contradicts / mixed) is shown only when the stance model's top
#: probability reaches this; below it the meter says "insufficient" and keeps the reading as
#: its `leaning`. Calibrated with benchmarks/calibrate_verdict.py on the 500 PubMedQA PQA-L
#: questions outside the test set (both settings, 1,000 bases, out-of-fold probabilities of the
#: shipped recipe): shown-verdict accuracy 65.9% with every verdict shown, 73.8% at 0.60
#: (676 shown), 78.0% at 0.70 (446), 80.5% at 0.75 (328), 83.3% at 0.80 (215). 0.75 is the
#: lowest threshold with at least 80% of shown verdicts right. (The shipped weights' in-sample
#: probabilities would have said 0.50: they were fitted on these questions.)
MIN_VERDICT_PROBABILITY = 0.75


def confident(result: ConsensusResult, threshold: float = MIN_VERDICT_PROBABILITY) -> bool:
    """Whether `result` may be shown as a verdict: the learned stance model gave it with a top
    probability of at least `threshold`. A cue vote (no model) has no calibrated confidence."""
    return bool(result.probabilities) and max(result.probabilities.values()) >= threshold  # type: ignore[union-attr]


def question_negated(question: str) -> bool:
    """ "Is X not associated with Y?": the reading of the evidence flips."""
    return bool(QUESTION_NEGATION.search(question))


def consensus(
    question: str,
    sentences: Sequence[str],
    *,
    min_counted: int = 1,
    margin: float = 0.2,
    use_model: bool = True,
    model: StanceModel | None = None,
    basis_kind: str = "conclusions",
    confidence: float = 1.0,
) -> ConsensusResult:
    """Verdict over the given (top conclusion) sentences, weighted by rank.

    With the learned model: its most probable class, except "insufficient" when there is no
    basis, when no stance cue fires and either the basis repeats none of the question's words
    (it does not address the question) or the model is below ``min_prob_without_cues``, or when
    the retrieval match is weak (`confidence` below `WEAK_MATCH`) and the model is below
    ``min_prob_weak_match``: a weak match plus an unsure model is not a verdict.
    """
    flip = question_negated(question)
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
        probs = m.probabilities(question, sentences, basis_kind)
        if flip:
            probs = {"yes": probs["no"], "no": probs["yes"], "maybe": probs["maybe"]}
        best = max(CLASSES, key=lambda c: probs[c])
        opening = " ".join(sentences[:2])
        off_topic = not (stance_content_words(question) & stance_content_words(opening))
        if (counted < min_counted and (off_topic or probs[best] < m.min_prob_without_cues)) or (
            confidence < WEAK_MATCH and probs[best] < m.min_prob_weak_match
        ):
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
