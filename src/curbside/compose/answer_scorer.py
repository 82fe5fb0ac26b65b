"""Learned answer-sentence scorer (issue 15): a linear adapter on frozen MiniLM vectors.

For a question vector ``q`` and a sentence vector ``s`` the sentence score is
``m(s) = (1 - alpha) * cos(W q, s) + alpha * cos(q, s)``: W is a 384x384 map trained
contrastively (``benchmarks/train_answer_scorer.py``) so the question lands nearer the sentences
that answer it; with ``W = I`` it is plain cosine. Where the model was trained with the
question-source term (``beta > 0`` in its card) and source vectors are given, the score is
``(1 - beta) * m(s) + beta * m(source)``.

The weights live in ``answer_scorer.npz`` (float16 ``W``) with a model card beside it
(``answer_scorer.json``: data and licences, seed, alpha/beta, dev and held-out figures, size,
how to retrain). They are shipped only where the held-out split showed the adapter beating
plain cosine; without them `score` *is* plain cosine, so callers never need to care. Loading
is lazy and pure numpy (no torch, no extra model).

How the composer should call it::

    from curbside.compose.answer_scorer import default_scorer

    scorer = default_scorer()                  # cached; reads the weights once
    q = embedder.embed_query(question)         # the same MiniLM embedder as the index
    S = embedder.embed(sentences)              # (n, 384), one row per candidate sentence
    src = passage_vecs[passage_of_sentence]    # optional (n, 384): each sentence's passage
    scores = scorer.score(q, S, src)           # (n,) float32, higher answers better

Scores are comparable within one question only (rank candidates with them; do not threshold
them across questions without calibration). Vectors need not be unit length. The focus-concept
gate and evidence-level ordering stay the composer's job; this only orders the candidates.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "AnswerScorer",
    "default_scorer",
    "infonce_loss_and_grad",
    "score",
    "scores_with",
]

WEIGHTS = Path(__file__).resolve().parent / "answer_scorer.npz"

FloatArray = npt.NDArray[np.floating[Any]]


def _unit(x: FloatArray) -> FloatArray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    out: FloatArray = x / np.maximum(n, 1e-12)
    return out


def scores_with(
    W: FloatArray | None,
    alpha: float,
    question_vec: FloatArray,
    sentence_vecs: FloatArray,
    source_vecs: FloatArray | None = None,
    beta: float = 0.0,
) -> npt.NDArray[np.float32]:
    """Per row of `sentence_vecs`: ``(1 - alpha) * cos(W q, s) + alpha * cos(q, s)``
    (``W=None``: plain cosine); with `source_vecs` (one row per sentence: the vector of the
    passage or document the sentence comes from) and ``beta > 0``, that score is mixed as
    ``(1 - beta) * sentence_score + beta * source_score``, the source score computed the same
    way on the source row."""
    q = _unit(np.asarray(question_vec, dtype=np.float32).reshape(-1))
    S = np.asarray(sentence_vecs, dtype=np.float32)
    if S.ndim != 2 or S.shape[1] != q.shape[0]:
        raise ValueError(f"sentence_vecs must be (n, {q.shape[0]}), got {S.shape}")
    out = _mixed(W, alpha, q, _unit(S))
    if source_vecs is not None and beta > 0.0:
        src = np.asarray(source_vecs, dtype=np.float32)
        if src.shape != S.shape:
            raise ValueError(f"source_vecs must be {S.shape} like sentence_vecs, got {src.shape}")
        out = (1.0 - beta) * out + beta * _mixed(W, alpha, q, _unit(src))
    result: npt.NDArray[np.float32] = out.astype(np.float32)
    return result


def _mixed(W: FloatArray | None, alpha: float, q: FloatArray, S: FloatArray) -> FloatArray:
    cos = S @ q
    if W is None or alpha >= 1.0:
        return cos
    u = _unit(np.asarray(W, dtype=np.float32) @ q)
    out: FloatArray = (1.0 - alpha) * (S @ u) + alpha * cos
    return out


class AnswerScorer:
    """Scores sentences against a question; weights are read on first use."""

    def __init__(self, path: str | Path = WEIGHTS) -> None:
        self.path = Path(path)
        self._loaded = False
        self._W: npt.NDArray[np.float32] | None = None
        self._alpha = 1.0
        self._beta = 0.0
        self._card: dict[str, Any] = {}

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self.path.is_file():
            return
        with np.load(self.path) as z:
            W = np.asarray(z["W"], dtype=np.float32)
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise ValueError(f"{self.path}: W must be square, got {W.shape}")
        card_path = self.path.with_suffix(".json")
        self._card = json.loads(card_path.read_text()) if card_path.is_file() else {}
        self._alpha = float(self._card.get("alpha", 0.0))
        self._beta = float(self._card.get("beta", 0.0))
        self._W = W

    @property
    def learned(self) -> bool:
        """True when trained weights were found (else `score` is plain cosine)."""
        self._load()
        return self._W is not None

    @property
    def card(self) -> dict[str, Any]:
        self._load()
        return dict(self._card)

    @property
    def uses_source(self) -> bool:
        """True when the shipped model weighs the question-source term (``beta > 0``)."""
        self._load()
        return self._W is not None and self._beta > 0.0

    def score(
        self,
        question_vec: FloatArray,
        sentence_vecs: FloatArray,
        source_vecs: FloatArray | None = None,
    ) -> npt.NDArray[np.float32]:
        """One score per sentence row; higher answers the question better. `source_vecs`
        (optional, row-aligned with `sentence_vecs`): the vector of each sentence's passage or
        document; used only where the model was trained with the source term."""
        self._load()
        return scores_with(
            self._W, self._alpha, question_vec, sentence_vecs, source_vecs, self._beta
        )


@functools.lru_cache(maxsize=1)
def default_scorer() -> AnswerScorer:
    return AnswerScorer()


def score(
    question_vec: FloatArray,
    sentence_vecs: FloatArray,
    source_vecs: FloatArray | None = None,
) -> npt.NDArray[np.float32]:
    """Scores with the shipped weights (plain cosine where none are shipped)."""
    return default_scorer().score(question_vec, sentence_vecs, source_vecs)


def infonce_loss_and_grad(
    W: FloatArray,
    Q: FloatArray,
    S: FloatArray,
    positive: npt.NDArray[np.bool_],
    tau: float,
) -> tuple[float, npt.NDArray[np.float64]]:
    """Multi-positive InfoNCE and its gradient in W.

    ``logits[i, j] = s_j . (W q_i) / tau``; for question i the loss is
    ``logsumexp_j logits[i, j] - logsumexp_{j positive} logits[i, j]`` (every candidate a
    negative unless marked positive: in-batch and hard negatives alike), averaged over the rows
    with at least one positive.
    """
    W64 = np.asarray(W, dtype=np.float64)
    Q64 = np.asarray(Q, dtype=np.float64)
    S64 = np.asarray(S, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    keep = pos.any(axis=1)
    Q64, pos = Q64[keep], pos[keep]
    if len(Q64) == 0:
        return 0.0, np.zeros_like(W64)
    logits = (Q64 @ W64.T) @ S64.T / tau
    mx = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - mx)
    p_all = e / e.sum(axis=1, keepdims=True)
    e_pos = np.where(pos, e, 0.0)
    p_pos = e_pos / e_pos.sum(axis=1, keepdims=True)
    lse_all = np.log(e.sum(axis=1))
    lse_pos = np.log(e_pos.sum(axis=1))
    n = len(Q64)
    loss = float((lse_all - lse_pos).mean())
    G = (p_all - p_pos) / n  # d loss / d logits
    grad: npt.NDArray[np.float64] = (S64.T @ G.T @ Q64) / tau
    return loss, grad
