"""Question style: is a question phrased like a consumer health question or a research query?

A logistic regression on the bundled MiniLM question vector (the vector the dense search
already embeds the question into, so the gate costs one dot product), trained by
``benchmarks/train_question_style.py`` on consumer questions (MedQuAD questions outside the
retrieval set's page sample, MedicationQA's development half) against research queries (BioASQ
questions outside the retrieval subset, NFCorpus's development half). Its weights and model
card (data, seed, C, cross-validated accuracy per source) are ``question_style.json`` beside
this module. Pure numpy.

The hand fusion reads it to decide when the source's document cosine joins the score
(`RetrievalOptions.document_when` = ``"style"``): consumer questions match what a page is
*about*, which the best single passage often misses, while for research queries over
single-abstract sources the document cosine only adds dense weight. The hand rule of
`expansion.question_phrasing` (a lay term, "I / my") read only 85 of 345 MedicationQA and 127
of 1,233 MedQuAD development questions as consumer-phrased.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

WEIGHTS_FILE = Path(__file__).with_name("question_style.json")


@functools.cache
def _model() -> tuple[npt.NDArray[np.float32], float, float] | None:
    if not WEIGHTS_FILE.exists():
        return None
    card: dict[str, Any] = json.loads(WEIGHTS_FILE.read_text())
    coef = np.asarray(card["coef"], dtype=np.float32)
    if coef.ndim != 1 or not coef.size:
        raise ValueError(f"{WEIGHTS_FILE.name}: coef must be one row of weights")
    threshold = float(card["threshold"])
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"{WEIGHTS_FILE.name}: threshold must lie in (0, 1), got {threshold}")
    return coef, float(card["bias"]), threshold


def consumer_probability(vector: npt.NDArray[np.floating[Any]]) -> float | None:
    """P(consumer-phrased) of a question's MiniLM vector; None without weights or when the
    vector is not the model's width (another embedder)."""
    model = _model()
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    if model is None or v.shape != model[0].shape:
        return None
    coef, bias, _ = model
    return float(1.0 / (1.0 + np.exp(-(float(v @ coef) + bias))))


def is_consumer(vector: npt.NDArray[np.floating[Any]]) -> bool | None:
    """Whether the gate reads the question as consumer-phrased (P ≥ the card's threshold);
    None when it cannot say (see `consumer_probability`)."""
    model, p = _model(), consumer_probability(vector)
    return None if model is None or p is None else p >= model[2]
