"""Which sentences say how a study was run: a classifier learned from structured abstracts.

A logistic regression on the bundled MiniLM vectors (the vectors the composer already scores
answers with), trained by ``benchmarks/train_sentence_roles.py`` on the sentences of the 500
non-test PubMedQA PQA-L abstracts (MIT licence): methods-labelled sections against results and
conclusions. Its weights and model card (data, seed, threshold, held-out figures) are
``sentence_roles.json`` beside this module (5 KB, shipped with the package). Pure numpy.

It is read only for study reports (`STUDY_KINDS`): a guideline's recommendation ("give X for
4 weeks") or a patient page's instruction reads like a dosing schedule and is an answer there.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from curbside.domain import SourceKind

WEIGHTS_FILE = Path(__file__).with_name("sentence_roles.json")

#: The kinds of source whose sentences may describe how their study was run.
STUDY_KINDS = frozenset({
    SourceKind.SYSTEMATIC_REVIEW, SourceKind.RCT, SourceKind.OBSERVATIONAL,
    SourceKind.CASE_REPORT, SourceKind.REVIEW, SourceKind.OTHER,
})


@functools.cache
def _model() -> tuple[npt.NDArray[np.float32], float, float] | None:
    if not WEIGHTS_FILE.exists():
        return None
    card: dict[str, Any] = json.loads(WEIGHTS_FILE.read_text())
    return np.asarray(card["coef"], dtype=np.float32), float(card["bias"]), float(
        card["threshold"]
    )


def methods_probability(vectors: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32] | None:
    """P(the sentence says how a study was run), one per row of `vectors` (MiniLM, unit
    length); None when no weights ship."""
    m = _model()
    if m is None:
        return None
    coef, bias, _ = m
    z = np.asarray(vectors, dtype=np.float32) @ coef + bias
    out: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    return out


def says_how_run(vectors: npt.NDArray[np.floating[Any]]) -> list[bool]:
    """Per row: the probability reaches the shipped threshold (chosen on a dev split for a
    precision of 0.9). All False without weights."""
    p = methods_probability(vectors)
    m = _model()
    if p is None or m is None:
        return [False] * len(vectors)
    return [bool(x >= m[2]) for x in p]
