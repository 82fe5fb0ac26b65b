"""Query-dependent fusion weight and dense pseudo-relevance feedback (Rocchio).

Both use only what a search already has: the two ranked lists and the query vector.

* **Lexical weakness**: when the best lexical scores stand out from the rest of their list less
  than the best dense scores do (consumer wording against professional text, misspelt drug
  names), the fusion leans on the dense list.
* **Rocchio**: the query vector moves towards the mean vector of the top fused passages and the
  dense index is searched again. Skipped when lexical is weak: the first pass is then too
  noisy to feed back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Ranked = Sequence[tuple[int, float]]
Vector = npt.NDArray[np.float32]


def peak(ranked: Ranked, top: int = 3) -> float:
    """How far the mean of the `top` scores stands above the list's mean, in list sds."""
    if len(ranked) < 2:
        return 0.0
    s = np.asarray([x for _, x in ranked], dtype=np.float64)
    sd = float(s.std()) or 1.0
    return float((s[:top].mean() - s.mean()) / sd)


def lexical_is_weak(lists: Mapping[str, Ranked], ratio: float) -> bool:
    """True when the lexical list's peak is below `ratio` x the dense list's peak."""
    lex, den = lists.get("lexical"), lists.get("dense")
    if not lex or not den:
        return False
    pl, pd = peak(lex), peak(den)
    return pd > 0 and pl < ratio * pd


def rocchio(query: Vector, feedback: Vector, beta: float) -> Vector:
    """Unit vector of ``query + beta * mean(feedback rows)``."""
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    fb = np.asarray(feedback, dtype=np.float32)
    fb = fb / np.maximum(np.linalg.norm(fb, axis=1, keepdims=True), 1e-12)
    out = q + beta * fb.mean(axis=0)
    unit: Vector = (out / max(float(np.linalg.norm(out)), 1e-12)).astype(np.float32)
    return unit


def stored_vectors(index: Any, ids: Sequence[int]) -> Vector | None:
    """The stored vectors of those `ids` the vector index holds, or None when it holds none.

    Passages not yet embedded (an index still being built) are skipped, and an object that is
    not a vector index gives None, so feedback is skipped rather than paying to embed
    passages at query time.
    """
    if not ids:
        return None
    try:
        _found, vecs = index.vectors(ids)
    except AttributeError:
        return None
    return np.asarray(vecs, dtype=np.float32) if len(vecs) else None
