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
    """The stored vectors of those `ids` a local vector index holds, or None when it has none.

    Reads the two local backends (usearch, exact); passages not yet embedded (an index still
    being built) are skipped, and any other backend gives None, so feedback is skipped rather
    than paying to embed passages at query time.
    """
    keys = np.asarray(list(ids), dtype=np.int64)
    if keys.size == 0:
        return None
    try:
        inner = getattr(index, "_index", None)
        if inner is not None and hasattr(inner, "get"):  # usearch
            present = np.asarray(inner.contains(keys.astype(np.uint64)), dtype=bool)
            keys = keys[present]
            if keys.size == 0:
                return None
            raw = inner.get(keys.astype(np.uint64), dtype="i8")
            return np.asarray(raw, dtype=np.float32).reshape(len(keys), -1)
        all_ids, mat = getattr(index, "_ids", None), getattr(index, "_mat", None)
        if all_ids is not None and mat is not None:  # exact
            pos = {int(i): j for j, i in enumerate(all_ids)}
            rows = [pos[int(k)] for k in keys if int(k) in pos]
            return np.asarray(mat[rows], dtype=np.float32) if rows else None
    except (AttributeError, TypeError, ValueError, RuntimeError):
        return None
    return None
