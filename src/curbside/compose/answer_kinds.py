"""What kind of answer a sentence gives: a classifier learned from MedQuAD's typed answers.

A multinomial logistic regression on the bundled MiniLM vectors (the vectors the composer
already scores answers with), trained by ``benchmarks/train_answer_kinds.py`` on the sentences
of MedQuAD answers (CC BY 4.0) labelled by their question's type: treatment, cause, diagnosis,
prognosis, frequency, symptoms, prevention, definition, other. Its weights and model card
(data, seed, per-kind thresholds, dev figures against the hand patterns) are
``answer_kinds.json`` beside this module (34 KB, shipped with the package). Pure numpy.

The composer reads it for the asks it covers (`ASK_KINDS`): a sentence fits a treatment
question when the model gives its "treatment" kind at least that kind's threshold (chosen on
a dev split for a precision of 0.75, on training sentences without boilerplate) or when the
hand pattern finds it
(`composer.candidate_fits`): the model adds what the patterns miss ("Stretching ... relieves
the pain"). The other asks (dose, side effects, what to do, interaction) keep their hand
patterns alone (`composer.fits_ask`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from curbside.understand.focus import Ask

WEIGHTS_FILE = Path(__file__).with_name("answer_kinds.json")

#: The asks the classifier decides, each with the kind of answer that fits it.
ASK_KINDS: dict[Ask, str] = {
    Ask.TREATMENT: "treatment",
    Ask.CAUSE: "cause",
    Ask.DIAGNOSIS: "diagnosis",
    Ask.PROGNOSIS: "prognosis",
    Ask.FREQUENCY: "frequency",
}


@functools.cache
def _model() -> tuple[list[str], npt.NDArray[np.float32], npt.NDArray[np.float32],
                      npt.NDArray[np.float32]] | None:
    if not WEIGHTS_FILE.exists():
        return None
    card: dict[str, Any] = json.loads(WEIGHTS_FILE.read_text())
    kinds = [str(k) for k in card["kinds"]]
    coef = np.asarray(card["coef"], dtype=np.float32)
    bias = np.asarray(card["bias"], dtype=np.float32)
    thr = np.asarray(card["thresholds"], dtype=np.float32)
    if coef.shape != (len(kinds), coef.shape[1]) or bias.shape != (len(kinds),) or (
        thr.shape != (len(kinds),)
    ):
        raise ValueError(f"{WEIGHTS_FILE.name}: coef, bias and thresholds must have one row "
                         f"per kind ({len(kinds)})")
    return kinds, coef, bias, thr


def kind_probabilities(
    vectors: npt.NDArray[np.floating[Any]],
) -> tuple[list[str], npt.NDArray[np.float32]] | None:
    """The kinds and, per row of `vectors` (MiniLM), the probability of each kind (softmax);
    None when no weights ship."""
    m = _model()
    if m is None:
        return None
    kinds, coef, bias, _ = m
    z = np.asarray(vectors, dtype=np.float32).reshape(-1, coef.shape[1]) @ coef.T + bias
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p: npt.NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return kinds, p


def answer_kinds(vectors: npt.NDArray[np.floating[Any]]) -> list[frozenset[str]] | None:
    """Per row: the kinds whose probability reaches that kind's shipped threshold (usually
    one, at most a few); None when no weights ship."""
    m = _model()
    got = kind_probabilities(vectors)
    if m is None or got is None:
        return None
    kinds, p = got
    hit = p >= m[3]
    return [frozenset(k for k, h in zip(kinds, row, strict=True) if h) for row in hit]
